"""The value classes the hooks build without dataclasses keep a frozen dataclass's behaviour."""

from __future__ import annotations

import copy
import pickle

import pytest

from deploystate.state.drift.headcode import RUNS_HEAD, HeadCode
from deploystate.state.config.mapping import Change, Match
from deploystate.state.git.proc import Completed


def test_construction_defaults_and_errors():
    """Positional or keyword arguments, defaults for the trailing fields, a TypeError for a missing,
    unknown or repeated one."""
    assert Change("a") == Change(path="a", status="M", old_path=None) == Change("a", "M")
    assert Completed(("true",), 0, "", "").truncated is False
    assert HeadCode(RUNS_HEAD, "api", "a", "b", "ok").matches == ()
    for bad in (lambda: Change(), lambda: Change("a", colour="red"), lambda: Change("a", path="b"),
                lambda: Change("a", "M", None, "extra")):
        with pytest.raises(TypeError):
            bad()


def test_values_are_frozen_hashable_and_copyable():
    """Equal by value (and only to the same type), hashable, immutable, and copy/pickle round-trip."""
    m = Match("f", "p", "paths")
    assert m == Match("f", "p", "paths", "M") and m != Match("f", "p", "paths", "A") and len({m, Match("f", "p", "paths")}) == 1
    assert Change("f") != Match("f", "p", "paths") and Change("f") != ("f", "M", None)
    with pytest.raises(AttributeError):
        m.file = "g"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del m.file
    h = HeadCode(RUNS_HEAD, "api", "a", "b", "ok", (m,))
    assert copy.deepcopy(h) == h == pickle.loads(pickle.dumps(h)) and h.files == ("f",)
    assert repr(m) == "Match(file='f', pattern='p', rule='paths', status='M')"
