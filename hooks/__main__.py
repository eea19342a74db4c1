"""``python -m deploystate.hooks <hook> [args...]`` (and the ``deploystate-hook`` launcher): the entry
point the git shims and agent clients call.

Each hook's module is imported only when that hook runs, and the modules keep
their own imports lazy: a commit whose message claims nothing, or a push to a
feature branch, never imports the state package at all.

Two rules hold whatever goes wrong below this file:

- the import path never includes the repository: the working directory and
  PYTHONPATH entries are dropped before anything else is imported, so an app's
  top-level ``token.py`` or ``json.py`` cannot shadow the standard library for
  the guardrail (the git shims also start Python with ``-I``);
- a hook that can block refuses when it fails: git hooks exit 1, agent-client
  pre-tool and stop hooks exit 2 with a one-line reason on stderr (the exit
  status every client reads as "blocked"), never 1, which clients ignore.
"""

from __future__ import annotations

import gc
import os
import sys

# hook name -> the module that runs it (full names, so a move of the module rewrites them too);
# each module has run(hook, args) -> exit code
HOOKS = {
    "pre-push": "deploystate.hooks.git.gitpush",
    "commit-msg": "deploystate.hooks.git.commitmsg",
    "post-commit": "deploystate.hooks.git.postcommit",
    "post-merge": "deploystate.hooks.git.postcommit",
    "agent": "deploystate.hooks.agents.agents",
}
# Hooks that refuse fail closed on an internal error (a guardrail that silently lets everything
# through is worse than a loud one); the others must never get in the way.
BLOCKING = {"pre-push", "commit-msg"}
AGENT_BLOCKING = {"pre-tool", "stop"}
BLOCKED = 2  # what Claude Code, Codex, Gemini CLI and Cursor read as "blocked"

USAGE = ("usage: python -m deploystate.hooks {pre-push|commit-msg|post-commit|post-merge} [git's arguments]\n"
         "       python -m deploystate.hooks agent {claude|codex|cursor|gemini} {session-start|stop|pre-tool}\n")


def isolate(path: list[str] | None = None, cwd: str | None = None, pythonpath: str | None = None) -> list[str]:
    """``path`` without the working directory ('' included) and PYTHONPATH entries: deploystate itself is
    installed in site-packages, so nothing it needs lives there, and the app's modules must not be found."""
    path = sys.path if path is None else path
    try:
        cwd = os.path.realpath(cwd if cwd is not None else os.getcwd())
    except OSError:
        cwd = None
    env = os.environ.get("PYTHONPATH", "") if pythonpath is None else pythonpath
    banned = {os.path.realpath(p) for p in env.split(os.pathsep) if p}
    if cwd:
        banned.add(cwd)
    keep = [p for p in path if p and os.path.realpath(p) not in banned]
    path[:] = keep
    return keep


def _stop_already_continued(text: str) -> bool:
    try:
        import json
        raw = json.loads(text) if text.strip() else {}
        return isinstance(raw, dict) and (raw.get("stop_hook_active") is True or int(raw.get("loop_count") or 0) > 0)
    except Exception:  # noqa: BLE001 - unreadable input: treat as a first stop
        return False


def agent_failed(args: list[str], stdin_text: str, what: str) -> int:
    """The decision when the agent hook itself broke: pre-tool and stop refuse, session start warns."""
    client = args[0] if args else ""
    event = args[1] if len(args) > 1 else ""
    if event == "session-start":
        import json
        text = (f"deploystate: the session-start hook failed ({what}), so the deployment state is unknown. Do not "
                "assume anything is deployed or verified; run `deploystate doctor`.")
        out = ({"additional_context": text} if client == "cursor" else
               {"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": text}})
        sys.stdout.write(json.dumps(out) + "\n")
        return 0
    if event == "stop" and _stop_already_continued(stdin_text):
        return 0  # it already blocked once this turn: never loop the agent
    reason = (f"deploystate: the {event or 'agent'} hook failed ({what}), so it cannot tell whether this is safe; "
              "refusing. next: run `deploystate doctor`; if deploystate itself is broken, reinstall it "
              "(`deploystate hooks install --" + (client or "claude") + "`).")
    if event == "stop" and client == "cursor":
        import json
        sys.stdout.write(json.dumps({"followup_message": reason}) + "\n")  # Cursor's stop only reads this
        return 0
    sys.stderr.write(reason + "\n")
    return BLOCKED


def override_when_broken(hook: str, what: str) -> bool:
    """A valid DEPLOYSTATE_OVERRIDE gets past a broken hook too: recorded when the ledger can take it,
    announced loudly on stderr either way (the override must always work; it is never silent)."""
    reason = (os.environ.get("DEPLOYSTATE_OVERRIDE") or "").strip()
    if not reason:
        return False
    try:
        from deploystate.hooks import override
        bad = override.problem(reason)
    except Exception:  # noqa: BLE001 - the override module itself is broken: apply its rule here
        bad = None if len(reason) >= 8 else "too short"
    if bad:
        print(f"deploystate: {bad}", file=sys.stderr)
        return False
    try:
        from deploystate.hooks import override
        from deploystate.state.config.project import Project
        rec = override.record(Project.discover(os.environ.get("DEPLOYSTATE_ROOT")), hook, reason, [],
                              [f"the {hook} hook failed: {what}"], commit=None)
        override.announce(rec, [f"the {hook} hook failed: {what}"])
    except Exception as exc:  # noqa: BLE001 - still honour the human's explicit reason, loudly
        print(f"deploystate: OVERRIDE ({reason!r}) past a failed {hook} hook ({what}); it could NOT be recorded "
              f"({type(exc).__name__}: {exc}). Record it by hand: `deploystate doctor`, then note it.",
              file=sys.stderr)
    return True


def end_process(rc: int) -> None:
    """Exit now with ``rc``, skipping the interpreter's teardown, when nothing is left for it to do: the hook's
    streams flushed here, no atexit callback registered (coverage, logging...), no other thread running, no file
    left open for writing. A hook
    lives for milliseconds; tearing down every module it imported costs as much again as the floor's own
    teardown (~7.7M instructions of a push decision) and decides nothing. Files the hooks write are closed (and
    fsynced) before the decision returns. Returns (the caller then exits the usual way) when something is left.
    A stream that cannot be flushed exits 120, as the interpreter's own exit does: never a silent 0."""
    import atexit

    if atexit._ncallbacks() or _thread_count() or _written_file_open():
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None and not stream.closed:  # (a closed stream is skipped, as the interpreter does)
                stream.flush()
        except Exception:  # noqa: BLE001 - what Py_FinalizeEx does when it cannot flush: status 120
            rc = 120
    os._exit(rc)


def _written_file_open() -> bool:
    """A regular file still open for writing (beyond the three streams): the teardown closes its Python object,
    and so flushes what is buffered in it; ``os._exit`` would drop that. Read from /proc/self/fd, whose links
    carry the open mode in their own permission bits (l-wx / lrwx). A deleted file is not counted: what is
    buffered for it can never be read (valgrind's own files are such). Where /proc cannot be read: True (the
    teardown runs; slower, never a lost write)."""
    import stat

    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return True
    for name in fds:
        if name in ("0", "1", "2"):
            continue
        link = f"/proc/self/fd/{name}"
        try:
            if os.lstat(link).st_mode & stat.S_IWUSR:
                target = os.stat(link)
                if stat.S_ISREG(target.st_mode) and target.st_nlink:  # (no link left: no one reads its bytes)
                    return True
        except OSError:
            continue  # (the listing's own fd, closed by now)
    return False


def _thread_count() -> int:
    """Threads other than this one still running (``_thread``'s own count: threading's threads are in it too)."""
    import _thread

    return _thread._count()


def main(argv: list[str] | None = None) -> int:
    """Run the hook named in ``argv`` (default: ``sys.argv[1:]``, the process's entry, which also exits through
    ``end_process``); its exit code."""
    rc = _main(argv)
    if argv is None:
        end_process(rc)
    return rc


def _main(argv: list[str] | None) -> int:
    if argv is None:
        # The process's entry (the shims, deploystate-hook, -m): a hook lives for milliseconds, and the cyclic
        # collector would only re-scan what its imports create (~4M instructions of a push decision);
        # reference counting still frees all that is not a cycle. A caller passing argv keeps its collector.
        gc.disable()
    isolate()
    if argv is None:  # (after isolate: nothing is imported while the working directory is on the path)
        from deploystate.ospath import remember_resolved

        remember_resolved()  # the same few directories are resolved ~20 times by one decision
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in HOOKS:
        sys.stderr.write(USAGE)
        return 2
    hook, args = argv[0], argv[1:]
    stdin_text = ""
    if hook == "agent":
        # Read the client's JSON once, here: if the hook breaks, the refusal still knows the event's input.
        import io
        try:
            stdin_text = sys.stdin.read() if sys.stdin and not sys.stdin.isatty() else ""
        except (OSError, ValueError):
            stdin_text = ""
        sys.stdin = io.StringIO(stdin_text)
    try:
        # __import__ with a fromlist returns the module itself; importlib (and the warnings it imports) would
        # cost every hook process ~1.6M instructions for the same answer
        return int(__import__(HOOKS[hook], fromlist=["run"]).run(hook, args) or 0)
    except KeyboardInterrupt:
        if hook == "agent" and len(args) > 1 and args[1] in AGENT_BLOCKING:
            return agent_failed(args, stdin_text, "interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: say what broke, decide safely
        what = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        if hook == "agent":
            return agent_failed(args, stdin_text, what)
        if hook in BLOCKING:
            if override_when_broken(hook, what):
                return 0
            print(f"deploystate: the {hook} hook failed ({what}), so it cannot show that "
                  "what runs was verified; refusing.\n  next: run `deploystate doctor` to see the problem; if "
                  "deploystate itself is broken, `deploystate hooks uninstall --git` removes the hooks "
                  "(or override on the record: DEPLOYSTATE_OVERRIDE=\"<why>\").",
                  file=sys.stderr)
            return 1
        print(f"deploystate: the {hook} hook failed ({what})", file=sys.stderr)
        return 0


def launch() -> None:
    """The ``deploystate-hook`` console script: what committed agent settings call, found on PATH."""
    sys.exit(main())


if __name__ == "__main__":
    sys.exit(main())
