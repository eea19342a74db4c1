"""The pre-push hook: no new push onto a deploy that is unverified, failed, looping or untrustworthy.

git gives one line per ref on stdin: ``<local ref> <local sha> <remote ref> <remote sha>``.
Only pushes to a deploy branch (``[project] deploy_branches``, globs allowed) and
``deployed/*`` tags (``[project.hooks] deployed_tag_pattern``) are judged; every
other push returns before the state is even imported.
"""

from __future__ import annotations

import os
import sys

from deploystate.hooks.settings import HookSettings, find

Z40 = "0" * 40


def fnmatchcase(name: str, pattern: str) -> bool:
    """``fnmatch.fnmatchcase``; a pattern without ``[`` (``main``, ``release/*``) is matched here: fnmatch
    compiles a regular expression for every pattern, and imports re (~27M instructions of a hook)."""
    if "[" in pattern:
        from fnmatch import fnmatchcase as match

        return match(name, pattern)
    pieces = pattern.split("*")
    if len(pieces) == 1:
        return _same(name, pattern)
    first, last = pieces[0], pieces[-1]
    end = len(name) - len(last)
    if end < len(first) or not _same(name[:len(first)], first) or not _same(name[end:], last):
        return False
    pos = len(first)
    for mid in pieces[1:-1]:  # each piece at its earliest place: what is left for the rest is then largest
        at = next((i for i in range(pos, end - len(mid) + 1) if _same(name[i:i + len(mid)], mid)), None)
        if at is None:
            return False
        pos = at + len(mid)
    return True


def _same(text: str, piece: str) -> bool:
    """``text`` matches ``piece`` (``?`` stands for any one character, newline included, as fnmatch's)."""
    return len(text) == len(piece) and all(p == "?" or p == t for p, t in zip(piece, text))


def parse_refs(text: str) -> list[tuple[str, str, str, str]]:
    """The ref lines git writes to pre-push's stdin (malformed lines are skipped)."""
    refs = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4:
            refs.append((parts[0], parts[1], parts[2], parts[3]))
    return refs


def refs_from_pre_commit(env: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """The pre-commit framework (and prek) run pre-push hooks without stdin; they pass the
    first pushed ref in PRE_COMMIT_* variables instead."""
    remote_ref = env.get("PRE_COMMIT_REMOTE_BRANCH")
    if not remote_ref:
        return []
    local_ref = env.get("PRE_COMMIT_LOCAL_BRANCH", "")
    local_sha = env.get("PRE_COMMIT_TO_REF") or ""
    if not local_sha and local_ref:
        from deploystate.state.git import gitinfo
        try:
            local_sha = gitinfo.resolve(os.getcwd(), local_ref)
        except Exception:  # noqa: BLE001 - an unresolvable ref is judged below as "unknown commit"
            local_sha = ""
    return [(local_ref, local_sha or "unknown", remote_ref, env.get("PRE_COMMIT_FROM_REF") or Z40)]


def classify(refs: list[tuple[str, str, str, str]], branches: list[str], tag_pattern: str
             ) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, str, str, str]]]:
    """(pushes to deploy branches, pushes of deployed tags); deletions are neither."""
    deploy, tags = [], []
    for ref in refs:
        local_sha, remote_ref = ref[1], ref[2]
        if local_sha == Z40:
            continue
        if remote_ref.startswith("refs/heads/"):
            name = remote_ref[len("refs/heads/"):]
            if any(fnmatchcase(name, b) for b in branches):
                deploy.append(ref)
        elif remote_ref.startswith("refs/tags/") and fnmatchcase(remote_ref[len("refs/tags/"):], tag_pattern):
            tags.append(ref)
    return deploy, tags


def evaluate(settings: HookSettings, deploy: list, tags: list):
    """(snapshot, refusals) for the judged refs."""
    from deploystate.hooks import gates, snapshot

    # the settings' parse of deploystate.toml, unless it failed: Project.discover then raises, and nothing is
    # judged from a config that is not valid TOML (the agent pre-tool hook comes here without config_problem)
    raw = settings.raw() if settings.text else None
    snap = snapshot.take(settings.root_dir, None if settings.error else raw)
    if snap.error:
        return snap, [gates.Refusal(f"deploystate could not read its state ({snap.error}), so it cannot "
                                    "show that what runs was verified.",
                                    "`deploystate state` to see the problem and fix it.")]
    refusals = gates.deploy_gate(snap.state, snap.threshold, snap.chain_ok, snap.chain_problems) if deploy else []
    if tags and not snap.chain_ok and not deploy:
        refusals += gates.deploy_gate(snap.state, snap.threshold, False, snap.chain_problems)[:1]
    for _, local_sha, remote_ref, _ in tags:
        from deploystate.state.git import gitinfo  # only for tags: a branch push needs no git process here

        try:
            commit = gitinfo.resolve(snap.project.root, local_sha)  # peel an annotated tag to its commit
        except Exception:  # noqa: BLE001 - a sha git cannot resolve has, by definition, no verification
            commit = local_sha
        verdict = gates.commit_verdict(snap.state, commit)
        if verdict is None:
            verdict = snapshot.scan_commit_verdict(snap.project, commit)
        refusal = gates.tag_refusal(remote_ref[len("refs/tags/"):], commit, verdict)
        if refusal:
            refusals.append(refusal)
    return snap, refusals


def sync_first(settings: HookSettings, remote: str) -> None:
    """With [project.hooks] sync_before, bring in the team's records before deciding (short timeout;
    offline is said, never fatal: the decision then uses the local ledger)."""
    wanted, timeout = settings.sync_before()
    if settings.root_dir is None or (not wanted and "backend" not in settings.text):
        return  # no team ledger: no project read on the hook's path (a text test, as sync_before does)
    from deploystate.state.tamper import integrity
    from deploystate.state.config.project import Project

    try:
        project = Project.discover(settings.root_dir)
        if not wanted and not (integrity.team_ledger(project) and integrity.never_synced(project)):
            return  # a fresh clone of a team ledger syncs once before its first decision: it restores
        backend = project.settings.get("backend")
        if isinstance(backend, str) and backend.startswith("s3://"):
            print(f"deploystate: {_sync_s3(project.root, backend, timeout)}", file=sys.stderr)
            return  # an S3 team ledger never touches the git remote
        from deploystate.state.git.sync_git import sync

        res = sync(project.root, project.ledger, remote if not remote.startswith("-") else "origin",
                   timeout=timeout, retries=2)
        print(f"deploystate: {res.message}", file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 - a sync problem must not block or crash the push decision
        print(f"deploystate: offline: using local state (sync failed: {exc})", file=sys.stderr)


STARTUP_GRACE = 15.0  # the child's interpreter start and boto3 import; the sync itself keeps `timeout`


def _sync_s3(root, backend: str, timeout: float) -> str:  # noqa: ANN001
    """Sync an S3 team ledger through the CLI in a child process: a hook must not import boto3.
    The child ends its sync within ``timeout`` (exit 3 when S3 does not answer); the parent only
    bounds the child's start-up on top of that."""
    from deploystate.state.git.proc import run

    done = run([sys.executable, "-m", "deploystate.server.cli", "--root", str(root), "sync",
                "--timeout", f"{timeout:g}"], timeout=timeout + STARTUP_GRACE, cwd=root)
    lines = (done.stdout.strip() or done.stderr.strip() or f"sync exited {done.returncode}").splitlines()
    if done.returncode == 0:
        return lines[0]
    return f"offline: using local state ({backend}: {' '.join(lines)[:300]})"


def _refuse_bad_config(bad: str, refs: list, args: list[str]) -> int:
    """No override here: an override is a ledger record, and nothing is written from a bad config."""
    from deploystate.hooks.gates import Refusal, report

    remote = args[0] if args else "origin"
    refusal = Refusal(f"deploystate.toml is invalid ({bad}), so deploystate cannot tell which pushes deploy "
                      "or whether what runs was verified.",
                      "fix that key (`deploystate config validate` or `deploystate doctor` shows it), then push again.")
    sys.stderr.write(report(f"refusing to push to {remote}.", [refusal],
                            "none while the config is invalid (an override is recorded from it); fix the key"))
    return 1


def run(hook: str, args: list[str]) -> int:
    settings = find()
    if not settings.configured:
        return 0
    refs = refs_from_pre_commit(dict(os.environ))
    if not refs and not sys.stdin.isatty():
        refs = parse_refs(sys.stdin.read())
    bad = settings.config_problem()
    if bad:  # which pushes deploy is itself read from the config: refuse every push until it is fixed
        return _refuse_bad_config(bad, refs, args)
    branches = list(dict.fromkeys(settings.deploy_branches() + settings.anchored_branches()))  # no escape
    deploy, tags = classify(refs, branches, settings.tag_pattern())
    if not deploy and not tags:
        return 0
    remote = args[0] if args else os.environ.get("PRE_COMMIT_REMOTE_NAME", "origin")
    sync_first(settings, remote)
    snap, refusals = evaluate(settings, deploy, tags)
    targets = [r[2].removeprefix("refs/heads/").removeprefix("refs/tags/") for r in deploy + tags]
    if not refusals:
        print(f"deploystate: push to {', '.join(targets)} allowed: every deploy deploystate knows of has a "
              "passing verification.", file=sys.stderr)
        if deploy and snap.project is not None and snap.project.deployed_by_ci():
            from . import pending  # a push that CI deploys is a pending deploy until verified

            try:
                pending.record(snap.project, snap.state or {}, deploy)
            except Exception as exc:  # noqa: BLE001 - unrecorded, the pending deploy would be forgotten
                print(f"deploystate: refusing the push: the pending CI deploy could not be recorded ({exc})\n"
                      "  next: fix the state directory (deploystate doctor), then push again", file=sys.stderr)
                return 1
        return 0
    from deploystate.hooks import override
    from deploystate.hooks.gates import report

    def details() -> tuple[list[str], str | None]:
        refs = deploy + tags
        return [f"{r[2]}@{r[1][:12]}" for r in refs], (refs[0][1] if refs[0][1] != "unknown" else None)

    if override.granted(hook, snap, refusals, details):
        return 0
    example = f'DEPLOYSTATE_OVERRIDE="<why this cannot wait>" git push {remote} {" ".join(targets)}'
    from deploystate.hooks.settings import framework_note
    sys.stderr.write(report(f"refusing to push {', '.join(targets)} to {remote}.", refusals, example,
                            framework_note()))
    return 1
