"""Play the whole story: set the scene, run the seven steps (each checks its outcome), and stop every
process the demo started, also on failure, Ctrl-C or SIGTERM."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from deploystate.state.errors import DeploystateError, InputError

from . import processes
from .opening import set_up
from .report import DemoResult, Narrator, StepResult
from .scene import Scene
from .steps_fix import step_commit, step_restart, step_right_fix, step_verify_fails
from .steps_loop import step_doom_loop, step_state_file
from .steps_pushed import step_pushed_not_running
from .variants import variant_for
from .workspace import Workspace, demo_environment

STEPS: list[tuple[str, Callable[[Scene, StepResult], None]]] = [
    ("A fix is committed: committed is not running", step_commit),
    ("Restart only what the change touched", step_restart),
    ("Verification fails, with its evidence", step_verify_fails),
    ("The right fix: verified, marked deployed, pushed", step_right_fix),
    ("Committed and pushed is not running: state, verify and mark-deployed say so", step_pushed_not_running),
    ("Three failed fixes in a row: DOOM LOOP", step_doom_loop),
    ("The state file the next session reads first", step_state_file),
]


@dataclass
class Options:
    directory: Path | None = None
    step: bool = False
    keep: bool = False
    platform: str = "command"


def _base_dir(opts: Options) -> tuple[Path, bool]:
    """Where to build (and whether the demo created that directory itself)."""
    if opts.directory is None:
        return Path(tempfile.mkdtemp(prefix="deploystate-demo-")).resolve(), True
    base = opts.directory.expanduser().resolve()
    if base.exists() and (not base.is_dir() or any(base.iterdir())):
        raise InputError(f"{base} is not an empty directory", "pass --dir a new or empty directory")
    base.mkdir(parents=True, exist_ok=True)
    return base, False


def _pause(opts: Options, narrator: Narrator) -> None:
    """--step: wait for Enter between steps, only when a person is at a terminal."""
    if opts.step and sys.stdin.isatty() and narrator.stream is not None:
        try:
            input("  [press Enter for the next step] ")
        except EOFError:
            pass


def play(opts: Options, narrator: Narrator) -> DemoResult:
    if opts.platform == "compose":
        from .compose_variant import require_parts
        require_parts()
    variant = variant_for(opts.platform)
    base, created = _base_dir(opts)
    keep = opts.keep or not created
    result = DemoResult(platform=opts.platform, directory=str(base), kept=keep, details=variant.details())
    started = time.monotonic()
    ws = Workspace(base)
    narrator.title("deploystate demo: committed is not running; restarted is not working.")
    try:
        with demo_environment(ws.root), processes.signals_unwind():
            scene = Scene(ws, narrator, variant)
            try:
                set_up(scene)
            except DeploystateError as exc:
                result.setup_error = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
            except Exception as exc:  # noqa: BLE001 - reported as a failed set-up, processes still stopped
                result.setup_error = f"{type(exc).__name__}: {exc}"
            else:
                _run_steps(scene, opts, narrator, result)
    except (KeyboardInterrupt, processes.Interrupted) as exc:
        result.interrupted = type(exc).__name__ if isinstance(exc, KeyboardInterrupt) else f"signal {exc}"
    finally:
        result.pids = variant.started(ws)
        result.left_running = variant.stop_all(ws)
        result.duration = round(time.monotonic() - started, 2)
        if not keep:
            shutil.rmtree(base, ignore_errors=True)
    narrator.summary(result)
    if keep:
        narrator.say(f"The repository is kept in {ws.root} (its processes are stopped).")
    return result


def _run_steps(scene: Scene, opts: Options, narrator: Narrator, result: DemoResult) -> None:
    for number, (title, run) in enumerate(STEPS, 1):
        if number > 1:
            _pause(opts, narrator)
        narrator.heading(number, len(STEPS), title)
        step = StepResult(number, title)
        result.steps.append(step)
        try:
            run(scene, step)
        except DeploystateError as exc:
            step.error = f"{type(exc).__name__}: {exc.message}"
        except Exception as exc:  # noqa: BLE001 - a step that blew up did not behave as described
            step.error = f"{type(exc).__name__}: {exc}"
        narrator.expectations(step)
        if step.error:
            break  # later steps build on this one: running them would only add confusion
