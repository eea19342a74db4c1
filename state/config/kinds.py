"""The kinds of value a ``fields`` model checks (standard library only), and the error they raise.

Strict: a TOML value of the wrong type is refused, never converted ("200" or 3.0 or true for an int, 1 or
"yes" for a bool: pydantic's lax mode converted them). A duration is a number of seconds or a string such as
"1h30m" and must be finite. Error types and messages are pydantic's, so ``config._explain`` reads either.
"""

from __future__ import annotations

from deploystate.state.ledger.ids import parse_duration

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

REQUIRED = type("Required", (), {"__repr__": lambda self: "REQUIRED"})()


class Invalid(ValueError):
    """The first validation error, as pydantic would list it."""

    def __init__(self, loc: tuple, type_: str, msg: str, input_: Any = REQUIRED) -> None:
        super().__init__(f"{'.'.join(map(str, loc)) or '(top level)'}: {msg}")
        self.error = {"loc": loc, "type": type_, "msg": msg}
        if input_ is not REQUIRED:
            self.error["input"] = input_

    def within(self, loc: tuple) -> Invalid:
        err = self.error
        return Invalid((*loc, *err["loc"]), err["type"], err["msg"], err.get("input", REQUIRED))

    def errors(self) -> list[dict[str, Any]]:
        return [self.error]


class Kind:
    """How one value is checked: ``validate(value, loc)`` returns the value to keep or raises Invalid."""

    __slots__ = ()

    def validate(self, value: Any, loc: tuple) -> Any:
        raise NotImplementedError


class Scalar(Kind):
    __slots__ = ("name", "types", "what")

    def __init__(self, name: str, types: tuple[type, ...], what: str) -> None:
        self.name, self.types, self.what = name, types, what

    def validate(self, value: Any, loc: tuple) -> Any:
        if isinstance(value, self.types) and (self.name == "bool" or not isinstance(value, bool)):
            return value
        raise Invalid(loc, f"{self.name}_type", f"Input should be a valid {self.what}", value)


STR = Scalar("string", (str,), "string")
INT = Scalar("int", (int,), "integer")
BOOL = Scalar("bool", (bool,), "boolean")


class ListOf(Kind):
    __slots__ = ("item",)

    def __init__(self, item: Kind) -> None:
        self.item = item

    def validate(self, value: Any, loc: tuple) -> Any:
        if not isinstance(value, (list, tuple)):
            raise Invalid(loc, "list_type", "Input should be a valid list", value)
        return [self.item.validate(v, (*loc, i)) for i, v in enumerate(value)]


class DictOf(Kind):
    """A table of string keys to values of one kind."""

    __slots__ = ("value",)

    def __init__(self, value: Kind) -> None:
        self.value = value

    def validate(self, value: Any, loc: tuple) -> Any:
        if not isinstance(value, dict):
            raise Invalid(loc, "dict_type", "Input should be a valid dictionary", value)
        return {STR.validate(k, (*loc, k)): self.value.validate(v, (*loc, k)) for k, v in value.items()}


class Choice(Kind):
    __slots__ = ("choices",)

    def __init__(self, *choices: str) -> None:
        self.choices = choices

    def validate(self, value: Any, loc: tuple) -> Any:
        if isinstance(value, str) and value in self.choices:
            return value
        names = [repr(c) for c in self.choices]
        said = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        raise Invalid(loc, "literal_error", f"Input should be {said}", value)


class Opt(Kind):
    """The inner kind, or None (TOML has no null: only a model built in code passes None)."""

    __slots__ = ("inner",)

    def __init__(self, inner: Kind) -> None:
        self.inner = inner

    def validate(self, value: Any, loc: tuple) -> Any:
        return None if value is None else self.inner.validate(value, loc)


class Nested(Kind):
    __slots__ = ("model",)

    def __init__(self, model: type) -> None:
        self.model = model

    def validate(self, value: Any, loc: tuple) -> Any:
        return self.model._build(value, loc)


class _Any(Kind):
    def validate(self, value: Any, loc: tuple) -> Any:
        return value


class _Duration(Kind):
    """Seconds: a number, or a string such as "90s", "30m", "1h30m" (``parse_duration``); finite."""

    def validate(self, value: Any, loc: tuple) -> Any:
        try:
            seconds = parse_duration(value)
        except (ValueError, TypeError) as exc:
            raise Invalid(loc, "value_error", f"Value error, {exc}", value) from None
        if not seconds < float("inf"):  # nan or inf: no deadline at all (pydantic let them through)
            raise Invalid(loc, "value_error", "Value error, a duration must be a finite number of seconds", value)
        return seconds


_REGEX_SPECIAL = frozenset("\\.^$*+?{}[]|()")


class _Regex(Kind):
    """A string compiled when the config loads: a bad pattern is a config error, not a check that errors later."""

    def validate(self, value: Any, loc: tuple) -> Any:
        STR.validate(value, loc)
        if _REGEX_SPECIAL.isdisjoint(value):
            return value  # no special character: it compiles as the literal it is (re not imported)
        import re

        try:
            re.compile(value)
        except re.error as exc:
            raise Invalid(loc, "value_error", f"Value error, invalid regex {value!r}: {exc}", value) from None
        return value


ANY, DURATION, REGEX = _Any(), _Duration(), _Regex()


class Tagged(Kind):
    """One of the models in ``registry`` (a dict read at validation time), chosen by the value of ``key``."""

    __slots__ = ("registry", "key", "base", "not_table", "unknown")

    def __init__(self, registry: dict[str, type], key: str, base: type, not_table: str,
                 unknown: Callable[[Any], str]) -> None:
        self.registry, self.key, self.base, self.not_table, self.unknown = registry, key, base, not_table, unknown

    def validate(self, value: Any, loc: tuple) -> Any:
        if isinstance(value, self.base):
            return value
        if not isinstance(value, dict):
            raise Invalid(loc, "value_error", f"Value error, {self.not_table}", value)
        tag = value.get(self.key)
        model = self.registry.get(tag) if isinstance(tag, str) else None
        if model is None:
            raise Invalid(loc, "value_error", f"Value error, {self.unknown(tag)}", value)
        return model._build(value, loc)
