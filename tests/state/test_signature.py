"""Failure signatures: equal across volatile parts, different across genuinely different failures."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from deploystate.state.memory.signature import failure_signature, normalise

PY_TRACE = """Traceback (most recent call last):
  File "{path}/worker/tasks.py", line {line}, in run
    loop.run_until_complete(job({id}))
  File "{path}/lib/asyncio/base_events.py", line {line2}, in run_until_complete
{exc}: {msg}"""

# Exception names and message words that normalisation must keep apart (letters only: no digits or hex).
EXC_NAMES = st.sampled_from(["RuntimeError", "ValueError", "KeyError", "TimeoutError", "ConnectionError",
                             "OperationalError", "PermissionError", "ImportError", "AttributeError"])
WORD = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=10).filter(
    lambda w: not all(c in "abcdef" for c in w))  # all-hex words could read as ids; real words rarely are
MESSAGE = st.lists(WORD, min_size=1, max_size=6).map(" ".join)
VOLATILE = st.fixed_dictionaries({
    "path": st.sampled_from(["/app", "/srv/app", "/home/runner/work/app", "/usr/local/lib/python3.11"]),
    "line": st.integers(1, 99999), "line2": st.integers(1, 99999),
    "id": st.uuids().map(str),
    "addr": st.integers(0x1000, 2**48).map(hex),
    "ts": st.datetimes().map(lambda d: d.isoformat(timespec="seconds") + "Z"),
    "n": st.integers(0, 10**9),
})


def _trace(exc: str, msg: str, v: dict) -> str:
    detail = f"{msg} at {v['addr']} on {v['ts']} (request {v['id']}, {v['n']} bytes)"
    return PY_TRACE.format(path=v["path"], line=v["line"], line2=v["line2"], id=v["id"], exc=exc, msg=detail)


@settings(max_examples=150, deadline=None)
@given(EXC_NAMES, MESSAGE, VOLATILE, VOLATILE)
def test_same_failure_same_signature_across_volatile_parts(exc: str, msg: str, v1: dict, v2: dict) -> None:
    """Addresses, ids, timestamps, line numbers, numbers and paths never change the signature."""
    s1, s2 = failure_signature(_trace(exc, msg, v1)), failure_signature(_trace(exc, msg, v2))
    assert s1 is not None and s1 == s2
    assert s1.startswith(exc + ": ") and msg in s1


@settings(max_examples=150, deadline=None)
@given(EXC_NAMES, EXC_NAMES, MESSAGE, MESSAGE, VOLATILE)
def test_different_failures_differ(exc1: str, exc2: str, msg1: str, msg2: str, v: dict) -> None:
    """A different exception type or a different message is a different failure."""
    same = exc1 == exc2 and msg1 == msg2
    s1, s2 = failure_signature(_trace(exc1, msg1, v)), failure_signature(_trace(exc2, msg2, v))
    assert (s1 == s2) == same


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.text(alphabet=string.ascii_lowercase + "0123456789", min_size=5, max_size=5))
def test_pod_oomkilled_is_one_signature(restarts: int, suffix: str) -> None:
    """OOMKilled in a pod status and exit code 137 in a container log are the same failure."""
    pod = f"State: Running Last State: Terminated Reason: OOMKilled Exit Code: 137 Restart Count: {restarts}"
    log = f"worker-{suffix} exited with code 137"
    assert failure_signature(pod) == failure_signature(log) == "OOMKilled"


def test_known_shapes() -> None:
    """Pod reasons, exit codes, panics, Java and inline exceptions each give a readable signature."""
    assert failure_signature("Back-off restarting failed container api-7f9c8d6b5-x2x4z: CrashLoopBackOff") \
        == "CrashLoopBackOff"
    assert failure_signature("Failed to pull image: ErrImagePull then ImagePullBackOff") == "ImagePullBackOff"
    assert failure_signature("process exited with code 3") == "exit 3"
    assert failure_signature("container exited with code 143") == "SIGTERM"
    assert failure_signature("panic: runtime error: index out of range [5] with length 3") \
        == "panic: runtime error: index out of range [<n>] with length <n>"
    assert failure_signature('Exception in thread "main" java.lang.IllegalStateException: bad state id=12345') \
        == "IllegalStateException: bad state id=<n>"
    assert failure_signature("<Task at 0x7f3a2b> raised ConnectionRefusedError: [Errno 111] refused 10.0.0.3:5432") \
        == "ConnectionRefusedError: [errno <n>] refused <ip>"
    assert failure_signature("OOMKilled; CrashLoopBackOff") == "OOMKilled"  # the root cause, not the symptom


def test_error_lines_and_nothing() -> None:
    """Without an exception the last error-like line is the signature; healthy text has none."""
    assert failure_signature("curl: (7) Failed to connect to localhost port 8080: Connection refused") \
        == "error: curl: (<n>) failed to connect to localhost port <n>: connection refused"
    assert failure_signature("all 3 checks passed in 2.1s") is None
    assert failure_signature("") is None and failure_signature(None) is None


def test_normalise_placeholders() -> None:
    """Each volatile shape has its own placeholder, and text is lower-cased and single-spaced."""
    text = normalise("Pod  web-5d9f7c-abcde at 2024-01-02T03:04:05Z uuid 123e4567-e89b-12d3-a456-426614174000 "
                     "/var/log/app.log line 42 0xDEADBEEF 1.2.3.4:80 took 17ms")
    assert text == "pod web-<pod> at <ts> uuid <uuid> <path> line <n> <addr> <ip> took <n>ms"


def test_oomkilled_said_once_whatever_the_wording() -> None:
    """A verdict's evidence naming OOMKilled on its own line gives "OOMKilled", as the attempt text does."""
    evidence = "web: exited (137)\nreason: OOMKilled\nOOMKilled"
    assert failure_signature(evidence) == "OOMKilled"
    assert failure_signature("container web OOMKilled (exit 137)\nOOMKilled") == "OOMKilled"
    assert failure_signature("OOMKilled Exit Code: 137") == failure_signature(evidence)
