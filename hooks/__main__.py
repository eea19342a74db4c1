"""``python -m deploystate.hooks <hook> [args...]``: the entry point the git shims and agent clients call.

Each hook's module is imported only when that hook runs, and the modules keep
their own imports lazy: a commit whose message claims nothing, or a push to a
feature branch, never imports the state package at all.
"""

from __future__ import annotations

import sys

# hook name -> module in deploystate.hooks; each module has run(hook, args) -> exit code
HOOKS = {
    "pre-push": "gitpush",
    "commit-msg": "commitmsg",
    "post-commit": "postcommit",
    "post-merge": "postcommit",
    "agent": "agents",
}
# Hooks that refuse fail closed on an internal error (a guardrail that silently lets everything
# through is worse than a loud one); the others must never get in the way.
BLOCKING = {"pre-push", "commit-msg"}

USAGE = ("usage: python -m deploystate.hooks {pre-push|commit-msg|post-commit|post-merge} [git's arguments]\n"
         "       python -m deploystate.hooks agent {claude|codex|cursor|gemini} {session-start|stop|pre-tool}\n")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in HOOKS:
        sys.stderr.write(USAGE)
        return 2
    hook, args = argv[0], argv[1:]
    try:
        import importlib
        return int(importlib.import_module(f"deploystate.hooks.{HOOKS[hook]}").run(hook, args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: say what broke, decide safely
        if hook in BLOCKING:
            print(f"deploystate: the {hook} hook failed ({type(exc).__name__}: {exc}), so it cannot show that "
                  "what runs was verified; refusing.\n  next: run `deploystate doctor` to see the problem; if "
                  "deploystate itself is broken, `deploystate hooks uninstall --git` removes the hooks.",
                  file=sys.stderr)
            return 1
        print(f"deploystate: the {hook} hook failed ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 0


if __name__ == "__main__":
    sys.exit(main())
