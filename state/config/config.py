"""The schema of deploystate.toml (pydantic) and a loader whose errors name file, line, key and choices."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .checks import CHECK_TYPES, Check, Duration, Regex
from deploystate.state.errors import ConfigError, StateMissing
from .mapping import GlobError, compile_glob
from .tomllines import line_of

SERVICE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
PLATFORMS = ("compose", "docker", "kubernetes", "ecs", "command")
STRATEGIES = ("auto", "restart", "recreate", "rollout", "force_new_deployment", "command")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _globs(v: list[str]) -> list[str]:
    for g in v:
        if g.startswith("!"):  # taken literally it would match nothing, silently
            raise ValueError(f"pattern {g!r}: '!' negation is not supported in paths; list the paths that "
                             "belong to the service instead (e.g. 'api/**' rather than '**' plus '!web/**')")
        try:
            compile_glob(g)
        except GlobError as exc:
            raise ValueError(f"bad glob: {exc}") from exc
    return v


class Revision(Strict):
    """Where the running revision (the git commit the running code came from) is read."""

    source: Literal["label", "env", "image_tag", "http", "worktree"] = "label"
    name: str = "org.opencontainers.image.revision"   # label or environment variable name
    pattern: Regex = r"(?P<rev>[0-9a-f]{7,40})$"          # for image_tag: a regex with a 'rev' group
    url: str | None = None                              # for http: a /version-style endpoint
    json_key: str | None = None                         # for http: read this key from a JSON body
    # worktree (compose/docker with the code bind-mounted from this checkout): the running code is the
    # working tree. `mounted` globs are the bind-mounted files (default: all the service's paths); the
    # rest of its paths are baked into the image. `reloads` = the process picks up changed files itself.
    mounted: list[str] = Field(default_factory=list)
    reloads: bool = False

    _v_mounted = field_validator("mounted")(classmethod(lambda cls, v: _globs(v)))

    @model_validator(mode="after")
    def _http_needs_url(self) -> "Revision":
        if self.source == "http" and not self.url:
            raise ValueError("revision source 'http' needs a 'url'")
        return self


class ServiceBase(Strict):
    platform: str
    paths: Annotated[list[str], Field(default_factory=list)]
    restart: Literal[STRATEGIES] = "auto"  # type: ignore[valid-type]
    checks: list[Check] = Field(default_factory=list)
    revision: Revision = Field(default_factory=Revision)
    restart_timeout: Duration = 300.0
    # The only way past an unreadable running revision: a reason, shown as a standing warning everywhere.
    revision_waiver: str | None = None
    # Who rolls a pushed commit out: deploystate's own restart, or CI after a push to a deploy branch
    # (then the pre-push hook records a pending deploy and `deploystate verify --wait` waits for it).
    deployed_by: Literal["deploystate", "ci"] | None = None   # None: [project] deployed_by

    _v_paths = field_validator("paths")(classmethod(lambda cls, v: _globs(v)))

    @field_validator("revision_waiver")
    @classmethod
    def _waiver_reason(cls, v: str | None) -> str | None:
        if v is not None and len(v.strip()) < 8:
            raise ValueError("revision_waiver needs a reason (why this service's running revision cannot be read)")
        return v.strip() if v is not None else None


class ComposeService(ServiceBase):
    platform: Literal["compose"] = "compose"
    service: str | None = None             # compose service name; defaults to the deploystate name
    compose_files: list[str] = Field(default_factory=lambda: ["docker-compose.yml"])
    project_name: str | None = None
    build: bool = False                    # recreate with --build
    pull: bool = False                     # recreate with --pull always
    env_files: list[str] = Field(default_factory=list)


class DockerService(ServiceBase):
    platform: Literal["docker"] = "docker"
    container: str | None = None
    label: str | None = None               # "key=value" selecting containers

    @model_validator(mode="after")
    def _one_selector(self) -> "DockerService":
        if not self.container and not self.label:
            raise ValueError("a docker service needs 'container' or 'label'")
        return self


WORKLOAD_KINDS = ("deployment", "statefulset", "daemonset")


class KubernetesService(ServiceBase):
    platform: Literal["kubernetes"] = "kubernetes"
    deployment: str | None = None          # exactly one of deployment / statefulset / daemonset
    statefulset: str | None = None
    daemonset: str | None = None
    namespace: str = "default"
    context: str | None = None
    kubeconfig: str | None = None
    host: str | None = None                # API URL, for clusters reached without a kubeconfig
    containers: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_workload(self) -> "KubernetesService":
        named = [k for k in WORKLOAD_KINDS if getattr(self, k)]
        if len(named) != 1:
            raise ValueError("a kubernetes service names exactly one workload: deployment, statefulset or "
                             f"daemonset (got {', '.join(named) or 'none'})")
        return self

    @property
    def kind(self) -> str:
        """"deployment", "statefulset" or "daemonset"."""
        return next(k for k in WORKLOAD_KINDS if getattr(self, k))

    @property
    def workload(self) -> str:
        """The workload's name, whatever its kind."""
        return str(getattr(self, self.kind))


class EcsService(ServiceBase):
    platform: Literal["ecs"] = "ecs"
    cluster: str
    service: str
    region: str | None = None
    endpoint_url: str | None = None


class CommandService(ServiceBase):
    platform: Literal["command"] = "command"
    restart_cmd: list[str] = Field(min_length=1)
    observe_cmd: list[str] | None = None   # prints JSON or key=value lines about the running process
    logs_cmd: list[str] | None = None
    log_file: str | None = None
    rollback_cmd: list[str] | None = None
    cwd: str | None = None


SERVICE_MODELS: dict[str, type[ServiceBase]] = {
    "compose": ComposeService, "docker": DockerService, "kubernetes": KubernetesService,
    "ecs": EcsService, "command": CommandService,
}


class AllServicesRule(Strict):
    paths: list[str] = Field(min_length=1)
    reason: str = "affects every service"

    _v_paths = field_validator("paths")(classmethod(lambda cls, v: _globs(v)))


class HooksSettings(Strict):
    commit_msg_patterns: list[Regex] = Field(default_factory=lambda: [
        r"(?i)\bdeployed\b", r"(?i)\bis (now )?live\b", r"(?i)\bverified (working|in prod)",
        r"(?i)\bworking in prod(uction)?\b", r"(?i)\blive in prod(uction)?\b"])
    deployed_tag_pattern: str = "deployed/*"
    sync_before: bool = False
    sync_timeout: Duration = 5.0


class ProjectSettings(Strict):
    name: str = "project"
    deploy_branches: list[str] = Field(default_factory=lambda: ["main"])
    state_dir: str | None = None            # default: the git common dir (state/ledger/location.py)
    state_file: str = "DEPLOYMENT_STATE.md"
    state_file_budget: int = Field(12_000, ge=2_000, le=1_000_000)
    recheck_after: Duration = 1800.0
    doom_loop_after: int = Field(3, ge=1, le=100)
    backend: str | None = None              # "git" (default: files) or "s3://bucket/prefix"
    alert_webhook: str | None = None
    verify_deadline: Duration = 300.0
    deployed_by: Literal["deploystate", "ci"] = "deploystate"   # the default for every service
    observe_deadline: Duration = Field(4.0, gt=0, le=120)   # `state` & co. ask every runtime within this
    hooks: HooksSettings = Field(default_factory=HooksSettings)


def _parse_service(value: Any) -> ServiceBase:
    if isinstance(value, ServiceBase):
        return value
    if not isinstance(value, dict):
        raise ValueError("a service must be a table")
    platform = value.get("platform")
    model = SERVICE_MODELS.get(platform) if isinstance(platform, str) else None
    if model is None:
        raise ValueError(f"unknown platform {platform!r}; valid platforms: {', '.join(PLATFORMS)}")
    return model.model_validate(value)


class Config(Strict):
    project: ProjectSettings = Field(default_factory=ProjectSettings)
    services: dict[str, Any] = Field(default_factory=dict)
    all_services: list[AllServicesRule] = Field(default_factory=list)
    preflight: list[Check] = Field(default_factory=list)

    @field_validator("services")
    @classmethod
    def _services(cls, v: dict[str, Any]) -> dict[str, ServiceBase]:
        out = {}
        for name, body in v.items():
            if not SERVICE_NAME.match(name):
                raise ValueError(f"service name {name!r} must match [a-z0-9][a-z0-9_-]*")
            out[name] = _parse_service(body)
        return out

    def revision_waivers(self) -> dict[str, str]:
        """service -> reason, for every service whose running revision is waived (a standing warning)."""
        return {n: s.revision_waiver for n, s in sorted(self.services.items()) if s.revision_waiver}

    def service(self, name: str) -> ServiceBase:
        try:
            return self.services[name]
        except KeyError:
            known = ", ".join(sorted(self.services)) or "(none configured)"
            raise ConfigError(f"unknown service {name!r}", f"known services: {known}") from None


def _table_model(parent: list[str], data: Any) -> type[BaseModel] | None:
    """The model that validates the table at ``parent`` in the raw TOML data (to list its valid keys)."""
    node: Any = data
    for part in parent:
        node = (node[int(part)] if isinstance(node, list) and part.isdigit() and int(part) < len(node)
                else node.get(part) if isinstance(node, dict) else None)
    kind = node.get("type") if isinstance(node, dict) else None
    if not parent:
        return Config
    if parent[0] == "project":
        return HooksSettings if parent[1:2] == ["hooks"] else ProjectSettings
    if parent[0] == "all_services":
        return AllServicesRule
    if parent[0] == "preflight":
        return CHECK_TYPES.get(kind) if isinstance(kind, str) else None
    if parent[0] == "services" and len(parent) >= 2:
        body = (data.get("services") or {}).get(parent[1]) if isinstance(data, dict) else None
        platform = body.get("platform") if isinstance(body, dict) else None
        if len(parent) == 2:
            return SERVICE_MODELS.get(platform) if isinstance(platform, str) else None
        if parent[2] == "revision":
            return Revision
        if parent[2] == "checks":
            return CHECK_TYPES.get(kind) if isinstance(kind, str) else None
    return None


def _explain(err: dict[str, Any], text: str, path: Path, data: Any = None) -> ConfigError:
    loc = [str(p) for p in err.get("loc", ()) if not str(p).startswith(("function-", "tagged-union"))]
    key = ".".join(loc)
    msg = err.get("msg", "invalid").removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        msg = f"unknown key {loc[-1]!r}"
        model = _table_model(loc[:-1], data)
        if model is not None:
            msg += "; valid keys: " + ", ".join(sorted(model.model_fields))
    elif err.get("type") == "literal_error":
        msg = f"{msg} (got {err.get('input')!r})"
    elif str(err.get("type", "")).endswith(("_type", "_parsing")) and "input" in err:
        msg = f"{msg} (got {err['input']!r:.80})"
    line = line_of(text, loc)
    where = f"{path}:{line}" if line else str(path)
    return ConfigError(f"{where}: {key or '(top level)'}: {msg}",
                       "fix that key in deploystate.toml (see the README's configuration reference)",
                       file=str(path), line=line, key=key)


def load_config(path: str | Path) -> Config:
    """Read and validate deploystate.toml; raise ConfigError naming the line and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise StateMissing(f"{path} does not exist", "run `deploystate init` to write a starter config") from exc
    return load_text(text, path)


def load_text(text: str, path: str | Path) -> Config:
    """Validate the text of deploystate.toml read from ``path`` (named in errors)."""
    path = Path(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", "fix the syntax at the line named above",
                          file=str(path)) from exc
    return validate_config(data, text, path)


def _service_error(name: str, msg: str, text: str, path: Path, *loc: str) -> ConfigError:
    return _explain({"loc": ("services", name, *loc), "msg": msg}, text, path)


def validate_config(data: dict[str, Any], text: str = "", path: Path = Path("deploystate.toml")) -> Config:
    """Validate parsed TOML; services one by one so an error keeps its full key path."""
    raw = data
    services = data.get("services", {})
    parsed: dict[str, ServiceBase] = {}
    if isinstance(services, dict):
        for name, body in services.items():
            if not SERVICE_NAME.match(name):
                raise _service_error(name, f"service name {name!r} must match [a-z0-9][a-z0-9_-]* "
                                           "(lower case letters, digits, '_' and '-')", text, path)
            platform = body.get("platform") if isinstance(body, dict) else None
            if platform not in SERVICE_MODELS:
                raise _service_error(name, f"unknown platform {platform!r}; valid platforms: "
                                           f"{', '.join(PLATFORMS)}", text, path, "platform")
            try:
                parsed[name] = SERVICE_MODELS[platform].model_validate(body)
            except ValidationError as exc:
                err = exc.errors()[0]
                raise _explain({**err, "loc": ("services", name, *err.get("loc", ()))}, text, path, raw) from exc
        data = {**data, "services": parsed}
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise _explain(exc.errors()[0], text, path, raw) from exc
