"""Agent-client hooks: state at session start, no "done" on an unverified deploy, no hook bypass.

``python -m deploystate.hooks agent <client> <event>`` with the client's JSON on
stdin. The decisions are the same for every client (``agentio`` speaks each
one's dialect):

- session-start: the bounded DEPLOYMENT_STATE summary as additional context, or
  a short warning when it cannot be read (never a silent empty context);
- stop: block while a deploy made in this session is unverified or failed, or
  when the last message claims deployment without a passing verification; never
  twice in a row (``stop_hook_active`` / Cursor's ``loop_count``);
- pre-tool (shell): deny ``--no-verify`` (and ``-c core.hooksPath``) on commit,
  push and merge, and deny a ``git push`` the pre-push hook would refuse.
"""

from __future__ import annotations

import os
import sys

from . import agentio
from deploystate import ospath  # str paths: pathlib (with re) would cost every tool call more than Python's start
from deploystate.hooks.shell import shellparse  # claims (regexes) only when a stop hook reads a message
from deploystate.hooks.settings import HookSettings, find

DEFAULT_CONTEXT_BUDGET = 6000  # characters; Claude Code caps injected context at 10,000
Z40 = "0" * 40


def _budget() -> int:
    try:
        value = int(os.environ.get("DEPLOYSTATE_CONTEXT_BUDGET", DEFAULT_CONTEXT_BUDGET))
    except ValueError:
        value = DEFAULT_CONTEXT_BUDGET
    return max(1000, min(value, 9500))


def _redact(text: str) -> str:
    from deploystate.state.ledger.redact import redact
    return redact(text)


# -- session start -------------------------------------------------------------

def _write_session_env(inp: agentio.AgentInput) -> None:
    """Make later shell commands record this session: Claude Code and Codex source this file."""
    path = os.environ.get("CODEX_ENV_FILE") or os.environ.get("CLAUDE_ENV_FILE")
    if not path or not inp.session_id:
        return
    import shlex
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"export DEPLOYSTATE_SESSION={shlex.quote(inp.session_id)}\n"
                     f"export DEPLOYSTATE_CLIENT={shlex.quote(agentio.CLIENT_NAMES[inp.client])}\n")
    except OSError:
        pass


def session_context(settings: HookSettings, cwd: str) -> str:
    """The state summary for a new session, within the budget; a warning when it cannot be read."""
    if not settings.configured:
        return (f"deploystate: no deploystate.toml found from {cwd}, so deployment state is unknown here. "
                "Do not assume anything is deployed, running or verified; `deploystate init` sets it up.")
    try:
        from deploystate.state.config.project import Project
        from deploystate.state.view.render import render
        from deploystate.state.view.view import build_view

        from deploystate.state.tamper import integrity

        project = Project.discover(settings.root_dir)
        view = build_view(project, generated_by="deploystate (session start hook)")
        chain = integrity.status(project)
        header = ("deploystate: the deployment state of this repository, from its ledger. Committed is not "
                  "running; \"deployment successful\" is not \"system working\". Verify (`deploystate verify`) "
                  "before you call anything deployed.\n")
        if not chain.ok:
            header += ("WARNING: the ledger's hash chain does not verify "
                       f"({chain.problems[0] if chain.problems else 'edited records'}): run `deploystate doctor`.\n")
        budget = _budget() - len(header)
        return _redact(header + "\n" + render(view, max(budget, 500)))[: _budget()]
    except Exception as exc:  # noqa: BLE001 - say so instead of injecting nothing
        reason = " ".join(str(exc).split())[:300]
        return (f"deploystate: could not read the deployment state ({type(exc).__name__}: {reason}). "
                "Do not assume anything is deployed or verified; run `deploystate state` to see why.")


# -- stop ------------------------------------------------------------------------

def _session_ids(inp: agentio.AgentInput) -> set[str]:
    return {s for s in (inp.session_id, os.environ.get("DEPLOYSTATE_SESSION")) if s}


def stop_reason(settings: HookSettings, inp: agentio.AgentInput) -> str | None:
    """Why the agent may not finish yet, or None."""
    if inp.stop_active or not settings.configured:
        return None
    from deploystate.state.view import projection

    from deploystate.hooks import gates, snapshot

    snap = snapshot.take(settings.root_dir)
    if snap.error:  # cannot judge: unknown is never "done" (it blocks once; stop_hook_active lets it go)
        return (f"deploystate: could not read the deployment state ({snap.error}), so it cannot tell whether "
                "what you deployed is verified. Run `deploystate state` to see why; before you finish, say plainly "
                "that nothing was verified by deploystate.")
    state, mine = snap.state, _session_ids(inp)
    pending = set(projection.unverified(state)) | set(projection.failed(state))
    own = [name for name in sorted(pending)
           if mine and (state["services"][name].get("deploy") or {}).get("session") in mine]
    if own:
        refusals = gates.running_verified(state, own)
        lines = [f"- {r.what} Next: {r.next}" for r in refusals]
        return ("deploystate: you deployed in this session and it is not verified:\n" + "\n".join(lines)
                + "\nVerify before you finish (`deploystate verify " + " ".join(own) + "`). If it fails or "
                "cannot be verified now, say so plainly: deployed is not working until verification passes.")
    from deploystate.hooks import claims

    message = inp.last_message()
    patterns, _ = claims.compile_patterns(settings.claim_patterns())
    claim = claims.find_claim(message, patterns) if message else None
    if not claim:
        return None
    names = claims.mentioned(message, sorted(set(state["services"]) | set(settings.service_names())))
    refusals = ([] if snap.chain_ok else gates.deploy_gate(state, 1 << 30, False, snap.chain_problems)[:1])
    refusals += gates.running_verified(state, names or None)
    if not refusals:
        return None
    lines = [f"- {r.what} Next: {r.next}" for r in refusals]
    return (f"deploystate: your last message says \"{claim}\", but there is no passing verification for "
            "what runs:\n" + "\n".join(lines) + "\nVerify first, or correct the message to say what is true "
            "(for example \"committed and restarted, not yet verified\").")


# -- pre-tool (shell) ------------------------------------------------------------------

def _git_lines(cwd: str, *args: str) -> list[str]:
    from deploystate.state.git.proc import run
    try:
        res = run(["git", *args], cwd=cwd, timeout=10)
    except Exception:  # noqa: BLE001 - no answer from git: nothing to add
        return []
    return res.stdout.splitlines() if res.ok else []


def push_refs(call: shellparse.GitCall, cwd: str) -> list[tuple[str, str, str, str]]:
    """The (local ref, sha, remote ref, remote sha) lines git would give pre-push for this call."""
    spec = shellparse.push_spec(call)
    if spec.skip:
        return []
    where = ospath.join(cwd, call.cwd) if call.cwd else cwd
    from . import gitrefs

    files = gitrefs.read(where)  # git's own answer read from its files: two processes saved on every push
    if files is not None:
        local, head = files
    else:
        local = {}
        for line in _git_lines(where, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads",
                               "refs/tags"):
            sha, _, ref = line.partition(" ")
            local[ref] = sha
        head = (_git_lines(where, "symbolic-ref", "-q", "HEAD") or [""])[0]
    refs = []
    if spec.all_branches:
        refs += [(r, s, r, Z40) for r, s in local.items() if r.startswith("refs/heads/")]
    if spec.tags:
        refs += [(r, s, r, Z40) for r, s in local.items() if r.startswith("refs/tags/")]
    for refspec in spec.refspecs:
        src, sep, dst = refspec.lstrip("+").partition(":")
        if sep and not src:
            continue  # ":branch" deletes
        dst = dst if sep else src
        if src == "HEAD" and head:
            src = head
        if dst == "HEAD" and head:
            dst = head
        src_ref = next((r for r in (src, f"refs/heads/{src}", f"refs/tags/{src}") if r in local), None)
        sha = local.get(src_ref) if src_ref else ((_git_lines(where, "rev-parse", "-q", "--verify", src)
                                                   or ["unknown"])[0] if not src.startswith("-") else "unknown")
        if dst.startswith("refs/"):
            remote_ref = dst
        elif (src_ref or "").startswith("refs/tags/") or (f"refs/tags/{dst}" in local
                                                          and f"refs/heads/{dst}" not in local):
            remote_ref = f"refs/tags/{dst}"
        else:
            remote_ref = f"refs/heads/{dst}"
        refs.append((src_ref or src, sha, remote_ref, Z40))
    if not spec.refspecs and not spec.all_branches and not spec.tags and head:
        upstream = (_git_lines(where, "rev-parse", "--symbolic-full-name", "@{push}") or [""])[0]
        branch = upstream.split("/", 3)[3] if upstream.startswith("refs/remotes/") and upstream.count("/") >= 3 \
            else head.removeprefix("refs/heads/")
        refs.append((head, local.get(head, "unknown"), f"refs/heads/{branch}", Z40))
    return refs


# git's own sub-commands an agent runs most: never aliases (git refuses to alias a builtin), so no lookup
_COMMON_SUBCOMMANDS = {"status", "log", "diff", "add", "commit", "push", "pull", "fetch", "merge", "rebase", "show",
                       "branch", "checkout", "switch", "restore", "reset", "stash", "tag", "remote", "config", "rev-parse",
                       "clone", "init", "mv", "rm", "grep", "blame", "cherry-pick", "revert", "worktree", "ls-files"}


def _alias_findings(calls: list[shellparse.GitCall], cwd: str) -> list[shellparse.Finding]:
    """Aliases already in git's config (``git ship`` = ``push --no-verify``): expand them and judge the result."""
    found = []
    for call in calls:
        if call.sub in _COMMON_SUBCOMMANDS or call.sub.startswith("-"):
            continue
        value = (_git_lines(ospath.join(cwd, call.cwd) if call.cwd else cwd, "config", "--get", f"alias.{call.sub}") or [""])[0]
        if not value:
            continue
        expanded = value[1:] if value.startswith("!") else f"git {value}"
        inner = shellparse.analyze(expanded + " " + " ".join(call.args)).findings
        if inner or value.startswith("!") and "git" in value:
            why = inner[0].detail if inner else "it runs a shell command that calls git"
            found.append(shellparse.Finding("alias", f"`git {call.sub}` is an alias for `{value}`: {why}"))
    return found


def pre_tool_reason(settings: HookSettings, inp: agentio.AgentInput) -> str | None:
    """Why this shell command must not run, or None. A refusal starts with ``deploystate: denied
    (<category>)`` (see ``shellparse``), so the agent and a test can tell the reasons apart."""
    if not inp.command:
        return None
    analysis = shellparse.analyze(inp.command)
    if not analysis.findings:
        analysis.findings += _alias_findings(analysis.calls, ospath.norm(inp.cwd))
    if analysis.findings:
        first = analysis.findings[0]
        more = "".join(f"; also ({f.category}) {f.detail}" for f in analysis.findings[1:3])
        return (f"deploystate: denied ({first.category}): {first.detail}{more}. deploystate's hooks are what keep "
                "an unverified or failed deploy from being built on: run the plain command (a literal `git "
                "commit`/`git push`, no wrappers or variables around it). If a hook refuses, fix what it names, "
                "or override on the record: DEPLOYSTATE_OVERRIDE=\"<why>\" git ...")
    if not settings.configured:
        return None
    from deploystate.hooks.git import gitpush

    for call in analysis.calls:
        if call.sub != "push" or call.env.get("DEPLOYSTATE_OVERRIDE") or os.environ.get("DEPLOYSTATE_OVERRIDE"):
            continue  # an override is recorded by the pre-push hook itself
        refs = push_refs(call, ospath.norm(inp.cwd))
        deploy, tags = gitpush.classify(refs, settings.deploy_branches(), settings.tag_pattern())
        if not deploy and not tags:
            continue
        _, refusals = gitpush.evaluate(settings, deploy, tags)
        if refusals:
            targets = ", ".join(r[2].split("/", 2)[-1] for r in deploy + tags)
            lines = [f"- {r.what} Next: {r.next}" for r in refusals]
            return (f"deploystate: denied (refused-push): this push to {targets} would be refused by the pre-push "
                    "hook:\n" + "\n".join(lines) + "\nDo what the 'Next' lines say first.")
    return None


# -- entry point --------------------------------------------------------------------------

def run(hook: str, args: list[str]) -> int:
    if len(args) < 2 or args[0] not in agentio.CLIENTS or args[1] not in agentio.EVENTS:
        sys.stderr.write(f"usage: python -m deploystate.hooks agent {{{'|'.join(agentio.CLIENTS)}}} "
                         f"{{{'|'.join(agentio.EVENTS)}}}\n")
        return 2
    client, event = args[0], args[1]
    inp = agentio.parse(client, sys.stdin.read() if not sys.stdin.isatty() else "")
    decision, text = "allow", ""
    try:
        settings = find(inp.cwd)
        if event == "session-start":
            _write_session_env(inp)
            decision, text = "context", session_context(settings, inp.cwd)
        else:
            reason = stop_reason(settings, inp) if event == "stop" else pre_tool_reason(settings, inp)
            if reason:
                decision, text = "block", _redact(reason)
    except Exception as exc:  # noqa: BLE001 - fail closed: pre-tool and stop refuse, session start warns
        from deploystate.hooks.__main__ import agent_failed
        return agent_failed(args, "", f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
                            ) if not (event == "stop" and inp.stop_active) else 0
    out = agentio.render_output(client, event, decision, text)
    if out:
        sys.stdout.write(out + "\n")
    return 0
