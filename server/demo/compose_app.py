"""The demo's application for ``--platform compose``: the same two services as busybox shell scripts in
images built locally ``FROM scratch`` (a static busybox is copied into each build context, so no registry
is needed), and their deploystate.toml. The image label ``org.opencontainers.image.revision`` comes from
the ``REVISION`` build argument, which the demo sets to the commit being deployed."""

from __future__ import annotations

import json

DOCKERFILE = """FROM scratch
COPY rootfs/ /
COPY app/ /app/
ARG REVISION=unknown
LABEL org.opencontainers.image.revision=$REVISION
ENV REVISION=$REVISION
STOPSIGNAL SIGKILL
ENTRYPOINT ["/bin/sh", "/app/main.sh"]
"""

API = r"""#!/bin/sh
# The demo api: /health and /version (busybox httpd), and a decision every 0.2 s made by the RL model
# in models/rl.json, or by a fixed fallback rule when the model cannot be read.
MODEL_FILE=/app/model.json
log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) api $*"; }
mkdir -p /www
echo ok > /www/health
echo "{\"revision\": \"$REVISION\"}" > /www/version
httpd -p 8080 -h /www
if [ -r "$MODEL_FILE" ]; then
    log "model $(cat "$MODEL_FILE" | tr -d '\n' | head -c 60) loaded"
    model=yes
else
    log "could not load the model from ${MODEL_FILE#/app/}: FileNotFoundError"
fi
n=0
while true; do
    n=$((n + 1))
    if [ -n "$model" ]; then log "decision $n: buy (RL model made the decision)"
    else log "decision $n: hold (using fallback rule)"; fi
    sleep 0.2
done
"""

WORKER = r"""#!/bin/sh
# The demo worker: takes a job every 0.2 s and logs what became of it.
RETRIES=0
log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) worker $*"; }
handle() {
    echo $(( $1 % 7 + 1 ))
}
log "started, revision $REVISION"
n=0
while true; do
    n=$((n + 1))
    tries=0
    while true; do
        tries=$((tries + 1))
        if result=$( (handle "$n") 2>&1 ); then log "processed job $n"; break; fi
        if [ "$tries" -gt "$RETRIES" ]; then
            log "job $n failed after $tries tries: Error: ${result##*: }"
            break
        fi
    done
    sleep 0.2
done
"""

COMPOSE = """name: {project}
services:
  api:
    build:
      context: ./api
      args:
        REVISION: ${{REVISION:-unknown}}
    ports:
      - "127.0.0.1:{port}:8080"
    healthcheck:
      test: ["CMD", "/bin/wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health"]
      interval: 1s
      timeout: 1s
      retries: 10
    stop_grace_period: 1s
  worker:
    build:
      context: ./worker
      args:
        REVISION: ${{REVISION:-unknown}}
    stop_grace_period: 1s
"""

MODEL = '{"name": "rl-policy-v3", "policy": ["buy", "hold", "sell", "hold"]}\n'
APPLETS = ("sh", "httpd", "wget", "sleep", "date", "echo", "cat", "tr", "head", "mkdir")
GITIGNORE = "run/\n*/rootfs/\n.deploystate/projection.json\n.deploystate/audit.jsonl\n"
README = """# demo-shop (docker compose)

A tiny two-service application built by `deploystate demo --platform compose`: `api/` (busybox httpd
plus a decision loop) and `worker/`, each an image built FROM scratch with a static busybox.
"""


def files(project: str, port: int) -> dict[str, str]:
    return {"README.md": README, ".gitignore": GITIGNORE, "docker-compose.yml": COMPOSE.format(project=project,
                                                                                           port=port),
            "api/Dockerfile": DOCKERFILE, "api/app/main.sh": API, "api/app/models/rl.json": MODEL,
            "worker/Dockerfile": DOCKERFILE, "worker/app/main.sh": WORKER}


def config(project: str, port: int) -> str:
    compose = json.dumps(["docker-compose.yml"])
    return f"""# deploystate demo on docker compose: images rebuilt and containers recreated on every deploy.
[project]
name = "demo-shop"
deploy_branches = ["main"]
verify_deadline = "60s"
doom_loop_after = 3

[services.api]
platform = "compose"
compose_files = {compose}
project_name = "{project}"
paths = ["api/**"]
restart = "recreate"
build = true
restart_timeout = "120s"

[[services.api.checks]]
type = "http"
name = "health"
url = "http://127.0.0.1:{port}/health"
retries = 5
retry_delay = "0.5s"

[[services.api.checks]]
type = "logs"
name = "decisions"
must_match = ["RL model made"]
must_not_match = ["using fallback", "Traceback"]

[[services.api.checks]]
type = "revision"

[services.worker]
platform = "compose"
compose_files = {compose}
project_name = "{project}"
paths = ["worker/**"]
restart = "recreate"
build = true
restart_timeout = "120s"

[[services.worker.checks]]
type = "rollout"

[[services.worker.checks]]
type = "logs"
name = "jobs"
must_match = ["processed job"]
must_not_match = ["Error: ", "Traceback"]

[[services.worker.checks]]
type = "revision"
"""


def api_model_path(text: str, path: str) -> str:
    line = next(ln for ln in text.splitlines() if ln.startswith("MODEL_FILE="))
    return text.replace(line, f"MODEL_FILE=/app/{path}")


def worker_batch_from_job(text: str) -> str:
    """Each job "may choose its batch size"; none does, so the size is 0 and every job divides by zero."""
    return text.replace("    echo $(( $1 % 7 + 1 ))",
                        "    size=${BATCH_SIZE:-0}  # each job may choose its batch size\n"
                        "    echo $(( ($1 % 7 + 1) / size ))")


def worker_retries(text: str, retries: int) -> str:
    line = next(ln for ln in text.splitlines() if ln.startswith("RETRIES="))
    return text.replace(line, f"RETRIES={retries}")
