"""The alert webhook under throttling: Retry-After honoured within a bound, Discord's body hint, limits."""

from __future__ import annotations

import json

import pytest

from deploystate.verify import alerts

from .support import Capture


def _throttling(times: int, headers: dict[str, str], body: bytes = b""):
    """A receiver that answers 429 ``times`` times, then 204."""
    seen = {"n": 0}

    def answer(method, path, got):
        seen["n"] += 1
        if seen["n"] <= times:
            return 429, body, headers
        return 204, b"", {}
    return answer


def test_a_429_with_retry_after_is_waited_for_then_delivered():
    """Slack/Discord 429 + Retry-After: 2 → the alert sleeps 2 s (injected) and the retry is delivered."""
    hook = Capture(_throttling(1, {"Retry-After": "2"}))
    slept: list[float] = []
    try:
        assert alerts.send(hook.url, "verify FAIL api", sleep=slept.append) is None
    finally:
        hook.close()
    assert slept == [2.0]
    assert len(hook.bodies) == 2 and hook.json_bodies()[-1]["content"] == "verify FAIL api"


def test_discords_json_retry_after_is_read_when_no_header_says_it():
    """Discord's body {"retry_after": 0.5} is honoured when the header is absent."""
    hook = Capture(_throttling(1, {"Content-Type": "application/json"}, json.dumps({"retry_after": 0.5}).encode()))
    slept: list[float] = []
    try:
        assert alerts.send(hook.url, "x", sleep=slept.append) is None
    finally:
        hook.close()
    assert slept == [0.5]


def test_a_wait_past_the_bound_gives_up_at_once_and_says_why():
    """Retry-After: 3600 is past the bound: no sleep, one request, the problem names the 429 and the bound."""
    hook = Capture(_throttling(5, {"Retry-After": "3600"}))
    slept: list[float] = []
    try:
        problem = alerts.send(hook.url, "x", sleep=slept.append)
    finally:
        hook.close()
    assert slept == [] and len(hook.bodies) == 1
    assert problem and "429" in problem and "3600" in problem


def test_a_webhook_that_keeps_throttling_is_tried_a_bounded_number_of_times():
    """Always 429 with Retry-After: 1 → exactly TRIES requests, then a problem (never a loop)."""
    hook = Capture(_throttling(100, {"Retry-After": "1"}))
    slept: list[float] = []
    try:
        problem = alerts.send(hook.url, "x", sleep=slept.append)
    finally:
        hook.close()
    assert len(hook.bodies) == alerts.TRIES and problem and "throttled" in problem
    assert sum(slept) <= alerts.MAX_WAIT


def test_other_http_errors_are_not_retried():
    """A 404 (a deleted webhook) is reported after one request."""
    hook = Capture(lambda m, p, b: (404, b"", {}))
    try:
        problem = alerts.send(hook.url, "x", sleep=lambda s: pytest.fail("slept on a 404"))
    finally:
        hook.close()
    assert problem == "webhook answered HTTP 404" and len(hook.bodies) == 1


@pytest.mark.parametrize("headers, body, expected", [
    ({"Retry-After": "7"}, b"", 7.0),
    ({"retry-after": "1.5"}, b"", 1.5),
    ({}, b'{"retry_after": 0.25, "global": false}', 0.25),
    ({"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT"}, b"", 10.0),
    ({}, b"not json", None),
    ({}, b'{"retry_after": true}', None),
])
def test_retry_after_reads_seconds_dates_and_discords_body(headers, body, expected):
    """Retry-After as seconds or an HTTP date (relative to now), else Discord's JSON retry_after."""
    now = 1445412480.0  # 07:28:00 GMT that day
    assert alerts.retry_after(headers, body, now=now) == expected


def test_the_message_fits_discords_2000_characters():
    """A long message is cut to 2,000 characters (Discord's limit, inside Slack's) with the marker."""
    body = alerts.payload("x" * 5000)
    assert len(body["content"]) == alerts.LIMIT and body["content"].endswith(alerts.MARKER)
