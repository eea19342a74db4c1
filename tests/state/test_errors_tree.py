"""The error tree is one tree, whether a class is defined in errors.py or loaded on first use (errors.RARE)."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

from deploystate.state import errors

# name -> its parent: the whole public tree, as it was when all of it lived in errors.py
TREE = {"DeploystateError": Exception, "InputError": "DeploystateError", "ConfigError": "DeploystateError",
        "StateMissing": "DeploystateError", "LedgerError": "DeploystateError", "ChainBroken": "LedgerError",
        "GitError": "DeploystateError", "CommandError": "DeploystateError", "CommandTimeout": "CommandError",
        "CommandNotFound": "CommandError", "PlatformError": "DeploystateError",
        "PlatformUnreachable": "PlatformError", "TargetNotFound": "PlatformError", "Refused": "DeploystateError"}


@pytest.mark.parametrize("name", sorted(TREE))
def test_every_class_is_importable_from_errors_with_its_parent(name):
    """Each class of the tree is an attribute of deploystate.state.errors (from-importable), names that module
    as its own, has its parent, and pickles by reference to the very same class."""
    cls = getattr(errors, name)
    exec(f"from deploystate.state.errors import {name} as again", ns := {})  # noqa: S102 - a fixed name
    parent = TREE[name] if isinstance(TREE[name], type) else getattr(errors, TREE[name])
    assert ns["again"] is cls and cls.__bases__ == (parent,) and cls.__module__ == "deploystate.state.errors"
    assert pickle.loads(pickle.dumps(cls)) is cls and name in dir(errors)


def test_a_lazily_loaded_class_is_caught_by_its_parents_except():
    """``except LedgerError`` catches ChainBroken, ``except DeploystateError`` a Refused; message and hint kept."""
    with pytest.raises(errors.LedgerError) as exc:
        raise errors.ChainBroken("edited", "run doctor")
    assert str(exc.value) == "edited\n  next: run doctor" and exc.value.exit_code == 1
    try:
        raise errors.Refused("no pass")
    except errors.DeploystateError as caught:
        assert type(caught).__name__ == "Refused"


def test_an_unknown_name_is_still_an_attribute_error():
    """A name outside the tree raises AttributeError (hasattr is False), as for any module."""
    assert not hasattr(errors, "NoSuchError")
    with pytest.raises(ImportError):
        exec("from deploystate.state.errors import NoSuchError", {})  # noqa: S102


def test_importing_errors_creates_only_the_classes_a_hook_can_raise():
    """A fresh import of errors defines the hook path's classes and leaves RARE's module unloaded."""
    code = ("import sys\nfrom deploystate.state import errors\n"
            "print('deploystate.state.errors_rare' in sys.modules, sorted(n for n in errors.RARE if n in vars(errors)))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.stdout.split() == ["False", "[]"], res.stderr
    assert errors.RARE == {n for n, parent in TREE.items()} - {"DeploystateError", "InputError", "ConfigError",
                                                              "StateMissing", "LedgerError", "GitError", "CommandError"}
