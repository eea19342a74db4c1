"""A small declarative model layer (standard library only) that deploystate.toml's schema is written in.

A model is a class whose attributes are ``Field`` specs: a kind from ``kinds`` (``STR``, ``INT``,
``BOOL``, ``ListOf``, ``DictOf``, ``Choice``, ``Opt``, ``Nested``, ``DURATION``, ``REGEX``, ``Tagged``), a
default or a factory, bounds (``ge``, ``le``, ``gt``, ``min_length``) and validators; ``@model_check``
methods run on the built instance. Instances are frozen, extra keys are refused, and the API the rest of
the code reads is pydantic's (``model_fields``, ``model_fields_set``, ``model_dump``, ``model_copy``,
``model_validate``). A refusal raises ``kinds.Invalid`` whose ``errors()`` are shaped like pydantic's
(``loc``, ``type``, ``msg``, ``input``). ``server/config_schema.py`` builds pydantic models from the same
specs, for the JSON Schema only; ``tests/state/test_config_differential.py`` holds the two equal.
"""

from __future__ import annotations

from .kinds import (ANY, BOOL, DURATION, INT, REGEX, REQUIRED, STR, Choice, DictOf, Invalid, Kind,  # noqa: F401
                    ListOf, Nested, Opt, Scalar, Tagged)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


class Field:
    """One key of a model: its kind, default (or ``factory``), bounds and validators (value -> value)."""

    __slots__ = ("kind", "default", "factory", "ge", "le", "gt", "min_length", "validators", "name")

    def __init__(self, kind: Kind, default: Any = REQUIRED, *, factory: Callable[[], Any] | None = None,
                 ge: float | None = None, le: float | None = None, gt: float | None = None,
                 min_length: int | None = None, validators: tuple[Callable[[Any], Any], ...] = ()) -> None:
        self.kind, self.default, self.factory, self.validators = kind, default, factory, validators
        self.ge, self.le, self.gt, self.min_length, self.name = ge, le, gt, min_length, ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED and self.factory is None

    def fallback(self) -> Any:
        return self.factory() if self.factory is not None else self.default

    def check(self, value: Any, loc: tuple) -> Any:
        value = self.kind.validate(value, loc)
        for bound, holds, type_, said in ((self.ge, lambda b: value >= b, "greater_than_equal", "greater than or equal to"),
                                          (self.gt, lambda b: value > b, "greater_than", "greater than"),
                                          (self.le, lambda b: value <= b, "less_than_equal", "less than or equal to")):
            if bound is not None and not holds(bound):
                raise Invalid(loc, type_, f"Input should be {said} {bound}", value)
        if self.min_length is not None and len(value) < self.min_length:
            raise Invalid(loc, "too_short", f"List should have at least {self.min_length} item"
                          f"{'' if self.min_length == 1 else 's'} after validation, not {len(value)}", value)
        for validator in self.validators:
            try:
                value = validator(value)
            except Invalid as exc:  # a nested model refused: its own key path, under this field's
                raise exc.within(loc) from None
            except ValueError as exc:
                raise Invalid(loc, "value_error", f"Value error, {exc}", value) from None
        return value


def model_check(method: Callable[[Any], None]) -> Callable[[Any], None]:
    """Mark a method that checks the built instance (raises ValueError), as pydantic's after-validators do."""
    method.__model_check__ = True  # type: ignore[attr-defined]
    return method


def _dump(value: Any) -> Any:
    if isinstance(value, Model):
        return value.model_dump()
    if isinstance(value, list):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, _frozen(v)) for k, v in value.items())
    return value


class Model:
    """Frozen, extra keys refused; fields in declaration order (a subclass's override keeps its place)."""

    model_fields: dict[str, Field] = {}
    _checks: tuple[Callable[[Any], None], ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = dict(cls.model_fields)
        for name, spec in list(vars(cls).items()):
            if isinstance(spec, Field):
                spec.name = name
                fields[name] = spec
                delattr(cls, name)
        cls.model_fields = fields
        cls._checks = cls._checks + tuple(f for f in vars(cls).values() if getattr(f, "__model_check__", False))

    def __init__(self, **data: Any) -> None:
        self._fill(data, ())

    @classmethod
    def model_validate(cls, value: Any) -> Any:
        return cls._build(value, ())

    @classmethod
    def _build(cls, value: Any, loc: tuple) -> Any:
        if isinstance(value, cls):
            return value
        if not isinstance(value, dict):
            raise Invalid(loc, "model_type", f"Input should be a valid dictionary or instance of {cls.__name__}", value)
        made = object.__new__(cls)
        made._fill(value, loc)
        return made

    def _fill(self, data: dict[str, Any], loc: tuple) -> None:
        values = self.__dict__
        for name, spec in self.model_fields.items():
            if name in data:
                values[name] = spec.check(data[name], (*loc, name))
            elif spec.required:
                raise Invalid((*loc, name), "missing", "Field required", data)
            else:
                values[name] = spec.fallback()
        for key in data:
            if key not in self.model_fields:
                raise Invalid((*loc, key), "extra_forbidden", "Extra inputs are not permitted", data[key])
        values["__fields_set__"] = frozenset(k for k in data if k in self.model_fields)
        for check in self._checks:
            try:
                check(self)
            except ValueError as exc:
                raise Invalid(loc, "value_error", f"Value error, {exc}", data) from None

    @property
    def model_fields_set(self) -> set[str]:
        return set(self.__dict__["__fields_set__"])

    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        """Every field, nested models as dicts (the values are JSON's already: ``mode`` changes nothing)."""
        return {name: _dump(self.__dict__[name]) for name in self.model_fields}

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Any:
        """A copy with ``update`` applied unvalidated, as pydantic's model_copy does."""
        import copy  # only here (a command's start-up does not need it)

        made = object.__new__(type(self))
        made.__dict__.update(copy.deepcopy(self.__dict__) if deep else self.__dict__)
        made.__dict__.update(update or {})
        made.__dict__["__fields_set__"] = self.__dict__["__fields_set__"] | set(update or ())
        return made

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(self.__dict__[n] == other.__dict__[n] for n in self.model_fields)

    def __hash__(self) -> int:
        return hash((type(self), tuple(_frozen(self.__dict__[n]) for n in self.model_fields)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={self.__dict__[n]!r}' for n in self.model_fields)})"
