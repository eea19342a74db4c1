"""The demo's deploystate.toml (command platform, or docker compose for ``--platform compose``)."""

from __future__ import annotations

import json

API_LOGS = """
[[services.api.checks]]
type = "logs"
name = "decisions"
must_match = ["RL model made"]
must_not_match = ["using fallback", "Traceback"]
"""

WORKER_LOGS = """
[[services.worker.checks]]
type = "logs"
name = "jobs"
must_match = ["processed job"]
must_not_match = ["Error: ", "Traceback"]
"""


def _argv(*parts: str) -> str:
    return json.dumps(list(parts))


def project_table(name: str) -> str:
    return f"""[project]
name = "{name}"
deploy_branches = ["main"]
verify_deadline = "30s"
doom_loop_after = 3
"""


def command_config(python: str, port: int) -> str:
    """Both services as local processes managed by ops/ctl.py (``python`` runs it)."""
    ctl = (python, "ops/ctl.py")
    return f"""# deploystate demo: two local processes managed by the app's own control script (ops/ctl.py).
{project_table("demo-shop")}
[services.api]
platform = "command"
paths = ["api/**", "models/**"]
restart_cmd = {_argv(*ctl, "restart", "api")}
observe_cmd = {_argv(*ctl, "status", "api")}
log_file = "run/api.log"
restart_timeout = "30s"
revision = {{ source = "http", url = "http://127.0.0.1:{port}/version", json_key = "revision" }}

[[services.api.checks]]
type = "http"
name = "health"
url = "http://127.0.0.1:{port}/health"
retries = 2
retry_delay = "0.2s"
{API_LOGS}
[[services.api.checks]]
type = "revision"

[services.worker]
platform = "command"
paths = ["worker/**"]
restart_cmd = {_argv(*ctl, "restart", "worker")}
observe_cmd = {_argv(*ctl, "status", "worker")}
log_file = "run/worker.log"
restart_timeout = "30s"

[[services.worker.checks]]
type = "rollout"
{WORKER_LOGS}
[[services.worker.checks]]
type = "revision"
"""
