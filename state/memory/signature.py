"""Failure signatures: "the same failure" recognised across sessions, services and reworded logs (pure).

A signature keeps what identifies a failure (exception type and message, pod
reason, meaningful exit code) and replaces what changes on every occurrence
(addresses, ids, uuids, timestamps, line numbers, numbers, paths, hosts) with
placeholders. Two tracebacks of the same bug a week apart give the same string;
a different exception type or a different message gives a different one.
"""

from __future__ import annotations

import re

MAX_MESSAGE = 160

# Exit codes whose meaning is the signal (128 + signal number), named like Kubernetes and Docker do.
EXIT_REASONS = {137: "OOMKilled", 139: "SIGSEGV", 143: "SIGTERM", 134: "SIGABRT", 126: "NotExecutable",
                127: "CommandNotFound"}
POD_REASONS = ("OOMKilled", "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError",
               "CreateContainerError", "InvalidImageName", "RunContainerError", "ContainerCannotRun",
               "DeadlineExceeded", "Evicted", "FailedScheduling", "FailedMount", "Unschedulable",
               "BackOff", "NodeLost", "Preempting", "Error")
_POD_REASON = re.compile(r"\b(" + "|".join(POD_REASONS[:-1]) + r")\b")
_POD_ERROR = re.compile(r"(?i)\breason:\s*Error\b")

_EXIT = re.compile(r"(?i)(?:exit(?:ed)?(?:\s+with)?\s*(?:code|status)?\s*[:=]?\s*\(?|exitcode\s*[:=]\s*|"
                   r"returned\s+non-zero\s+exit\s+status\s+)(\d{1,3})\b")
# "pkg.mod.SomeError: message", "TypeError: x is not a function", "java.lang.IllegalStateException: ..."
_EXCEPTION = re.compile(
    r"(?m)^[ \t]*(?:Caused by:\s*|Exception in thread \"[^\"]*\"\s*|Uncaught\s+|raise\s+)?"
    r"((?:[A-Za-z_][\w]*\.)*[A-Z][\w]*(?:Error|Exception|Exit|Interrupt|Fault|Failure|Timeout|Refused|"
    r"Killed|NotFound|Denied|Invalid|Closed))\b(?:\s*[:(]\s*(.*))?$")
# The same shape anywhere in a line ("... raised ConnectionRefusedError: [Errno 111] ..."), used as a fallback.
_EXCEPTION_INLINE = re.compile(r"\b((?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception)):\s*(.*)$", re.M)
_PANIC = re.compile(r"(?m)^\s*(panic|fatal error|FATAL|Fatal|Segmentation fault)\b:?\s*(.*)$")
_ERRORISH = re.compile(r"(?i)\b(error|fatal|failed|failure|refused|timed out|timeout|denied|unreachable|"
                       r"not found|no such|cannot|can't|unable)\b")

_NORMALISE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"), "<ts>"),
    (re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b"), "<ts>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.I), "<addr>"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"(?:[A-Za-z]:)?(?:[\w.~-]*/){1,}[\w.~-]+"), "<path>"),  # /app/x.py, ./a/b, C:/x
    (re.compile(r"\bline \d+\b", re.I), "line <n>"),
    # Kubernetes pod names: <deployment>-<replicaset hash>-<5 random chars>
    (re.compile(r"\b([a-z0-9]+(?:-[a-z0-9]+)*?)-[0-9a-z]{6,10}-[0-9a-z]{5}\b"), r"\1-<pod>"),
    (re.compile(r"\b\d+(?:\.\d+)?([a-z]{1,3})\b", re.I), r"<n>\1"),  # 17ms, 2Gi, 512Mi
    (re.compile(r"\b(?=[0-9a-z]*\d)(?=[0-9a-z]*[a-z])[0-9a-z]{6,}\b", re.I), "<id>"),  # pod-7f9c8d, ids
    (re.compile(r"\b\d+(?:\.\d+)*\b"), "<n>"),
]
_SPACES = re.compile(r"\s+")


def normalise(message: str) -> str:
    """Replace the volatile parts of one message with placeholders; lower case, single spaces."""
    text = message
    for pattern, repl in _NORMALISE:
        text = pattern.sub(repl, text)
    text = _SPACES.sub(" ", text).strip().lower()
    return text[:MAX_MESSAGE].rstrip()


def _exception(text: str) -> str | None:
    """The last exception line (Python prints the one that ended the program last)."""
    found = None
    for m in _EXCEPTION.finditer(text):
        name = m.group(1).rsplit(".", 1)[-1] if m.group(1).count(".") else m.group(1)
        message = (m.group(2) or "").strip().rstrip(")") if m.group(2) is not None else ""
        found = f"{name}: {normalise(message)}" if message else name
    if found is None:
        for m in _EXCEPTION_INLINE.finditer(text):
            message = normalise(m.group(2))
            name = m.group(1).rsplit(".", 1)[-1]
            found = f"{name}: {message}" if message else name
    if found is None:
        m = None
        for m in _PANIC.finditer(text):
            pass
        if m is not None:
            found = f"{m.group(1).lower()}: {normalise(m.group(2))}".rstrip(": ")
    return found


def _exit_reason(text: str) -> str | None:
    codes = [int(m.group(1)) for m in _EXIT.finditer(text)]
    codes = [c for c in codes if c != 0]
    if not codes:
        return None
    code = codes[-1]
    return EXIT_REASONS.get(code, f"exit {code}")


def _pod_reason(text: str) -> str | None:
    reasons = _POD_REASON.findall(text)
    if reasons:
        # OOMKilled explains a CrashLoopBackOff, not the other way round: report the root cause.
        return "OOMKilled" if "OOMKilled" in reasons else reasons[-1]
    return "Error" if _POD_ERROR.search(text) else None


def _error_line(text: str) -> str | None:
    for line in reversed(text.splitlines()):
        if _ERRORISH.search(line):
            norm = normalise(line)
            if norm:
                return f"error: {norm}"
    return None


def failure_signature(text: str | None) -> str | None:
    """A stable signature of the failure described by ``text`` (logs, traceback, pod status), or None.

    Parts, in order, joined by " | ": the pod reason, the exit reason (137 is
    OOMKilled), and the exception type with its normalised message. With none
    of those, the last line that reads like an error, normalised."""
    if not text or not str(text).strip():
        return None
    text = str(text)[-200_000:]  # the end of a log is where the failure is
    parts: list[str] = []
    pod = _pod_reason(text)
    exit_reason = _exit_reason(text)
    if pod:
        parts.append(pod)
    if exit_reason and exit_reason != pod:
        parts.append(exit_reason)
    exc = _exception(text)
    # "OOMKilled" also reads as an exception name (it ends in "Killed"): one cause, said once, so the
    # signature of a verdict and of an attempt quoting the same status line are the same string.
    if exc and exc.split(":", 1)[0].strip() not in parts:
        parts.append(exc)
    if not parts:
        line = _error_line(text)
        return line or None
    return " | ".join(dict.fromkeys(parts))
