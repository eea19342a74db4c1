"""Helpers shared by the ECS tests: a moto-backed ECS client, task definitions, services, tasks."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from deploystate.platforms.base import ServiceRef
from deploystate.state.config.config import EcsService, Revision

REGION = "us-east-1"
OLD, NEW = "4be1c0d9e2f3a4b5", "9f3c2a1b7e6d5c4b"


@pytest.fixture(autouse=True)
def _no_project(monkeypatch):
    """Platforms read the ledger of the project at the service's root: never the environment's."""
    monkeypatch.delenv("DEPLOYSTATE_ROOT", raising=False)


def svc_ref(tmp_path: Path, endpoint: str, *, service: str = "web", source: str = "image_tag") -> ServiceRef:
    cfg = EcsService(cluster="prod", service=service, region=REGION, endpoint_url=endpoint,
                     revision=Revision(source=source, name="GIT_SHA"))
    return ServiceRef(service, cfg, tmp_path)


def register(ecs, tag: str, *, logs: bool = True) -> str:
    container = {"name": "web", "image": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:{tag}", "memory": 128,
                 "environment": [{"name": "GIT_SHA", "value": tag}]}
    if logs:
        container["logConfiguration"] = {"logDriver": "awslogs", "options": {
            "awslogs-group": "/ecs/web", "awslogs-region": REGION, "awslogs-stream-prefix": "ecs"}}
    return ecs.register_task_definition(family="web", containerDefinitions=[container])["taskDefinition"][
        "taskDefinitionArn"]


@pytest.fixture
def ecs(aws_endpoint):
    """A boto3 ECS client on a freshly reset moto server, with cluster "prod"."""
    client = boto3.client("ecs", endpoint_url=aws_endpoint, region_name=REGION)
    client.create_cluster(clusterName="prod")
    return client


def create_service(ecs, td: str, desired: int = 1) -> None:
    ecs.create_service(cluster="prod", serviceName="web", taskDefinition=td, desiredCount=desired,
                       launchType="FARGATE")


def start_task(ecs, td: str, deployment: str) -> str:
    """moto starts no tasks for a service: start one the way the ECS scheduler would (group, startedBy)."""
    return ecs.run_task(cluster="prod", taskDefinition=td, launchType="FARGATE", group="service:web",
                        startedBy=deployment)["tasks"][0]["taskArn"]


def primary(ecs) -> dict:
    deps = ecs.describe_services(cluster="prod", services=["web"])["services"][0]["deployments"]
    return next(d for d in deps if d["status"] == "PRIMARY")
