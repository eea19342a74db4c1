"""What the Kubernetes platform tests share: the seed report's deployment and a service pointing at kmock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deploystate.platforms.base import ServiceRef
from deploystate.state.config.config import KubernetesService, Revision
from tests.fixtures.kube import FakeCluster

OLD, NEW = "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
SEED = "homeeasy-ai-service-v3"
WEB, BEAT, WORKER, WORKER2 = (f"{SEED}-web", f"{SEED}-celery-beat", f"{SEED}-celery-worker",
                              f"{SEED}-celery-worker-2")


def seed_containers(commit: str) -> list[dict[str, Any]]:
    """The seed report's pod: four containers from one image, tagged with the commit."""
    return [{"name": n, "image": f"us-central1-docker.pkg.dev/p/r/{SEED}:{commit}"}
            for n in (WEB, BEAT, WORKER, WORKER2)]


def service(cluster: FakeCluster, name: str = SEED, **kw: Any) -> ServiceRef:
    cfg = KubernetesService(deployment=name, host=cluster.host, revision=Revision(source="image_tag"), **kw)
    return ServiceRef(name, cfg, Path("."))


def set_image(cluster: FakeCluster, name: str, commit: str) -> None:
    def change(dep: dict[str, Any]) -> None:
        for c in dep["spec"]["template"]["spec"]["containers"]:
            c["image"] = c["image"].rsplit(":", 1)[0] + f":{commit}"
    cluster.edit_deployment(name, change)
