"""The services, project settings and top-level table of deploystate.toml, as ``fields`` models.

``config.py`` loads and explains; the check models are in ``checks.py``. Standard library only.
"""

from __future__ import annotations

from deploystate.state.errors import ConfigError
from .checks import CHECK, OPT_STR
from .fields import BOOL, DURATION, INT, REGEX, STR, Choice, DictOf, Field, ListOf, Model, Nested, Opt, Tagged, model_check
from .globs import GlobError, check_glob

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any



class _ServiceNamePattern:
    """``re.compile(r"^[a-z0-9][a-z0-9_-]*$")`` made on first use: the schema (``.pattern``) and discovery
    (``.match``) use it; validating a config tests names with ``service_name_ok`` (re costs ~25M
    instructions to import, and `deploystate state` validates the config on every run)."""

    pattern = r"^[a-z0-9][a-z0-9_-]*$"
    _compiled = None

    def match(self, name: str):  # noqa: ANN201 - re.Match | None, as the compiled pattern's
        if self._compiled is None:
            import re

            type(self)._compiled = re.compile(self.pattern)
        return self._compiled.match(name)


SERVICE_NAME = _ServiceNamePattern()
_NAME_FIRST = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_NAME_REST = _NAME_FIRST | {"_", "-"}


def service_name_ok(name: str) -> bool:
    """``bool(SERVICE_NAME.match(name))`` without re (``$`` also matches before one final newline)."""
    body = name[:-1] if name.endswith("\n") else name
    return bool(body) and body[0] in _NAME_FIRST and _NAME_REST.issuperset(body)


PLATFORMS = ("compose", "docker", "kubernetes", "ecs", "command")
STRATEGIES = ("auto", "restart", "recreate", "rollout", "force_new_deployment", "command")
STR_LIST = ListOf(STR)


class Strict(Model):
    """Frozen, extra keys refused (every model of the config)."""


def _globs(v: list[str]) -> list[str]:
    for g in v:
        if g.startswith("!"):  # taken literally it would match nothing, silently
            raise ValueError(f"pattern {g!r}: '!' negation is not supported in paths; list the paths that "
                             "belong to the service instead (e.g. 'api/**' rather than '**' plus '!web/**')")
        try:
            check_glob(g)  # re only for a pattern with [ or ]
        except GlobError as exc:
            raise ValueError(f"bad glob: {exc}") from exc
    return v


def _globs_field(**kw: Any) -> Field:
    return Field(STR_LIST, validators=(_globs,), **kw)


class Revision(Strict):
    """Where the running revision (the git commit the running code came from) is read."""

    source = Field(Choice("label", "env", "image_tag", "http", "worktree"), "label")
    name = Field(STR, "org.opencontainers.image.revision")   # label or environment variable name
    pattern = Field(REGEX, r"(?P<rev>[0-9a-f]{7,40})$")      # for image_tag: a regex with a 'rev' group
    url = Field(OPT_STR, None)                                # for http: a /version-style endpoint
    json_key = Field(OPT_STR, None)                           # for http: read this key from a JSON body
    # worktree (compose/docker with the code bind-mounted from this checkout): the running code is the
    # working tree. `mounted` globs are the bind-mounted files (default: all the service's paths); the
    # rest of its paths are baked into the image. `reloads` = the process picks up changed files itself.
    mounted = _globs_field(factory=list)
    reloads = Field(BOOL, False)

    @model_check
    def _http_needs_url(self) -> None:
        if self.source == "http" and not self.url:
            raise ValueError("revision source 'http' needs a 'url'")


def _waiver_reason(v: str | None) -> str | None:
    if v is not None and len(v.strip()) < 8:
        raise ValueError("revision_waiver needs a reason (why this service's running revision cannot be read)")
    return v.strip() if v is not None else None


DEPLOYED_BY = Choice("deploystate", "ci")


class ServiceBase(Strict):
    platform = Field(STR)
    paths = _globs_field(factory=list)
    restart = Field(Choice(*STRATEGIES), "auto")
    checks = Field(ListOf(CHECK), factory=list)
    revision = Field(Nested(Revision), factory=Revision)
    restart_timeout = Field(DURATION, 300.0)
    # The only way past an unreadable running revision: a reason, shown as a standing warning everywhere.
    revision_waiver = Field(OPT_STR, None, validators=(_waiver_reason,))
    # Who rolls a pushed commit out: deploystate's own restart, or CI after a push to a deploy branch
    # (then the pre-push hook records a pending deploy and `deploystate verify --wait` waits for it).
    deployed_by = Field(Opt(DEPLOYED_BY), None)   # None: [project] deployed_by


class ComposeService(ServiceBase):
    platform = Field(Choice("compose"), "compose")
    service = Field(OPT_STR, None)             # compose service name; defaults to the deploystate name
    compose_files = Field(STR_LIST, factory=lambda: ["docker-compose.yml"])
    project_name = Field(OPT_STR, None)
    build = Field(BOOL, False)                 # recreate with --build
    pull = Field(BOOL, False)                  # recreate with --pull always
    env_files = Field(STR_LIST, factory=list)


class DockerService(ServiceBase):
    platform = Field(Choice("docker"), "docker")
    container = Field(OPT_STR, None)
    label = Field(OPT_STR, None)               # "key=value" selecting containers

    @model_check
    def _one_selector(self) -> None:
        if not self.container and not self.label:
            raise ValueError("a docker service needs 'container' or 'label'")


WORKLOAD_KINDS = ("deployment", "statefulset", "daemonset")


class KubernetesService(ServiceBase):
    platform = Field(Choice("kubernetes"), "kubernetes")
    deployment = Field(OPT_STR, None)          # exactly one of deployment / statefulset / daemonset
    statefulset = Field(OPT_STR, None)
    daemonset = Field(OPT_STR, None)
    namespace = Field(STR, "default")
    context = Field(OPT_STR, None)
    kubeconfig = Field(OPT_STR, None)
    host = Field(OPT_STR, None)                # API URL, for clusters reached without a kubeconfig
    containers = Field(STR_LIST, factory=list)

    @model_check
    def _one_workload(self) -> None:
        named = [k for k in WORKLOAD_KINDS if getattr(self, k)]
        if len(named) != 1:
            raise ValueError("a kubernetes service names exactly one workload: deployment, statefulset or "
                             f"daemonset (got {', '.join(named) or 'none'})")

    @property
    def kind(self) -> str:
        """"deployment", "statefulset" or "daemonset"."""
        return next(k for k in WORKLOAD_KINDS if getattr(self, k))

    @property
    def workload(self) -> str:
        """The workload's name, whatever its kind."""
        return str(getattr(self, self.kind))


class EcsService(ServiceBase):
    platform = Field(Choice("ecs"), "ecs")
    cluster = Field(STR)
    service = Field(STR)
    region = Field(OPT_STR, None)
    endpoint_url = Field(OPT_STR, None)


OPT_ARGV = Opt(STR_LIST)


class CommandService(ServiceBase):
    platform = Field(Choice("command"), "command")
    restart_cmd = Field(STR_LIST, min_length=1)
    observe_cmd = Field(OPT_ARGV, None)        # prints JSON or key=value lines about the running process
    logs_cmd = Field(OPT_ARGV, None)
    log_file = Field(OPT_STR, None)
    rollback_cmd = Field(OPT_ARGV, None)
    cwd = Field(OPT_STR, None)


SERVICE_MODELS: dict[str, type[ServiceBase]] = {
    "compose": ComposeService, "docker": DockerService, "kubernetes": KubernetesService,
    "ecs": EcsService, "command": CommandService,
}


class AllServicesRule(Strict):
    paths = _globs_field(min_length=1)
    reason = Field(STR, "affects every service")


class HooksSettings(Strict):
    commit_msg_patterns = Field(ListOf(REGEX), factory=lambda: [
        r"(?i)\bdeployed\b", r"(?i)\bis (now )?live\b", r"(?i)\bverified (working|in prod)",
        r"(?i)\bworking in prod(uction)?\b", r"(?i)\blive in prod(uction)?\b"])
    deployed_tag_pattern = Field(STR, "deployed/*")
    sync_before = Field(BOOL, False)
    sync_timeout = Field(DURATION, 5.0)


class ProjectSettings(Strict):
    name = Field(STR, "project")
    deploy_branches = Field(STR_LIST, factory=lambda: ["main"])
    state_dir = Field(OPT_STR, None)            # default: the git common dir (state/ledger/location.py)
    state_file = Field(STR, "DEPLOYMENT_STATE.md")
    state_file_budget = Field(INT, 12_000, ge=2_000, le=1_000_000)
    recheck_after = Field(DURATION, 1800.0)
    doom_loop_after = Field(INT, 3, ge=1, le=100)
    backend = Field(OPT_STR, None)              # "git" (default: files) or "s3://bucket/prefix"
    alert_webhook = Field(OPT_STR, None)
    verify_deadline = Field(DURATION, 300.0)
    deployed_by = Field(DEPLOYED_BY, "deploystate")   # the default for every service
    observe_deadline = Field(DURATION, 4.0, gt=0, le=120)   # `state` & co. ask every runtime within this
    hooks = Field(Nested(HooksSettings), factory=HooksSettings)


def _unknown_platform(platform: Any) -> str:
    return f"unknown platform {platform!r}; valid platforms: {', '.join(PLATFORMS)}"


# A service table, chosen by its ``platform`` key.
SERVICE = Tagged(SERVICE_MODELS, "platform", ServiceBase, "a service must be a table", _unknown_platform)


def _service_names(v: dict[str, Any]) -> dict[str, Any]:
    for name in v:
        if not service_name_ok(name):
            raise ValueError(f"service name {name!r} must match [a-z0-9][a-z0-9_-]*")
    return v


class Config(Strict):
    project = Field(Nested(ProjectSettings), factory=ProjectSettings)
    services = Field(DictOf(SERVICE), factory=dict, validators=(_service_names,))
    all_services = Field(ListOf(Nested(AllServicesRule)), factory=list)
    preflight = Field(ListOf(CHECK), factory=list)

    def revision_waivers(self) -> dict[str, str]:
        """service -> reason, for every service whose running revision is waived (a standing warning)."""
        return {n: s.revision_waiver for n, s in sorted(self.services.items()) if s.revision_waiver}

    def service(self, name: str) -> ServiceBase:
        try:
            return self.services[name]
        except KeyError:
            known = ", ".join(sorted(self.services)) or "(none configured)"
            raise ConfigError(f"unknown service {name!r}", f"known services: {known}") from None
