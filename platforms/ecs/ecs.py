"""AWS ECS: restart with a new deployment, follow *our* deployment, roll back to an earlier task definition.

``restart`` calls ``update_service(forceNewDeployment=True)`` and remembers the
id of the new PRIMARY deployment (recorded in the ledger as ``deployment_id``),
then follows it until its rollout COMPLETES or FAILS, or the timeout passes
(then it reports "still in progress" and leaves the judgement to verification).
``observe`` reads the service, its tasks and task definitions (``ecs_observe``);
``logs`` reads CloudWatch Logs as the task definition's awslogs options say.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any, Callable, Iterator

from deploystate.state.config.config import EcsService
from deploystate.state.errors import ConfigError, DeploystateError, InputError, PlatformError, TargetNotFound
from deploystate.state.ledger.ids import iso, utc_now

from deploystate.platforms import recorded
from deploystate.platforms.base import Observation, Progress, RestartResult, ServiceRef
from .ecs_client import Clients, Deadline
from .ecs_observe import short_td, since_filter, summarize, td_revision
from deploystate.platforms.revision import same_revision

STRATEGIES = ("force_new_deployment", "auto", "restart", "rollout")
COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
MAX_TASKS = 100
MAX_LOG_LINES = 5000
FAMILY_SCAN = 50          # task definition revisions searched when rolling back to a commit


class EcsPlatform:
    name = "ecs"

    def __init__(self, *, poll_interval: float = 5.0, progress_every: float = 15.0,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.poll_interval = poll_interval
        self.progress_every = progress_every
        self.clock, self.sleep = clock, sleep   # the rollout deadline's time: injectable for tests
        self._clients: dict[tuple, Any] = {}
        self._ours: dict[tuple[str, str, str | None], str] = {}   # (cluster, service, endpoint) -> deployment id

    # -- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def _cfg(svc: ServiceRef) -> EcsService:
        if not isinstance(svc.config, EcsService):
            raise ConfigError(f"service {svc.name!r} is not an ECS service", 'set platform = "ecs" with cluster '
                              "and service")
        return svc.config

    def _open(self, cfg: EcsService, timeout: float) -> Clients:
        return Clients(cfg, Deadline(timeout, self.clock), self._clients)

    @staticmethod
    def _describe(cl: Clients) -> dict[str, Any]:
        cfg = cl.cfg
        res = cl.call("describe_services", cluster=cfg.cluster, services=[cfg.service])
        found = [s for s in res.get("services", []) if s.get("status") != "INACTIVE"]
        if not found:
            why = "; ".join(f"{f.get('arn', cfg.service)}: {f.get('reason', '?')}" for f in res.get("failures", []))
            raise TargetNotFound(f"ECS service {cfg.service!r} not found in cluster {cfg.cluster!r}"
                                 + (f" ({why})" if why else ""),
                                 "check cluster, service and region in deploystate.toml")
        return found[0]

    def _key(self, cfg: EcsService) -> tuple[str, str, str | None]:
        return (cfg.cluster, cfg.service, cfg.endpoint_url)

    def our_deployment(self, svc: ServiceRef) -> str | None:
        """The deployment the last restart started: this process's memory, else the ledger's record."""
        cfg = self._cfg(svc)
        if self._key(cfg) in self._ours:
            return self._ours[self._key(cfg)]
        ids = recorded.last_platform_ids(svc.root, svc.name)
        if ids.get("cluster") == cfg.cluster and ids.get("service") == cfg.service:
            value = ids.get("deployment_id")
            return value if isinstance(value, str) else None
        return None

    def _tasks(self, cl: Clients, status: str) -> list[dict[str, Any]]:
        cfg = cl.cfg
        arns = cl.call("list_tasks", cluster=cfg.cluster, serviceName=cfg.service, desiredStatus=status,
                       maxResults=MAX_TASKS).get("taskArns", [])
        if not arns:
            return []
        tasks = cl.call("describe_tasks", cluster=cfg.cluster, tasks=arns[:MAX_TASKS]).get("tasks", [])
        # ECS fills ``group`` with "service:<name>" for a service's tasks; keep only those.
        return [t for t in tasks if t.get("group") in (None, f"service:{cfg.service}")]

    @staticmethod
    def _task_def(cl: Clients, arn: str) -> dict[str, Any]:
        return cl.call("describe_task_definition", taskDefinition=arn).get("taskDefinition", {})

    # -- restart and rollback ----------------------------------------------------------------------
    def restart(self, svc: ServiceRef, strategy: str, *, timeout: float,
                progress: Progress | None = None) -> RestartResult:
        if strategy not in STRATEGIES:
            raise ConfigError(f"restart strategy {strategy!r} does not apply to ECS service {svc.name!r}",
                              'use restart = "force_new_deployment" (or "auto")')
        return self._deploy(svc, None, "force_new_deployment", timeout, progress)

    def rollback(self, svc: ServiceRef, to: str | None, *, timeout: float,
                 progress: Progress | None = None) -> RestartResult:
        """Deploy an earlier task definition: ``to`` is an ARN, ``family:revision``, a commit (found by the
        revision config among the family's recent revisions), or None/"previous" (revision - 1)."""
        return self._deploy(svc, to or "previous", "rollback", timeout, progress)

    def _deploy(self, svc: ServiceRef, to: str | None, strategy: str, timeout: float,
                progress: Progress | None) -> RestartResult:
        cfg = self._cfg(svc)
        cl = self._open(cfg, timeout)
        started, clock = iso(utc_now()), time.monotonic()
        before = self._describe(cl)
        current = before.get("taskDefinition")
        params: dict[str, Any] = {"cluster": cfg.cluster, "service": cfg.service, "forceNewDeployment": True}
        if to is not None:
            params["taskDefinition"] = self._resolve_target(cl, cfg, to, current)
        if progress:
            what = f"rolling back to {short_td(params['taskDefinition'])}" if to else "forcing a new deployment"
            progress(f"{svc.name}: {what} of ECS service {cfg.service} in {cfg.cluster}")
        updated = cl.call("update_service", **params)["service"]
        primary = next((d for d in updated.get("deployments", []) if d.get("status") == "PRIMARY"), {})
        ours = primary.get("id")
        if not ours:
            raise PlatformError(f"ECS accepted the update of {cfg.service!r} but reported no PRIMARY deployment",
                                "look at the service's deployments in the ECS console")
        self._ours[self._key(cfg)] = ours
        td = params.get("taskDefinition") or updated.get("taskDefinition") or current
        ids = {"deployment_id": ours, "cluster": cfg.cluster, "service": cfg.service, "task_definition": td,
               "previous_task_definition": current, "previous_deployment_id": next(
                   (d.get("id") for d in before.get("deployments", []) if d.get("status") == "PRIMARY"), None),
               "rollback_ref": td}
        try:  # the revision the new deployment carries, for the record (the running one is observed later)
            ids["revision"] = td_revision(self._task_def(cl, td), cfg.revision).value if td else None
        except DeploystateError:
            ids["revision"] = None
        ok, message, warnings = self._follow(cl, svc.name, ours, progress)
        return RestartResult(svc.name, strategy, ok, message, platform_ids=ids, warnings=warnings,
                             started_at=started, duration=round(time.monotonic() - clock, 3))

    def _follow(self, cl: Clients, name: str, ours: str, progress: Progress | None) -> tuple[bool, str, list[str]]:
        """Poll our deployment until it settles or the deadline nears; API trouble here is a warning
        (the deployment has started either way)."""
        last_line, last_emit = "", 0.0
        while True:
            try:
                service = self._describe(cl)
            except DeploystateError as exc:
                return True, f"deployment {ours} started", [f"could not follow the rollout: {exc.message}"]
            deps = service.get("deployments", [])
            mine = next((d for d in deps if d.get("id") == ours), None)
            primary = next((d for d in deps if d.get("status") == "PRIMARY"), {})
            if mine is None or mine.get("status") != "PRIMARY":
                return False, f"deployment {ours} was replaced by {primary.get('id', '?')} before it completed", []
            state = mine.get("rolloutState")
            counts = f"running {mine.get('runningCount', 0)}/{mine.get('desiredCount', 0)}, " \
                     f"pending {mine.get('pendingCount', 0)}, failed {mine.get('failedTasks', 0)}"
            if state == "COMPLETED" or (not state and len(deps) == 1
                                        and mine.get("runningCount", 0) >= mine.get("desiredCount", 0)):
                return True, f"deployment {ours} completed ({counts})", []
            if state == "FAILED":
                return False, f"deployment {ours} FAILED: {mine.get('rolloutStateReason') or 'no reason'}", []
            line = f"{name}: deployment {ours} {state or 'in progress'} ({counts}; {len(deps)} deployment(s) live)"
            now = self.clock()
            if progress and (line != last_line or now - last_emit >= self.progress_every):
                progress(line)
                last_line, last_emit = line, now
            remaining = cl.deadline.remaining()
            if remaining <= self.poll_interval:
                return True, f"deployment {ours} started; rollout still {state or 'in progress'} ({counts})", [
                    f"rollout not finished within {cl.deadline.timeout:g}s: verification will judge it"]
            self.sleep(self.poll_interval)

    def _resolve_target(self, cl: Clients, cfg: EcsService, to: str, current: str | None) -> str:
        if to == "previous":
            if not current or ":" not in short_td(current):
                raise TargetNotFound(f"cannot tell the previous task definition of {cfg.service!r}",
                                     "name the task definition to roll back to (family:revision)")
            family, rev = short_td(current).rsplit(":", 1)
            if not rev.isdigit() or int(rev) <= 1:
                raise TargetNotFound(f"{short_td(current)} is the first revision of {family}: nothing earlier",
                                     "name the task definition to roll back to")
            return self._task_def(cl, f"{family}:{int(rev) - 1}").get("taskDefinitionArn") or f"{family}:{int(rev) - 1}"
        if to.startswith("arn:") or ":" in to:
            return self._task_def(cl, to).get("taskDefinitionArn") or to
        if not COMMIT.match(to):
            raise InputError(f"rollback target {to!r} is not a task definition or a commit",
                             "pass family:revision, a task definition ARN, a commit, or 'previous'")
        family = short_td(current).rsplit(":", 1)[0] if current else cfg.service
        arns = cl.call("list_task_definitions", familyPrefix=family, sort="DESC",
                       maxResults=FAMILY_SCAN).get("taskDefinitionArns", [])
        for arn in arns[:FAMILY_SCAN]:
            if same_revision(td_revision(self._task_def(cl, arn), cfg.revision).value, to):
                return arn
        raise TargetNotFound(f"no recent task definition of {family} carries revision {to[:12]}",
                             f"register one for that commit, or roll back to family:revision "
                             f"(searched {min(len(arns), FAMILY_SCAN)} revisions by {cfg.revision.source})")

    # -- observe and logs --------------------------------------------------------------------------
    def observe(self, svc: ServiceRef, *, timeout: float) -> Observation:
        cfg = self._cfg(svc)
        cl = self._open(cfg, timeout)
        service = self._describe(cl)
        ours = self.our_deployment(svc)
        mine = next((d for d in service.get("deployments", []) if d.get("id") == ours), None)
        primary = next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), {})
        cutoff = (mine or primary).get("createdAt")
        running = self._tasks(cl, "RUNNING")
        stopped = since_filter(self._tasks(cl, "STOPPED"), cutoff if isinstance(cutoff, datetime) else None)
        arns = {t.get("taskDefinitionArn") for t in running} | {service.get("taskDefinition")}
        task_defs = {arn: self._task_def(cl, arn) for arn in sorted(a for a in arns if a)[:3]}
        return summarize(svc.name, f"ecs:{cfg.cluster}/{cfg.service}", service, running, stopped, task_defs,
                         cfg.revision, ours)

    def logs(self, svc: ServiceRef, *, since: datetime | None, previous: bool = False,
             timeout: float) -> Iterator[str]:
        """CloudWatch Logs events of the service's containers since ``since`` (``previous``: only the
        streams of tasks that have stopped, like ``kubectl logs --previous``)."""
        cfg = self._cfg(svc)
        cl = self._open(cfg, timeout)
        service = self._describe(cl)
        td = self._task_def(cl, service.get("taskDefinition", ""))
        sources = [(c.get("name", ""), (c.get("logConfiguration") or {}).get("options") or {})
                   for c in td.get("containerDefinitions", [])
                   if (c.get("logConfiguration") or {}).get("logDriver") == "awslogs"]
        if not sources:
            raise PlatformError(f"task definition {short_td(td.get('taskDefinitionArn'))} sends no container logs "
                                "to CloudWatch (no awslogs log driver)",
                                "set logConfiguration.logDriver = awslogs, or check logs with another tool")
        stopped_ids = [t.get("taskArn", "").rsplit("/", 1)[-1] for t in self._tasks(cl, "STOPPED")] if previous else []
        start = int(since.timestamp() * 1000) if since else None
        count = 0
        for container, opts in sources:
            group, prefix = opts.get("awslogs-group"), opts.get("awslogs-stream-prefix")
            if not group:
                continue
            params: dict[str, Any] = {"logGroupName": group}
            if start is not None:
                params["startTime"] = start
            if previous:
                if not stopped_ids or not prefix:
                    continue
                params["logStreamNames"] = [f"{prefix}/{container}/{tid}" for tid in stopped_ids[:100]]
            elif prefix:
                params["logStreamNamePrefix"] = f"{prefix}/{container}/"
            while count < MAX_LOG_LINES:
                page = cl.call("filter_log_events", kind="logs", region=opts.get("awslogs-region"), **params)
                for event in page.get("events", []):
                    count += 1
                    yield str(event.get("message", "")).rstrip("\n")
                token = page.get("nextToken")
                if not token or not page.get("events"):
                    break
                params["nextToken"] = token

