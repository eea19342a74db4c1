"""The value classes built without dataclasses keep a dataclass's behaviour (Frozen: a frozen one)."""

from __future__ import annotations

import copy
import pickle

import pytest

from deploystate.state.drift.headcode import RUNS_HEAD, HeadCode
from deploystate.state.config.mapping import Change, Match
from deploystate.state.git.proc import Completed
from deploystate.state.plain import Record, as_dict


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


class _Point(Record):
    x: int
    y: int          # default 0
    tags: list      # default [] (a new list per instance)
    _fields = ("x", "y", "tags")
    _defaults = {"y": 0}
    _factories = {"tags": list}


def test_record_is_a_mutable_dataclass_value():
    """A Record takes defaults and a fresh factory value per instance, changes in place, is equal by value
    (only to its own type), unhashable like a dataclass with eq, and reprs its fields in order."""
    a, b = _Point(1), _Point(x=1, y=0)
    assert a == b and a.tags is not b.tags and a != _Point(1, 2) and a != (1, 0, [])
    a.tags.append("t")
    a.y = 5
    assert (a.x, a.y, a.tags) == (1, 5, ["t"]) and b.tags == [] and a != b
    with pytest.raises(TypeError):
        hash(a)
    with pytest.raises(TypeError):
        _Point()
    with pytest.raises(TypeError):
        _Point(1, 2, [], "extra")
    assert repr(a) == "_Point(x=1, y=5, tags=['t'])"
    assert copy.deepcopy(a) == a == pickle.loads(pickle.dumps(a))


def test_as_dict_converts_nested_values_and_copies_containers():
    """as_dict gives dataclasses.asdict's shape: nested records as dicts, lists and dicts copied (changing
    the result leaves the record alone)."""
    inner = _Point(2, tags=["a"])
    outer = _Point(1, tags=[inner, {"k": inner}])
    got = as_dict(outer)
    assert got == {"x": 1, "y": 0, "tags": [{"x": 2, "y": 0, "tags": ["a"]}, {"k": {"x": 2, "y": 0, "tags": ["a"]}}]}
    got["tags"][0]["tags"].append("b")
    assert inner.tags == ["a"] and as_dict(Match("f", "p", "paths")) == {"file": "f", "pattern": "p",
                                                                        "rule": "paths", "status": "M"}
