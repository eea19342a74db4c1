"""Pure reading of pods (API JSON): every container as an Instance, failure reasons worded for humans,
and the revision a pod or pod template runs. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deploystate.state.config.config import Revision

from deploystate.platforms.base import Instance
from deploystate.platforms.revision import RevisionReading, read_revision

HASH_LABEL = "pod-template-hash"
# Waiting reasons that mean the container will not come up by itself.
BAD_WAITING = frozenset({"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError",
                         "CreateContainerError", "InvalidImageName", "ErrImageNeverPull", "RunContainerError"})
OOM_EXIT = 137                                  # SIGKILL: the kernel OOM killer (or a failed liveness probe)
MESSAGE_LIMIT = 200


def as_int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond
    return None


def pod_revision(podlike: dict[str, Any], cfg: Revision, containers: list[str] | None = None) -> RevisionReading:
    """The revision a pod (or a pod template) runs, per the configured source (not ``http``).

    Kubernetes cannot see image labels, so the ``label`` source reads a pod annotation or label of
    that name. ``env`` and ``image_tag`` read the selected containers (all when none are named);
    the first container that yields a revision wins, because sidecars rarely carry one.
    """
    meta = podlike.get("metadata") or {}
    if cfg.source == "label":
        labels = {**(meta.get("labels") or {}), **(meta.get("annotations") or {})}
        return read_revision(cfg, labels=labels)
    first: RevisionReading | None = None
    for container in _containers(podlike, containers):
        env = {e["name"]: e["value"] for e in container.get("env") or [] if "name" in e and "value" in e}
        reading = read_revision(cfg, env=env, image=container.get("image"))
        if reading.value is not None:
            return reading
        first = first or reading
    return first or RevisionReading(None, f"{cfg.source} {cfg.name}", "the pod has none of the named containers")


def _containers(podlike: dict[str, Any], names: list[str] | None) -> list[dict[str, Any]]:
    all_ = (podlike.get("spec") or {}).get("containers") or []
    return [c for c in all_ if not names or c.get("name") in names]


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


@dataclass
class PodReport:
    instances: list[Instance]
    problems: list[str]


def inspect_pod(pod: dict[str, Any], revision: str | None = None) -> PodReport:
    """Every container of ``pod`` as an Instance, and its failure reasons worded for humans."""
    meta, spec, status = (pod.get(k) or {} for k in ("metadata", "spec", "status"))
    pod_name = meta.get("name", "?")
    template_hash = (meta.get("labels") or {}).get(HASH_LABEL)
    images = {c.get("name"): c.get("image") for c in spec.get("containers") or []}
    probed = {c.get("name") for c in spec.get("containers") or [] if c.get("readinessProbe")}
    statuses = {s.get("name"): s for s in status.get("containerStatuses") or []}
    problems = _pod_level_problems(pod_name, status)
    instances: list[Instance] = []
    for name in images:                        # spec order: every container, even without a status yet
        st = statuses.get(name) or {}
        inst, problem = _container(st, name, pod_name, images.get(name), name in probed)
        inst.revision, inst.generation = revision, template_hash
        instances.append(inst)
        if problem:
            problems.append(problem)
    for st in status.get("initContainerStatuses") or []:
        _, problem = _container(st, st.get("name", "?"), pod_name, st.get("image"), False, init=True)
        if problem:
            problems.append(problem)
    return PodReport(instances, problems)


def _pod_level_problems(pod_name: str, status: dict[str, Any]) -> list[str]:
    if status.get("phase") == "Failed":
        return [f"pod {pod_name} failed: {status.get('reason') or 'Failed'}: {_short(status.get('message'))}"]
    scheduled = condition({"status": status}, "PodScheduled")
    if scheduled and scheduled.get("status") == "False":
        return [f"pod {pod_name} cannot be scheduled ({scheduled.get('reason')}): {_short(scheduled.get('message'))}"]
    return []


def _container(st: dict[str, Any], name: str, pod_name: str, image: str | None, probed: bool,
               init: bool = False) -> tuple[Instance, str | None]:
    state, last = st.get("state") or {}, (st.get("lastState") or {}).get("terminated") or {}
    restarts = as_int(st.get("restartCount"))
    inst = Instance(name=f"{pod_name}/{name}", state="unknown", restart_count=restarts, image=image,
                    image_id=st.get("imageID") or None, ready=st.get("ready") if st else None)
    if probed and st:
        inst.healthy = bool(st.get("ready"))
    if "running" in state:
        inst.state, inst.started_at = "running", (state["running"] or {}).get("startedAt")
    elif "waiting" in state:
        inst.state, inst.reason = "waiting", (state["waiting"] or {}).get("reason")
    elif "terminated" in state:
        term = state["terminated"] or {}
        inst.state, inst.reason, inst.exit_code = "terminated", term.get("reason"), term.get("exitCode")
        inst.started_at = term.get("startedAt")
    killed = last if (last.get("reason") == "OOMKilled" or last.get("exitCode") == OOM_EXIT) else None
    current_kill = state.get("terminated") if inst.reason == "OOMKilled" or inst.exit_code == OOM_EXIT else None
    inst.oom_killed = bool(killed or current_kill)
    if inst.reason is None and last:
        inst.reason, inst.exit_code = last.get("reason"), last.get("exitCode")
    elif inst.exit_code is None and last:
        inst.exit_code = last.get("exitCode")
    return inst, _container_problem(inst, name, pod_name, st, last, init)


def _container_problem(inst: Instance, name: str, pod_name: str, st: dict[str, Any], last: dict[str, Any],
                       init: bool) -> str | None:
    who = f"{'init container' if init else 'container'} {name} in pod {pod_name}"
    restarts = inst.restart_count or 0
    since = f"restarted {restarts} time{'s' if restarts != 1 else ''} since the rollout"
    last_exit = (f"last exit {last.get('exitCode')} ({last.get('reason') or 'Error'})" if last else "")
    waiting = (st.get("state") or {}).get("waiting") or {}
    terminated = (st.get("state") or {}).get("terminated") or {}
    if inst.state == "waiting" and inst.reason in BAD_WAITING:
        details = [d for d in (last_exit, since if restarts else "", _short(waiting.get("message"))) if d]
        return f"{who}: {inst.reason}" + (f" ({'; '.join(details)})" if details else "")
    if inst.state == "terminated" and (terminated.get("exitCode") or 0) != 0:
        kind = _kill_words(terminated) or f"exited with code {terminated.get('exitCode')}"
        return f"{who} {kind} ({terminated.get('reason') or 'Error'}; {since})"
    if inst.oom_killed:
        return f"{who} {_kill_words(last)}; it is {inst.state} again ({since})"
    if restarts and not init:
        return f"{who} {since} ({last_exit or 'no termination record'})"
    return None


def _kill_words(term: dict[str, Any]) -> str | None:
    if term.get("reason") == "OOMKilled":
        return f"was OOMKilled (exit {term.get('exitCode', OOM_EXIT)}: out of memory)"
    if term.get("exitCode") == OOM_EXIT:
        return "was killed with exit 137 (SIGKILL: out of memory or a failed liveness probe)"
    return None
