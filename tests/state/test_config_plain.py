"""The config models without pydantic: today's dumps byte for byte, no pydantic import, the model API the
rest of the code reads (frozen, fields set, copies, equality, the check registry)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploystate.state.config import checks
from deploystate.state.config.config import Config, KubernetesService, load_config, validate_config
from deploystate.state.config.fields import Field
from deploystate.state.config.kinds import STR, Choice
from deploystate.state.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
EVERY = ROOT / "tests/state/configs/every_kind.toml"
# every_kind.dump.json was written by the pydantic models this layer replaced (commit d2f8d50), so the
# checks recorded in the ledger (verify/service.py dumps them) keep the same bytes.
DUMP = ROOT / "tests/state/configs/every_kind.dump.json"


def _dumps(cfg: Config) -> str:
    out = {"checks": {n: [c.model_dump() for c in s.checks] for n, s in cfg.services.items()},
           "preflight": [c.model_dump() for c in cfg.preflight],
           "services": {n: s.model_dump() for n, s in cfg.services.items()},
           "project": cfg.project.model_dump(), "all_services": [r.model_dump() for r in cfg.all_services],
           "fields_set": {n: sorted(s.model_fields_set) for n, s in cfg.services.items()}}
    return json.dumps(out, indent=1) + "\n"


def test_dumps_are_byte_identical_to_the_pydantic_models():
    """Every platform and check type dumps the same keys, order and values as the pydantic models did."""
    assert _dumps(load_config(EVERY)) == DUMP.read_text()


PROBE = ("import json, sys\n"
         "from deploystate.state.config.config import load_config\n"
         "cfg = load_config(sys.argv[1])\n"
         "print(json.dumps({'services': sorted(cfg.services), 'checks': sorted({c.type for s in cfg.services.values() "
         "for c in s.checks} | {c.type for c in cfg.preflight}), 'pydantic': sorted(m for m in sys.modules "
         "if m.split('.')[0] in ('pydantic', 'pydantic_core'))}))\n")


def _probe(prefix: str = "") -> dict:
    out = subprocess.run([sys.executable, "-I", "-c", prefix + PROBE, str(EVERY)], capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout)


def test_loading_a_full_config_imports_no_pydantic():
    """A fresh interpreter loads a config with every platform and check type without importing pydantic."""
    got = _probe()
    assert got["services"] == ["api", "backend", "box", "job", "web"]
    assert got["checks"] == sorted(checks.CHECK_TYPES)
    assert got["pydantic"] == []


def test_the_probe_sees_a_reintroduced_pydantic_import(tmp_path: Path):
    """The same probe over a copy of the package whose kinds module imports pydantic reports it."""
    pkg = tmp_path / "deploystate"
    shutil.copytree(ROOT / "state", pkg / "state")
    shutil.copy(ROOT / "deploystate" / "__init__.py", pkg / "__init__.py")
    kinds = pkg / "state" / "config" / "kinds.py"
    kinds.write_text(kinds.read_text().replace("from __future__ import annotations\n",
                                               "from __future__ import annotations\nimport pydantic  # noqa\n", 1))
    got = _probe(f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n")
    assert "pydantic" in got["pydantic"]


def test_models_are_frozen_and_remember_the_keys_given():
    """Attributes cannot be set; model_fields_set names the keys the table wrote, model_copy adds the update."""
    svc = validate_config({"services": {"api": {"platform": "compose", "build": False}}}).services["api"]
    with pytest.raises(AttributeError):
        svc.build = True  # type: ignore[misc]
    assert svc.model_fields_set == {"platform", "build"}
    moved = svc.model_copy(update={"compose_files": ["x.yml"]})
    assert moved.compose_files == ["x.yml"] and "compose_files" in moved.model_fields_set
    assert svc.compose_files == ["docker-compose.yml"] and "compose_files" not in svc.model_fields_set


def test_equal_configs_are_equal_and_hash_alike():
    """Two loads of one file are equal with one hash; a changed value is not equal."""
    a, b = load_config(EVERY), load_config(EVERY)
    assert a == b and hash(a.services["api"]) == hash(b.services["api"])
    assert a.services["api"] != a.services["api"].model_copy(update={"build": False})


def test_model_helpers_read_the_validated_values():
    """kind/workload, label(), revision_waivers() (stripped) and service() as the rest of the code reads them."""
    cfg = load_config(EVERY)
    web = cfg.services["web"]
    assert isinstance(web, KubernetesService) and (web.kind, web.workload) == ("statefulset", "web")
    assert [c.label() for c in cfg.services["api"].checks] == ["health", "logs", "revision"]
    assert cfg.revision_waivers() == {"api": "vendor image without labels"}
    with pytest.raises(ConfigError, match="unknown service 'nope'.*"):
        cfg.service("nope")
    assert cfg.service("job").restart_cmd == ["systemctl", "restart", "job"]


def test_a_registered_check_type_is_validated_by_the_loader():
    """register_check adds a type the loader then accepts (with its own fields) and lists among the valid ones."""
    class PingCheck(checks.CheckBase):
        type = Field(Choice("ping"), "ping")
        host = Field(STR)

    checks.register_check(PingCheck)
    try:
        cfg = validate_config({"preflight": [{"type": "ping", "host": "h"}]})
        assert isinstance(cfg.preflight[0], PingCheck) and cfg.preflight[0].host == "h"
        with pytest.raises(ConfigError, match="unknown check type 'pong'; valid types: .*ping"):
            validate_config({"preflight": [{"type": "pong"}]})
    finally:
        del checks.CHECK_TYPES["ping"]
