"""The Markdown of ``read_deployment_state`` (pure): what an agent reads top to bottom."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state_summary import ServiceLine, StateOutput


def _cut(text: object, limit: int) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= limit else s[: max(0, limit - 1)] + "…"


def _short(commit: str | None) -> str:
    return commit[:10] if commit else "—"


def _when(ts: str | None) -> str:
    return ts[:16].replace("T", " ") if ts else "—"


def _runtime(s: ServiceLine) -> str:
    if not s.runtime:
        return ""
    if s.runtime == "never":
        return f" [runtime: {_cut(s.runtime_reason, 160)}]"
    when = f", observed {s._age} ago" if s._age else ""
    down = f"; not answering now: {_cut(s.runtime_error, 120)}" if s.runtime_error else ""
    return f" [runtime: {s.runtime} — {_cut(s.runtime_reason, 160)}{when}{down}]"


def text(out: StateOutput) -> str:
    """Markdown an agent reads top to bottom; the summary's own size check guarantees its bound."""
    lines = [f"Status: {out.status} — {out.reason}",
             f"Project {out.project} · HEAD {_short(out.head)} · as of {_when(out.as_of)} UTC · {out.records} records"
             + (f" · runtimes asked {_when(out.observed_at)} UTC" if out.observed_at else "")]
    lines += [f"WARNING: {w}" for w in out.warnings]
    if out.drift:
        lines += ["", "Committed, not running:"]
        for d in out.drift:
            more = f" and {d.count - len(d.files)} more" if d.count > len(d.files) else ""
            lines.append(f"- {d.service} runs {_short(d.running_commit)} (by its {d.source}); HEAD changed {d.count} "
                         "of its files: " + ", ".join(d.files) + more)
    if out.problems:
        lines += ["", "Broken or unverified:"]
        for p in out.problems:
            lines.append(f"- {p.state} {p.service} at {_short(p.commit)} ({_when(p.ts)}): {p.detail}")
            lines += [f"  - failed check: {c}" for c in p.failed_checks]
    doom = out.doom_loop
    lines += ["", f"Doom loop: {'YES' if doom.active else 'no'} ({doom.streak} failed verifications in a row, "
                  f"threshold {doom.threshold})" + (" — STOP and read what was tried before changing anything."
                                                    if doom.active else "")]
    lines += [f"- {_when(f.ts)} {f.service} at {_short(f.commit)}: {f.summary}" for f in doom.failures]
    if out.failed_attempts:
        lines += ["", f"Tried and failed ({len(out.failed_attempts)} of {out.failed_attempts_total}, newest first):"]
        for a in out.failed_attempts:
            where = f" ({', '.join(a.services)})" if a.services else ""
            dup = f" ⚠ repeats {', '.join(a.similar_to)}" if a.similar_to else ""
            files = f" files: {', '.join(a.files)}" if a.files else ""
            lines.append(f"- [{a.id}] {_when(a.ts)}{where}: {a.summary}{files}{dup}")
    if out.overdue_rechecks:
        lines += ["", "Recheck overdue: " + ", ".join(out.overdue_rechecks)]
    if out.sessions:
        lines += ["", "Last sessions:"]
        for s in out.sessions:
            lines.append(f"- {s.session_id} ({s.status}, started {_when(s.started)}): {s.goal}")
            lines += [f"  - {k}: {v}" for k, v in (("did", s.did), ("broke", s.broke), ("next", s.next)) if v]
    if out.services:
        lines += ["", "Services: " + "; ".join(
            f"{s.name} " + (f"runs {_short(s.running_commit)} ({s.drift}, last verdict {s.last_verdict or 'none'})"
                            if s.running_commit else s.drift) + _runtime(s) for s in out.services)]
    if out.ledger_problems:
        lines += ["", "Ledger problems:"] + [f"- {p}" for p in out.ledger_problems]
    lines += ["", "Next steps:"] + [f"{i}. {s}" for i, s in enumerate(out.next_steps, 1)]
    if out.left_out:
        lines += ["", "Left out: " + "; ".join(out.left_out)]
    return "\n".join(lines) + "\n"
