"""Plain-text renderings of verification, preflight and health reports (pure), shared by the CLI and MCP."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: importing health and preflight costs `verify` its start-up
    from .health import HealthReport
    from .preflight import PreflightReport
    from .result import CheckResult
    from .service import VerifyReport


def _check_lines(checks: list[CheckResult], indent: str = "  ") -> list[str]:
    order = {"fail": 0, "inconclusive": 1, "pass": 2}
    return [f"{indent}{c.result.upper():<12} {c.name} ({c.type}, {c.duration:.1f}s): {c.summary}"
            for c in sorted(checks, key=lambda c: order.get(c.result, 1))]


def verify_text(report: VerifyReport) -> str:
    lines = [f"VERIFY {report.verdict.upper()}: {len(report.services)} service(s) in {report.duration:.1f}s "
             f"(deadline {report.deadline:g}s)"]
    for sv in report.services:
        rec = " [recheck]" if sv.recheck else ""
        lines.append("")
        lines.append(f"{sv.service}: {sv.verdict.upper()}{rec} at {(sv.commit or 'unknown commit')[:10]} "
                     f"(expected from {sv.expected_from})")
        lines += _check_lines(sv.checks)
        if sv.seen_before:
            lines.append(f"  this failure was {sv.seen_before}")
        if sv.recheck_due:
            lines.append(f"  recheck due {sv.recheck_due} (`deploystate verify --recheck`)")
        if sv.record_id:
            lines.append(f"  recorded as {sv.record_id}")
    lines += ["", f"Status: {report.status} — {report.status_reason}"]
    if report.warnings:
        lines += ["", "Standing warnings:"] + [f"  ! {w}" for w in report.warnings]
    if report.doom_loop:
        lines.append(f"DOOM LOOP on {', '.join(report.doom_services)}: failed verifications in a row:")
        lines += [f"  - {f.get('ts', '')[:16]} {f.get('service')} at {str(f.get('commit') or '?')[:10]}: "
                  f"{f.get('summary', '')[:200]}" for f in report.doom_failures]
    if report.alert_problems:
        lines.append("Alert webhook: " + "; ".join(report.alert_problems))
    lines += ["", "Next:"] + [f"  - {s}" for s in report.next_steps]
    return "\n".join(lines)


def preflight_text(report: PreflightReport) -> str:
    lines = [f"{report.result}: {len(report.checks)} preflight check(s) in {report.duration:.1f}s"]
    if report.failing:
        lines.append("Failing:")
        lines += [f"  - {f}" for f in report.failing]
    lines.append("Checks:")
    lines += _check_lines(report.checks)
    if report.alert_problem:
        lines.append(f"Alert webhook: {report.alert_problem}")
    return "\n".join(lines)


def health_text(report: HealthReport) -> str:
    mins = report.window / 60
    lines = [f"{report.headline}: {report.reason}"]
    lines += [f"WARNING: {w}" for w in report.warnings]
    if report.runtime:
        lines += ["", "Runtime (what each runtime says):"]
        for r in report.runtime:
            when = f", observed {r.age} ago" if r.age and r.verdict != "never" else ""
            down = f"; not answering now: {r.error}" if r.error and r.verdict != "never" else ""
            lines.append(f"  {r.service}: {r.verdict.upper().replace('_', ' ')} — {r.reason}{when}{down}")
    lines += ["", f"Errors in the last {mins:g} minutes:"]
    for s in report.services:
        if s.errors is None:
            lines.append(f"  {s.service}: UNKNOWN ({s.problem})")
        else:
            lines.append(f"  {s.service}: {s.errors} error line(s) in {s.lines_read} lines"
                         + (f" (partial: {s.problem})" if s.problem else ""))
            lines += [f"      {sample}" for sample in s.error_samples[:3]]
    paths = [(s.service, p) for s in report.services for p in s.code_paths]
    lines += ["", "Expected code paths (logs must_match):"]
    if not paths:
        lines.append("  none configured (add must_match to a service's logs check)")
    for name, p in paths:
        seen = "UNKNOWN" if p.seen is None else f"seen {p.count}x" if p.seen else "NOT SEEN"
        lines.append(f"  {name}: {p.pattern!r} {seen}")
    lines += ["", "Deploys not verified: " + (", ".join(report.unverified) or "none"),
              "Failed verification: " + (", ".join(report.broken) or "none"),
              "Overdue rechecks: " + (", ".join(f"{o['service']} (due {o['due'][:16]})"
                                                for o in report.overdue_rechecks) or "none"),
              "", f"Then: status {report.status} — {report.status_reason}"]
    rest = report.everything_else
    for name, commit in (rest.get("running") or {}).items():
        last = (rest.get("last_verdicts") or {}).get(name) or {}
        lines.append(f"  {name}: running {(commit or 'unknown')[:10]}, last verdict "
                     f"{(last.get('verdict') or 'none').upper()} {str(last.get('ts') or '')[:16]}")
    pf = rest.get("preflight")
    if pf:
        lines.append(f"  last preflight: {pf.get('result')} {str(pf.get('ts') or '')[:16]}")
    return "\n".join(lines)
