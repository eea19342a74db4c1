"""Frozen value classes without the dataclasses module (standard library only, no imports at all).

``dataclasses`` imports ``inspect`` (and with it ``ast``, ``dis``, ``tokenize``): about 8 ms of every
hook process, for the handful of small value types the hooks' decision path builds (a git change, a
path match, the one rule's verdict, a finished subprocess). ``Frozen`` gives those the behaviour they
had as ``@dataclass(frozen=True)``: positional or keyword construction with defaults, equality and
hashing by value, a readable repr, and no assignment after construction.
"""

from __future__ import annotations


class Frozen:
    """Subclasses list ``_fields`` (in order) and ``_defaults`` (for the trailing optional ones)."""

    _fields: tuple[str, ...] = ()
    _defaults: dict[str, object] = {}

    def __init__(self, *args: object, **kwargs: object) -> None:
        if len(args) > len(self._fields):
            raise TypeError(f"{type(self).__name__} takes {len(self._fields)} arguments, got {len(args)}")
        values = dict(zip(self._fields, args))
        for key, value in kwargs.items():
            if key not in self._fields or key in values:
                raise TypeError(f"{type(self).__name__} got an unexpected or repeated argument {key!r}")
            values[key] = value
        for name in self._fields:
            if name not in values:
                if name not in self._defaults:
                    raise TypeError(f"{type(self).__name__} missing argument {name!r}")
                values[name] = self._defaults[name]
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable (cannot set {name})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable (cannot delete {name})")

    def _key(self) -> tuple:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({inner})"
