"""``--ci`` output: a verification as CI logs read it (pure: same report, same lines).

On GitHub Actions (``GITHUB_ACTIONS=true``) each service is a collapsible group and each verdict an
annotation (``::error``, ``::warning``, ``::notice``) that shows on the run's summary page; elsewhere
(Cloud Build, GitLab, Jenkins) the same facts are plain, greppable lines. Messages are escaped as the
workflow-command syntax requires, so a log line cannot start a command of its own.
"""

from __future__ import annotations

from typing import Any

LEVEL = {"pass": "notice", "inconclusive": "warning", "fail": "error"}
WORD = {"pass": "PASS", "inconclusive": "INCONCLUSIVE", "fail": "FAIL"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def lines(report: dict[str, Any], *, github: bool) -> list[str]:
    """The lines for ``report`` (a VerifyReport as a dict): annotations on GitHub, plain text elsewhere."""
    out: list[str] = []
    for sv in report.get("services", []):
        name, verdict = str(sv.get("service", "?")), str(sv.get("verdict", "inconclusive"))
        word = WORD.get(verdict, verdict.upper())
        head = f"{word} {name}: {sv.get('summary', '')}".strip()
        details = [str(x) for x in (sv.get("failed_checks") or [])][:20]
        running = sv.get("running_revision")
        expected = sv.get("commit")
        facts = f"running {str(running)[:12] if running else 'unknown'}, expected {str(expected)[:12] if expected else 'unknown'}"
        if github:
            out.append(f"::group::deploystate verify {escape_data(name)}: {word}")
            out.extend(f"  {escape_data(d)}" for d in details)
            out.append(f"  {facts}")
            out.append("::endgroup::")
            body = "\n".join([head, *details[:5], facts])
            out.append(f"::{LEVEL.get(verdict, 'error')} title={escape_property('deploystate verify ' + name)}::"
                       f"{escape_data(body)}")
        else:
            out.append(f"deploystate: {head} ({facts})")
            out.extend(f"deploystate:   {d}" for d in details)
    overall = str(report.get("verdict", "inconclusive"))
    summary = f"deploystate: overall {WORD.get(overall, overall.upper())} ({len(report.get('services', []))} services)"
    if overall != "pass":
        summary += " - the pipeline fails: what runs is not verified"
    out.append(summary)
    return out
