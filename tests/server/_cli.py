"""Helpers for CLI tests: run ``deploystate`` in-process and a small compose project in a real git repo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deploystate.server import cli
from deploystate.state.config.project import Project
from deploystate.state.ledger.store import record

COMPOSE = """\
name: shop
services:
  api:
    build:
      context: ./api
    ports: ["127.0.0.1:18080:8080"]
    env_file: .env
  worker:
    build: ./worker
    env_file:
      - .env
      - worker/worker.env
  cache:
    image: redis:7
"""

FILES = {
    "docker-compose.yml": COMPOSE,
    ".env": "MODEL_URL=http://model\n",
    "api/Dockerfile": "FROM scratch\n",
    "api/app.py": "print('api')\n",
    "worker/Dockerfile": "FROM scratch\n",
    "worker/tasks.py": "print('worker')\n",
    "worker/worker.env": "CONCURRENCY=2\n",
    "README.md": "shop\n",
}


def ds(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ds_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code, out, err = ds(capsys, *argv, "--json")
    assert out.strip(), f"no JSON on stdout (exit {code}): {err}"
    return code, json.loads(out)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` except .git, with its bytes (to prove nothing was written)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def deploy(project: Project, service: str, commit: str, status: str = "restarted") -> dict:
    return record(project, "deploy", {"service": service, "commit": commit, "strategy": "recreate",
                                      "platform": "compose", "platform_ids": {}, "status": status, "warnings": [],
                                      "forced": False, "reason": "", "started_at": "", "duration": 1.0},
                  commit=commit)


def verify(project: Project, service: str, commit: str, verdict: str, dep: dict,
           recheck_due: str | None = None, failed: list[str] | None = None) -> dict:
    return record(project, "verification", {
        "service": service, "commit": commit, "verdict": verdict, "summary": f"{verdict} for {service}",
        "deploy_id": dep["id"], "recheck": False, "recheck_due": recheck_due, "failed_checks": failed or [],
        "checks": [], "signature": None}, commit=commit)
