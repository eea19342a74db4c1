"""``deploystate hooks``: install, remove or run the git and agent-client hooks."""

from __future__ import annotations

import argparse
from pathlib import Path

from deploystate.state.git import gitinfo

from ._common import actions, arg, command, emit, project_from

CLIENT_FLAGS = ("claude", "codex", "cursor", "gemini")


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "hooks", None, help="install/uninstall the git and agent-client hooks",
                description="Git hooks (pre-push, commit-msg, post-commit, post-merge) refuse to build on a "
                            "deploy that is unverified, failed or looping, and refuse \"deployed\" claims "
                            "without a passing verification. Agent-client hooks (Claude Code, Codex, Cursor, "
                            "Gemini CLI) inject the state at session start, keep an agent from finishing on "
                            "an unverified deploy, and deny --no-verify. Override, always recorded: "
                            "DEPLOYSTATE_OVERRIDE=\"reason\".",
                epilog="examples:\n  deploystate hooks install            (git hooks)\n"
                       "  deploystate hooks install --all      (git + every agent client)\n"
                       "  deploystate hooks install --claude --codex\n"
                       "  deploystate hooks uninstall --all\n  deploystate hooks status\n"
                       "  deploystate hooks run pre-push origin URL < refs")
    hsub = actions(p, "hooks_command")
    clients = tuple(arg(f"--{client}", action="store_true", help=f"{client} agent-client hooks")
                    for client in CLIENT_FLAGS)
    python = arg("--python", help="interpreter the git hooks run with (default: this one); for agent clients only "
                                  "with --scope local or user (a shared file holds nothing machine-specific)")
    for name, text in (("install", "install (idempotent; existing hooks and settings are kept and chained)"),
                       ("uninstall", "remove deploystate's hooks and restore what was there"),
                       ("status", "show which hooks are installed")):
        command(hsub, name, run, json=True, help=text, description=text, arguments=(
            arg("--git", action="store_true", help="git hooks (the default when no client is named)"),
            *clients,
            arg("--all", action="store_true", help="git hooks and every agent client"),
            arg("--scope", choices=("project", "local", "user"), default="project",
                help="agent-client settings file: project = the shared, committed one (default); local = "
                     "your personal one for this project (Claude Code's .claude/settings.local.json); "
                     "user = your own for every project (~/.claude/settings.json, ~/.codex/hooks.json, ...)"),
            *((python,) if name == "install" else ()),
        ))
    command(hsub, "run", run_hook, formatter_class=argparse.HelpFormatter,
            help="run one hook by hand (what the shims call)",
            description="Run a hook in this process, e.g. `deploystate hooks run commit-msg FILE` or "
                        "`deploystate hooks run agent claude stop < input.json`.",
            arguments=(arg("hook_args", nargs=argparse.REMAINDER, help="hook name and its arguments"),))


def _targets(args: argparse.Namespace) -> tuple[bool, list[str]]:
    clients = [c for c in CLIENT_FLAGS if getattr(args, c) or args.all]
    return (args.git or args.all or not clients), clients


def _top(args: argparse.Namespace) -> tuple[Path, Path]:
    project = project_from(args)
    top = gitinfo.toplevel(project.root) or project.root
    return top, project.root


def run(args: argparse.Namespace) -> int:
    from deploystate.hooks.agents import agent_install
    from deploystate.hooks.git import install

    want_git, clients = _targets(args)
    top, root = _top(args)
    lines: list[str] = []
    data: dict = {"git": None, "clients": {}}
    if want_git:
        if args.hooks_command == "install":
            setting = install.hooks_path_setting(top)
            lines += install.install(top, python=args.python, project_root=root)
            if setting:
                lines.append(f"note: core.hooksPath is {setting!r}; the shims were installed there. A tool that "
                             "regenerates that directory (husky, lefthook) may replace them: see docs/hooks.md.")
        elif args.hooks_command == "uninstall":
            lines += install.uninstall(top)
        else:
            lines += [f"{hook}: {state}" for hook, state in install.status(top).items()]
        data["git"] = lines[:]
    for client in clients:
        if args.hooks_command == "install":
            python = args.python if args.scope != "project" else None
            line = agent_install.install(top, client, python, scope=args.scope)
        elif args.hooks_command == "uninstall":
            line = agent_install.uninstall(top, client, scope=args.scope)
        else:
            line = f"{client}: {agent_install.status(top, client, scope=args.scope)}"
        lines.append(line)
        data["clients"][client] = line
    emit(args, data, "\n".join(lines))
    return 0


def run_hook(args: argparse.Namespace) -> int:
    from deploystate.hooks.__main__ import main

    return main(list(args.hook_args))
