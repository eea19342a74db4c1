"""(Re)create the example ledger in examples/compose/.deploystate and the root DEPLOYMENT_STATE.md.

    /tmp/venv/bin/python examples/make_example_state.py

The example tells one short, scripted story with the real store and CLI (no
hand-written JSON): a session starts; the worker is recreated and verified;
the api is recreated and its verification fails because the logs show the
silent fallback path; a restart is tried and fails the same way (recorded as a
failed attempt); a fix is committed and deployed, and verification fails
again; the session ends with what it did, broke and wants done next.

The deploy and verification records are *scripted* (this script describes the
checks' outcomes; nothing was measured from a running stack), written through
``deploystate.state.ledger.store.record`` exactly as the restart/verify commands write
them, and authored "make_example_state.py" so nobody mistakes them for real
evidence. Attempts and sessions go through the real ``deploystate attempt`` and
``deploystate session`` commands.

The commits are real: the example's files are committed to a throwaway git
repository with fixed names and dates, so the same files give the same commit
ids. They are not commits of this repository, so the committed
DEPLOYMENT_STATE.md shows drift as "unknown (running commit not in this
clone)" and never goes stale when this repository gets new commits. Its banner
holds the command that regenerates it from the committed ledger.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from deploystate.server import cli
from deploystate.state.ledger.ids import iso, utc_now
from deploystate.state.git.proc import run
from deploystate.state.config.project import Project
from deploystate.state.memory.signature import failure_signature
from deploystate.state.ledger.store import record

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE / "compose"
REPO = HERE.parent
STATE_DIR = EXAMPLE / ".deploystate"
DERIVED = ("ledger.jsonl", "archive.jsonl", "quarantine.jsonl", "projection.json")
GIT_ID = {"GIT_AUTHOR_NAME": "Example Dev", "GIT_AUTHOR_EMAIL": "dev@example.invalid",
          "GIT_COMMITTER_NAME": "Example Dev", "GIT_COMMITTER_EMAIL": "dev@example.invalid",
          "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
FALLBACK_LINE = "api: model endpoint unreachable, using fallback"


def git(repo: Path, *args: str, date: str | None = None) -> str:
    env = {**GIT_ID, **({"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else {})}
    return run(["git", *args], cwd=repo, env=env, check=True, timeout=30).stdout.strip()


def commit(repo: Path, message: str, date: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message, date=date)
    return git(repo, "rev-parse", "HEAD")


def cli_json(*argv: str) -> dict:
    """Run a real deploystate command in-process and return its --json output."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main([*argv, "--json"])
    if code != 0:
        raise SystemExit(f"deploystate {' '.join(argv)} exited {code}")
    return json.loads(out.getvalue())


def deploy(project: Project, service: str, commit_id: str, seconds: float) -> dict:
    return record(project, "deploy", {
        "service": service, "commit": commit_id, "strategy": "recreate", "platform": "compose",
        "platform_ids": {"container": f"example-shop-{service}-1"}, "status": "restarted", "warnings": [],
        "forced": False, "reason": "", "started_at": iso(utc_now()), "duration": seconds}, commit=commit_id)


def check(name: str, type_: str, result: str, evidence: str) -> dict:
    return {"name": name, "type": type_, "result": result, "evidence": evidence, "duration": 0.4,
            "measurements": 1}


def verification(project: Project, service: str, commit_id: str, dep: dict, checks: list[dict]) -> dict:
    failed = [c for c in checks if c["result"] == "fail"]
    verdict = "fail" if failed else "pass"
    summary = (f"{len(failed)} of {len(checks)} checks failed: " + ", ".join(c["name"] for c in failed) if failed
               else f"all {len(checks)} checks passed")
    return record(project, "verification", {
        "service": service, "commit": commit_id, "verdict": verdict, "summary": summary, "deploy_id": dep["id"],
        "recheck": False, "recheck_due": iso(utc_now() + timedelta(minutes=30)) if verdict == "pass" else None,
        "failed_checks": [f"{c['name']}: {c['evidence']}" for c in failed], "checks": checks,
        "signature": failure_signature("\n".join(c["evidence"] for c in failed)) if failed else None},
        commit=commit_id)


def api_checks(commit_id: str) -> list[dict]:
    return [
        check("rollout", "rollout", "pass", "example-shop-api-1 running, healthy, 0 restarts since the recreate"),
        check("revision", "revision", "pass", f"label org.opencontainers.image.revision={commit_id[:12]} "
                                              "matches the deployed commit"),
        check("http", "http", "pass", "GET http://127.0.0.1:18080/health -> 200 'ok' (3 of 3 probes)"),
        check("logs", "logs", "fail", f"must_not_match '(?i)using fallback' matched: {FALLBACK_LINE!r}; "
                                      "must_match 'model loaded' found no line since the recreate"),
    ]


def story(repo: Path) -> str:
    project = Project.discover(repo)
    c1 = commit(repo, "example-shop: api and worker", "2026-01-05T09:00:00+00:00")
    root = ["--root", str(repo)]
    session = cli_json(*root, "session", "start", "--goal", "ship the api's model endpoint change and verify it",
                       "--client", "make_example_state.py")["session_id"]
    os.environ["DEPLOYSTATE_SESSION"] = session

    dep = deploy(project, "worker", c1, 2.1)
    verification(project, "worker", c1, dep, [
        check("rollout", "rollout", "pass", "example-shop-worker-1 running, 0 restarts, not OOM-killed"),
        check("revision", "revision", "pass", f"label org.opencontainers.image.revision={c1[:12]}"),
        check("logs", "logs", "pass", "must_match 'processed job' found 3 lines; no must_not_match line"),
    ])
    dep = deploy(project, "api", c1, 2.4)
    verification(project, "api", c1, dep, api_checks(c1))
    cli_json(*root, "attempt", "add", "--summary", "restart api so it retries the model endpoint",
             "--hypothesis", "the model endpoint was still starting when api booted", "--outcome", "failed",
             "--service", "api", "--evidence", FALLBACK_LINE)

    (repo / "api" / "app.sh").write_text((repo / "api" / "app.sh").read_text().replace("-T 2", "-T 10"))
    c2 = commit(repo, "fix(api): wait up to 10 s for the model endpoint", "2026-01-05T10:30:00+00:00")
    dep = deploy(project, "api", c2, 2.6)
    verification(project, "api", c2, dep, api_checks(c2))
    cli_json(*root, "attempt", "add", "--summary", "wait 10 s for the model endpoint before falling back",
             "--outcome", "failed", "--service", "api", "--file", "api/app.sh", "--evidence", FALLBACK_LINE)
    cli_json(*root, "session", "end", "--did", "recreated worker (verified) and api twice, the second time with a "
             "10 s model timeout", "--broke", "api still answers from the fallback path: verification fails on "
             "its logs", "--next", "check MODEL_URL in .env from inside the api container before another restart: "
             "waiting longer did not help")
    return c2


def main() -> int:
    for name in DERIVED:
        (STATE_DIR / name).unlink(missing_ok=True)
    os.environ.update({"DEPLOYSTATE_STATE_DIR": str(STATE_DIR), "DEPLOYSTATE_AUTHOR": "make_example_state.py",
                       "DEPLOYSTATE_AUTHOR_KIND": "agent", "DEPLOYSTATE_CLIENT": "make_example_state.py"})
    for var in ("DEPLOYSTATE_ROOT", "DEPLOYSTATE_SESSION"):
        os.environ.pop(var, None)
    with tempfile.TemporaryDirectory(prefix="example-shop-") as tmp:
        repo = Path(tmp) / "example-shop"
        shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns(".deploystate", "DEPLOYMENT_STATE.md",
                                                                     "busybox"))
        git(repo, "init", "-q", "-b", "main")
        head = story(repo)
    del os.environ["DEPLOYSTATE_STATE_DIR"], os.environ["DEPLOYSTATE_SESSION"]
    (STATE_DIR / "projection.json").unlink(missing_ok=True)
    os.chdir(REPO)  # the banner's command is relative to the repository root
    return cli.main(["--root", "examples/compose", "render", "--head", head, "--out", "DEPLOYMENT_STATE.md"])


if __name__ == "__main__":
    sys.exit(main())
