"""What the hooks refuse, decided from the projection alone (pure: no I/O, no git).

Every refusal names the service, the commit and when, and the exact next
command, because a refusal an agent cannot act on just teaches it --no-verify.
Until a verification record exists for a deploy, that deploy counts as
unverified: "no passing verification" is the default state of everything.

Whether a passing verification still covers HEAD is the one rule of ``state.headcode`` (same content for
the service's paths, not the same commit id), judged by ``snapshot.take`` into ``state["headcode"]`` (the
git part); a passing service with no such verdict is refused: nothing shows it runs HEAD's code.
"""

from __future__ import annotations

from deploystate.state.view import projection


def short(commit: str | None) -> str:
    """``render.short``, imported when a message is written: an allowed push never loads render (~0.7M)."""
    from deploystate.state.view.render import short as text

    return text(commit)


def day(ts: str | None) -> str:
    """``render.day``, imported when a message is written."""
    from deploystate.state.view.render import day as text

    return text(ts)


class Refusal:
    """One reason to refuse: what is wrong, and the command that fixes it."""

    __slots__ = ("what", "next", "service", "commit")

    def __init__(self, what: str, next: str, service: str | None = None, commit: str | None = None) -> None:
        self.what, self.next, self.service, self.commit = what, next, service, commit

    def line(self) -> str:
        return f"{self.what} Next: {self.next}"

    def __repr__(self) -> str:
        return f"Refusal({self.what!r})"


def _one_line(text: str | None, limit: int = 160) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def same_commit(a: str | None, b: str | None) -> bool:
    """Full shas compare equal; an abbreviated one (7+) matches as a prefix."""
    if not a or not b:
        return False
    a, b = a.lower(), b.lower()
    return a == b or (min(len(a), len(b)) >= 7 and (a.startswith(b) or b.startswith(a)))


def _failed(name: str, svc: dict) -> Refusal:
    ver, dep = svc.get("verification"), svc.get("deploy")
    if ver and ver["verdict"] == "fail" and (not dep or ver["id"] > dep["id"]):
        checks = ", ".join(ver.get("failed_checks") or [])
        detail = f" — {_one_line(ver.get('summary'))}" if ver.get("summary") else ""
        detail += f" (failed checks: {_one_line(checks, 120)})" if checks else ""
        return Refusal(f"verification of `{name}` at {short(ver.get('commit'))} FAILED on {day(ver.get('ts'))}"
                       f"{detail}, and nothing since has resolved it.",
                       f"fix the cause, `deploystate restart {name}` then `deploystate verify {name}` "
                       f"(or roll back: `deploystate rollback {name}`); record what you tried with "
                       "`deploystate attempt add`.", name, ver.get("commit"))
    dep = dep or {}
    return Refusal(f"the restart of `{name}` at {short(dep.get('commit'))} FAILED on {day(dep.get('ts'))}"
                   f"{' — ' + _one_line(dep.get('reason')) if dep.get('reason') else ''}.",
                   f"fix it, then `deploystate restart {name}` and `deploystate verify {name}` "
                   f"(or `deploystate rollback {name}`).", name, dep.get("commit"))


def _unverified(name: str, svc: dict) -> Refusal:
    ver, dep = svc.get("verification"), svc.get("deploy")
    if ver and ver["verdict"] != "pass" and (not dep or ver["id"] > dep["id"]):
        said = ("INCONCLUSIVE (unknown evidence is never a pass)" if ver["verdict"] == "inconclusive" else
                f"`{_one_line(ver['verdict'], 40)}`, which is not a pass")
        return Refusal(f"verification of `{name}` at {short(ver.get('commit'))} on {day(ver.get('ts'))} was "
                       f"{said}: {_one_line(ver.get('summary'))}.",
                       f"make the evidence reachable, then `deploystate verify {name}`.", name, ver.get("commit"))
    dep = dep or {}
    who = dep.get("author") or "unknown"
    return Refusal(f"`{name}` was restarted at {short(dep.get('commit'))} on {day(dep.get('ts'))} by {who} "
                   f"({dep.get('strategy') or 'restart'}) and has no verification since.",
                   f"`deploystate verify {name}`.", name, dep.get("commit"))


def deploy_gate(state: dict, threshold: int, chain_ok: bool, chain_problems: list[str]) -> list[Refusal]:
    """Why a push to a deploy branch must wait: broken chain, doom loop, failed, unverified."""
    out: list[Refusal] = []
    if not chain_ok:
        first = chain_problems[0] if chain_problems else "a record was changed, deleted or reordered"
        out.append(Refusal(f"the ledger's hash chain does not verify ({_one_line(first, 200)}), so no verdict "
                           "in it can be trusted.", "`deploystate doctor` to see what was changed and repair it."))
    if projection.doom_loop(state, threshold):
        looping = projection.doom_services(state, threshold)
        fails = projection.doom_failures(state, threshold)
        last = fails[-1] if fails else {}
        latest = (f" Latest: `{last.get('service')}` at {short(last.get('commit'))} on {day(last.get('ts'))}"
                  f" — {_one_line(last.get('summary'), 120)}." if last else "")
        said = ", ".join(f"`{n}` {state['services'][n]['fail_streak']}" for n in looping)
        out.append(Refusal(f"DOOM LOOP: verifications failed in a row with no pass between: {said} "
                           f"(threshold {threshold}).{latest}",
                           "stop. Read 'What was tried and failed' in DEPLOYMENT_STATE.md, then check your next "
                           "idea with `deploystate attempt check --summary \"...\"` before changing anything."))
    services = state["services"]
    out += [_failed(name, services[name]) for name in projection.failed(state)]
    out += [_unverified(name, services[name]) for name in projection.unverified(state)]
    out += [_runtime(name, why) for name, why in sorted((state.get("runtime") or {}).items())
            if "not working" in why and name not in projection.failed(state)]
    return out


def _runtime(name: str, why: str) -> Refusal:
    """The stored runtime observation (hooks never ask a runtime) says ``name`` is not deployed."""
    return Refusal(f"`{name}`: {why}", f"`deploystate state` to see what runs now, then `deploystate restart "
                                       f"{name}` and `deploystate verify {name}`.", name)


def _not_head(name: str, ver: dict, rule: dict) -> Refusal:
    """The passing verification of ``name`` does not cover HEAD's code for it (or nothing shows it does)."""
    said = f"`{name}` passed verification at {short(ver.get('commit'))} on {day(ver.get('ts'))}"
    if rule.get("status") == "not_head":
        files = ", ".join(rule.get("files") or [])[:200]
        return Refusal(f"{said}, but HEAD changed {files or 'its files'} for `{name}` since: committed, not "
                       "running.", f"`deploystate restart {name}` then `deploystate verify {name}`.", name,
                       ver.get("commit"))
    why = _one_line(rule.get("reason") or "its verified commit was not compared with HEAD", 200)
    return Refusal(f"{said}, but it cannot be told whether that is HEAD's code for `{name}`: {why}.",
                   f"`deploystate verify {name}`.", name, ver.get("commit"))


def running_verified(state: dict, names: list[str] | None = None) -> list[Refusal]:
    """Services (``names``, default: every deployed one) whose running commit lacks a passing verification."""
    services = state["services"]
    candidates = list(names) if names else [n for n, s in sorted(services.items())
                                            if s.get("deploy") or s.get("verification")]
    if not candidates:
        return [Refusal("deploystate has no record of any deploy or verification, so nothing is known to be "
                        "deployed or working.", "restart what changed (`deploystate restart --affected`), then "
                        "`deploystate verify`.")]
    out = []
    for name in candidates:
        svc = services.get(name)
        if not svc or not (svc.get("deploy") or svc.get("verification")):
            out.append(Refusal(f"`{name}` has never been deployed or verified through deploystate.",
                               f"`deploystate restart {name}` then `deploystate verify {name}`.", name))
            continue
        ver, dep = svc.get("verification"), svc.get("deploy")
        if name in projection.failed(state):
            out.append(_failed(name, svc))
        elif name in projection.unverified(state) or not ver:
            out.append(_unverified(name, svc))
        elif ver["verdict"] != "pass":
            out.append(_unverified(name, svc))
        elif dep and ver["id"] < dep["id"]:
            out.append(_unverified(name, svc))
        elif (rule := (state.get("headcode") or {}).get(name) or {}).get("status") != "runs_head":
            out.append(_not_head(name, ver, rule))
    runtime = state.get("runtime") or {}
    refused = {r.service for r in out}
    out += [_runtime(name, runtime[name]) for name in (list(names) if names else sorted(runtime))
            if name in runtime and name not in refused]
    return out


def commit_verdict(state: dict, commit: str) -> str | None:
    """What the projection says of ``commit``: 'pass' when every service that verified it lately
    passed, the worst other verdict when one did not, None when no service verified it."""
    verdicts = []
    for svc in state["services"].values():
        ver, verified = svc.get("verification"), svc.get("verified")
        if ver and same_commit(ver.get("commit"), commit):
            verdicts.append(ver["verdict"])
        elif verified and same_commit(verified.get("commit"), commit):
            verdicts.append("pass")
    for worst in ("fail", "inconclusive"):
        if worst in verdicts:
            return worst
    return "pass" if verdicts else None


def tag_refusal(tag: str, commit: str, verdict: str | None) -> Refusal | None:
    """Refuse a deployed/* tag unless ``commit`` has a passing verification."""
    if verdict == "pass":
        return None
    why = ("its latest verification did not pass (" + verdict + ")" if verdict
           else "deploystate has no passing verification of it")
    return Refusal(f"tag `{tag}` marks {short(commit)} as deployed, but {why}.",
                   "restart and `deploystate verify` the services running it; tag only after a pass "
                   "(`deploystate mark-deployed` refuses for the same reason).", None, commit)


def report(title: str, refusals: list[Refusal], override_example: str, note: str = "") -> str:
    """The refusal text: numbered reasons, each with its next command, and how to override."""
    lines = [f"deploystate: {title}", ""]
    for i, r in enumerate(refusals, 1):
        lines.append(f"  {i}. {r.what}")
        lines.append(f"     next: {r.next}")
    lines += ["", "Committed is not running; \"deployment successful\" is not \"system working\".",
              "To override (recorded in the ledger and shown in DEPLOYMENT_STATE.md, never silent):",
              f"  {override_example}", ""]
    return "\n".join(lines) + note
