"""The timeline reads an event's minute as strptime does, without importing _strptime for the usual shape."""

from __future__ import annotations

from datetime import datetime

from hypothesis import example, given, strategies as st

from deploystate.state.view.timeline import _parse


def _strptime(ts: object) -> datetime | None:
    try:
        return datetime.strptime(ts[:16], "%Y-%m-%dT%H:%M")  # type: ignore[index]
    except (TypeError, ValueError):
        return None


DIGITS = st.text("0123456789", min_size=1, max_size=4)
SHAPED = st.builds(lambda y, mo, d, h, mi, sep, tail: f"{y}-{mo}-{d}{sep}{h}:{mi}{tail}", DIGITS, DIGITS, DIGITS,
                   DIGITS, DIGITS, st.sampled_from(["T", "t", " "]), st.sampled_from(["", ":00Z", ":59.123456+00:00"]))


@given(SHAPED | st.text(max_size=24) | st.none())
@example("2026-12-02T15:36:00Z")
@example("2026-02-30T10:00")
@example("2026-13-01T10:00")
@example("2026-1-2T3:4")
@example("２０２６-12-02T15:36")  # full-width digits: strptime's \d takes them
def test_parse_equals_strptime(ts: str | None) -> None:
    """Every text gives what strptime gives (None where it raises)."""
    assert _parse(ts) == _strptime(ts)
