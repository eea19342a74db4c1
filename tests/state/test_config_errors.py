"""A bad deploystate.toml gives one message with file:line, the key path and the valid choices; the CLI exits 2
and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploystate.server import cli
from deploystate.state.config.config import load_config
from deploystate.state.errors import ConfigError

API = '[project]\nname = "shop"\n\n[services.api]\nplatform = "compose"\npaths = ["api/**"]\n'

CASES = {
    "unknown key": (API + 'pathz = ["x"]\n', 7, "services.api.pathz",
                    ["unknown key 'pathz'", "valid keys:", "paths", "compose_files"]),
    "unknown project key": ('[project]\nname = "x"\nstatedir = "s"\n', 3, "project.statedir",
                            ["unknown key 'statedir'", "state_dir", "doom_loop_after"]),
    "unknown check key": (API + '\n[[services.api.checks]]\ntype = "http"\nurl = "http://x"\nexpect = 200\n', 11,
                          "services.api.checks.0.expect", ["unknown key 'expect'", "expect_status"]),
    "wrong type": ('[project]\ndoom_loop_after = "three"\n', 2, "project.doom_loop_after",
                   ["valid integer", "'three'"]),
    "wrong type list": ('[services.api]\nplatform = "compose"\npaths = "api/**"\n', 3, "services.api.paths",
                        ["valid list", "'api/**'"]),
    "bad glob": ('[services.api]\nplatform = "compose"\npaths = ["api/[x"]\n', 3, "services.api.paths",
                 ["bad glob", "unclosed '['"]),
    "bad all-services glob": (API + '\n[[all_services]]\npaths = ["]"]\n', 9, "all_services.0.paths",
                              ["bad glob", "unmatched ']'"]),
    "unknown platform": ('[services.api]\nplatform = "nomad"\n', 2, "services.api.platform",
                         ["unknown platform 'nomad'", "compose, docker, kubernetes, ecs, command"]),
    "bad service name": ('[services.Api]\nplatform = "compose"\n', 1, "services.Api",
                         ["'Api' must match", "[a-z0-9][a-z0-9_-]*"]),
    "bad check type": (API + '\n[[services.api.checks]]\ntype = "ping"\n', 8, "services.api.checks.0",
                       ["unknown check type 'ping'", "http", "logs", "revision", "rollout"]),
    "bad restart strategy": (API + 'restart = "bounce"\n', 7, "services.api.restart",
                             ["'recreate'", "'rollout'", "(got 'bounce')"]),
    "missing required field": ('[services.web]\nplatform = "kubernetes"\n', 1, "services.web",
                               ["exactly one workload", "deployment, statefulset or daemonset"]),
    "bad duration": ('[project]\nrecheck_after = "soon"\n', 2, "project.recheck_after", ["bad duration", "30m"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_config_names_file_line_key_and_choices(tmp_path: Path, case: str):
    """Each bad config raises one ConfigError whose message starts with file:line: key and lists choices."""
    text, line, key, fragments = CASES[case]
    path = tmp_path / "deploystate.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    err = info.value
    assert err.message.startswith(f"{path}:{line}: {key}: "), err.message
    assert (err.line, err.key, err.file) == (line, key, str(path))
    for fragment in fragments:
        assert fragment in err.message
    assert "\n" not in err.message and err.hint and err.exit_code == 2


def test_toml_syntax_error_names_the_file_and_line(tmp_path: Path):
    """Broken TOML syntax is a ConfigError naming the file and the parser's line."""
    path = tmp_path / "deploystate.toml"
    path.write_text('[services.api\nplatform = "compose"\n')
    with pytest.raises(ConfigError, match=r"deploystate.toml: not valid TOML: .*line 1"):
        load_config(path)


@pytest.mark.parametrize("argv", [["state"], ["state", "--observe"], ["affected"], ["init", "--validate"],
                                  ["render"]])
@pytest.mark.parametrize("case", ["unknown key", "bad check type"])
def test_cli_exits_2_on_a_bad_config_and_writes_nothing(git_repo, capsys, argv: list[str], case: str):
    """Commands that read the config stop with exit 2 and the message, and leave every file as it was."""
    cfg = git_repo.write("deploystate.toml", CASES[case][0])
    git_repo.write("api/app.py", "x\n")
    git_repo.commit("one")
    before = {p: p.read_bytes() for p in git_repo.path.rglob("*") if p.is_file() and ".git" not in p.parts}
    capsys.readouterr()
    code = cli.main(["--root", str(git_repo.path), *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{cfg}:{CASES[case][1]}: {CASES[case][2]}" in err and "next:" in err
    after = {p: p.read_bytes() for p in git_repo.path.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == before


@pytest.mark.parametrize("argv", [["state", "--no-observe"], ["render"]])
def test_an_edited_config_is_validated_every_time(git_repo, capsys, argv: list[str]):
    """Good, bad, good, bad again: each run validates the text it reads (no memo of an earlier answer
    lets a refused text through), and nothing about the config is written to the state directory."""
    from tests.server.test_bad_config_matrix import BAD, GOOD

    git_repo.write("api/app.py", "x\n")
    git_repo.commit("one")
    assert cli.main(["--root", str(git_repo.path), "init"]) == 0
    state = [p for p in git_repo.path.rglob("*") if p.is_dir() and (p / "ledger.jsonl").exists()]
    assert len(state) == 1, state
    before = {p for s in state for p in s.rglob("*")}
    text, key, line = BAD["wrong type"]
    for config, want in ((GOOD, 0), (text, 2), (GOOD, 0), (text, 2)):
        (git_repo.path / "deploystate.toml").write_text(config)
        capsys.readouterr()
        assert cli.main(["--root", str(git_repo.path), *argv]) == want
        if want:
            assert f"deploystate.toml:{line}: {key}: " in capsys.readouterr().err
    after = {p for s in state for p in s.rglob("*")}
    assert not [p for p in after - before if "config" in p.name]


def test_a_config_that_is_not_utf8_is_a_config_error(tmp_path: Path):
    """Bytes that are not UTF-8 are a ConfigError naming the file (exit 2), not a traceback."""
    path = tmp_path / "deploystate.toml"
    path.write_bytes(b'[project]\nname = "\xff"\n')
    with pytest.raises(ConfigError, match="deploystate.toml: not UTF-8 text") as info:
        load_config(path)
    assert info.value.exit_code == 2 and info.value.file == str(path)
