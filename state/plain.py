"""Value classes without the dataclasses module (standard library only, no imports at all).

``dataclasses`` imports ``inspect`` (and with it ``ast``, ``dis``, ``tokenize``): about 8 ms of every
hook process, and of every ``verify`` before its first check starts, for the handful of small value
types those paths build (a git change, a path match, the one rule's verdict, a finished subprocess, an
observation, a measurement). ``Record`` gives those the behaviour they had as ``@dataclass``:
positional or keyword construction with defaults (and a fresh list, dict or Event per instance from
``_factories``), equality by value, a readable repr, and no hash (a mutable value). ``Frozen`` is
``@dataclass(frozen=True)``: the same, hashable, and no assignment after construction.
"""

from __future__ import annotations


class Record:
    """Subclasses list ``_fields`` (in order), ``_defaults`` and ``_factories`` (for the optional ones)."""

    _fields: tuple[str, ...] = ()
    _defaults: dict[str, object] = {}
    _factories: dict[str, object] = {}  # name -> a callable (list, dict, threading.Event) called per instance

    def __init__(self, *args: object, **kwargs: object) -> None:
        # Set in place, no dict of the values first: observing builds several per service on every read.
        fields = self._fields
        given = len(args)
        if given > len(fields):
            raise TypeError(f"{type(self).__name__} takes {len(fields)} arguments, got {given}")
        setter = object.__setattr__
        for name, value in zip(fields, args):
            setter(self, name, value)
        for key, value in kwargs.items():
            if key not in fields or fields.index(key) < given:
                raise TypeError(f"{type(self).__name__} got an unexpected or repeated argument {key!r}")
            setter(self, key, value)
        defaults, factories = self._defaults, self._factories
        for name in fields[given:]:
            if name in kwargs:
                continue
            if name in defaults:
                setter(self, name, defaults[name])
            elif name in factories:
                setter(self, name, factories[name]())  # type: ignore[operator]
            else:
                raise TypeError(f"{type(self).__name__} missing argument {name!r}")

    def _key(self) -> tuple:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  (as a dataclass with eq: mutable, so unhashable)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({inner})"


class Frozen(Record):
    """A ``Record`` that cannot change after construction, hashable by value."""

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable (cannot set {name})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable (cannot delete {name})")

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))


def as_dict(value: object) -> object:
    """``dataclasses.asdict`` for these classes: fields by name, nested values, lists and dicts copied (the
    leaves are the plain JSON-like values observations hold, shared rather than deep-copied)."""
    if isinstance(value, Record):
        return {name: as_dict(getattr(value, name)) for name in value._fields}
    if isinstance(value, list):
        return [as_dict(v) for v in value]
    if isinstance(value, tuple):
        return tuple(as_dict(v) for v in value)
    if isinstance(value, dict):
        return {as_dict(k): as_dict(v) for k, v in value.items()}
    return value
