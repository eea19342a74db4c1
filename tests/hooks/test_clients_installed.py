"""The Gemini CLI's own code (the npm package, installed by .ci/parts/50-agent-clients.sh) judges the file
deploystate installs: its hook planner picks our entries for each trigger and tool, and its runner's
reading of exit codes turns our refusals into "deny".

The planner and the plain-text result reader are taken verbatim from the installed bundle (between the
bundler's module markers) and run under node with a registry built from our settings file; nothing of
Gemini's is reimplemented here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from deploystate.hooks.agents import agent_install
from tests.fixtures.parts import missing

CLIENTS_DIR = Path(os.environ.get("DEPLOYSTATE_CLIENTS_DIR", "/tmp/deploystate-agent-clients"))
GEMINI = CLIENTS_DIR / "gemini-cli-0.61.0" / "package"
INSTALL = "bash .ci/parts/50-agent-clients.sh (npm install of @google/gemini-cli into a cache directory)"

DRIVER = r"""
const fs = require("fs");
const [bundle, settingsPath] = process.argv.slice(2);
const text = fs.readFileSync(bundle, "utf8");
function section(start, end) {
  const a = text.indexOf(start), b = text.indexOf(end, a);
  if (a < 0 || b < 0) throw new Error("marker not found: " + start);
  return text.slice(a, b);
}
const planner = section("var HookPlanner = class", "// packages/core/dist/src/hooks/hookEventHandler.js");
const runner = section("  convertPlainTextToHookOutput(text, exitCode) {", "// packages/core/dist/src/hooks/hookAggregator.js");
const debugLogger = { debug() {}, warn() {}, log() {} };
const getHookKey = (c) => JSON.stringify(c);
const EXIT_CODE_SUCCESS = 0, EXIT_CODE_NON_BLOCKING_ERROR = 1;
const HookPlanner = eval("(" + planner.replace("var HookPlanner = ", "").replace(/;\s*$/, "") + ")");
const Reader = eval("(class {" + runner.replace(/;\s*$/, "") + ")");
const hooks = JSON.parse(fs.readFileSync(settingsPath, "utf8")).hooks;
const registry = { getHooksForEvent(name) {
  return (hooks[name] || []).flatMap((g) => g.hooks.map((config) => ({ matcher: g.matcher, sequential: g.sequential, config })));
} };
const p = new HookPlanner(registry);
const plan = (event, ctx) => { const r = p.createExecutionPlan(event, ctx); return r ? r.hookConfigs.map((c) => c.name) : []; };
const reader = new Reader();
const input = JSON.parse(fs.readFileSync(0, "utf8"));
const results = input.results.map(([text, code]) => reader.convertPlainTextToHookOutput(text, code).decision);
console.log(JSON.stringify({
  start: ["startup", "resume", "clear"].map((trigger) => plan("SessionStart", { trigger })),
  tool: plan("BeforeTool", { toolName: "run_shell_command" }),
  other_tool: plan("BeforeTool", { toolName: "read_file" }),
  after_agent: plan("AfterAgent", undefined),
  results,
}));
"""


def _bundle() -> Path:
    node = shutil.which("node")
    chunks = sorted(GEMINI.glob("bundle/chunk-*.js")) if GEMINI.is_dir() else []
    markers = ("var HookPlanner = class", "convertPlainTextToHookOutput(text, exitCode) {",
               "hooks/hookEventHandler.js", "hooks/hookAggregator.js")
    hit = [c for c in chunks if all(m in c.read_text(encoding="utf-8", errors="replace") for m in markers)]
    if not node or not hit:
        missing("the Gemini CLI package and node", INSTALL)
    return hit[0]


def _judge(tmp_path: Path, settings: dict, results: list) -> dict:
    bundle = _bundle()
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(settings))
    driver = tmp_path / "driver.cjs"
    driver.write_text(DRIVER)
    res = subprocess.run(["node", str(driver), str(bundle), str(path)], input=json.dumps({"results": results}),
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_gemini_plans_our_hooks_for_every_trigger(tmp_path):
    """Gemini's planner runs our SessionStart hook on startup, resume and clear, BeforeTool for shell only."""
    agent_install.install(tmp_path, "gemini")
    doc = json.loads((tmp_path / ".gemini" / "settings.json").read_text())
    out = _judge(tmp_path, doc, [])
    assert out["start"] == [["deploystate-session-start"]] * 3
    assert out["tool"] == ["deploystate-pre-tool"] and out["other_tool"] == []
    assert out["after_agent"] == ["deploystate-stop"]


def test_gemini_never_matched_the_old_matcher(tmp_path):
    """The matcher older releases wrote ("startup|resume|clear") matches no trigger in Gemini's planner."""
    agent_install.install(tmp_path, "gemini")
    doc = json.loads((tmp_path / ".gemini" / "settings.json").read_text())
    doc["hooks"]["SessionStart"][0]["matcher"] = "startup|resume|clear"
    assert _judge(tmp_path, doc, [])["start"] == [[], [], []]


def test_gemini_reads_our_refusals_as_deny(tmp_path, shop):
    """Our launcher's refusal without deploystate (exit 2, stderr) is a deny for Gemini; exit 1 would not be."""
    agent_install.install(shop.path, "gemini")
    doc = json.loads((shop.path / ".gemini" / "settings.json").read_text())
    command = doc["hooks"]["BeforeTool"][0]["hooks"][0]["command"]
    payload = {"session_id": "s", "cwd": str(shop.path), "tool_name": "run_shell_command",
               "tool_input": {"command": "git push --no-verify origin main"}}
    # Gemini runs hook commands with bash -c (getShellConfiguration) and reads stdout, else stderr
    res = subprocess.run(["bash", "-c", command], input=json.dumps(payload), capture_output=True, text=True,
                         cwd=shop.path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, timeout=60)
    text = res.stdout.strip() or res.stderr.strip()
    out = _judge(tmp_path, doc, [[text, res.returncode], [text, 1]])
    assert res.returncode == 2 and out["results"] == ["deny", "allow"]
