"""A hook process exits without the interpreter's teardown, but only with its streams flushed, its exit code
exactly the decision's, and nothing registered for the exit (coverage, logging) or still running."""

from __future__ import annotations

import subprocess
import sys

from .conftest import regular_site_dir

# The child as a regular install's shim starts it (-I -S, site-packages appended): neither site, the editable
# finder nor coverage registers anything at exit first; -v makes the interpreter's teardown print "# cleanup".
CHILD = """
import sys
site = sys.argv.pop(1)
sys.path.append(site)
from deploystate.hooks.__main__ import end_process
{body}
"""


def _child(tmp_path, body: str, *args: str) -> subprocess.CompletedProcess[str]:
    site = tmp_path / "site-packages"
    if not site.is_dir():
        regular_site_dir(tmp_path)
    return subprocess.run([sys.executable, "-I", "-S", "-v", "-c", CHILD.format(body=body), str(site), *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)


def _teardown(res: subprocess.CompletedProcess[str]) -> bool:
    return "# cleanup" in res.stderr


def test_exit_skips_teardown_with_the_code_and_buffered_output_kept(tmp_path):
    """Nothing left to do at exit: the process ends with the given code, its unflushed stdout written, and no
    teardown run."""
    res = _child(tmp_path, "sys.stdout.write('decided, no newline'); sys.stderr.write('why'); end_process(3)")
    assert (res.returncode, res.stdout) == (3, "decided, no newline")
    assert "why" in res.stderr and not _teardown(res)


def test_a_stream_that_cannot_be_flushed_exits_120_not_0(tmp_path):
    """An allowed decision whose output cannot be written exits 120 (the interpreter's own rule), never 0."""
    body = ("class Broken:\n    closed = False\n    def write(self, s): return len(s)\n"
            "    def flush(self): raise BrokenPipeError(32, 'x')\nsys.stdout = Broken()\nend_process(0)")
    res = _child(tmp_path, body)
    assert res.returncode == 120 and not _teardown(res)


def test_a_closed_stream_is_skipped_as_the_interpreter_skips_it(tmp_path):
    """stdout closed by the hook's own code is not flushed (nor an error): the decision's code stands."""
    res = _child(tmp_path, "sys.stdout.close()\nend_process(0)")
    assert res.returncode == 0 and not _teardown(res)


def test_an_atexit_callback_keeps_the_usual_exit(tmp_path):
    """With an atexit callback registered (coverage, logging), end_process returns and the callback runs."""
    body = "import atexit\natexit.register(print, 'atexit ran')\nend_process(3)\nprint('returned')"
    res = _child(tmp_path, body)
    assert res.returncode == 0 and res.stdout.split() == ["returned", "atexit", "ran"] and _teardown(res)


def test_a_running_thread_keeps_the_usual_exit(tmp_path):
    """With another thread still running, end_process returns (the thread is not cut off mid-work)."""
    body = ("import _thread, time\nlock = _thread.allocate_lock(); lock.acquire()\n"
            "_thread.start_new_thread(lock.acquire, ())\ntime.sleep(0.05)\nend_process(3)\nprint('returned')\n"
            "lock.release()")
    res = _child(tmp_path, body)
    assert res.returncode == 0 and res.stdout.strip() == "returned"


def test_a_file_left_open_for_writing_gets_the_teardown(tmp_path):
    """A file still open for writing at exit (buffered, never closed): end_process returns, and the teardown
    writes what was buffered; a file open only for reading does not stop the fast exit."""
    body = ("out = open(sys.argv[1], 'w')\nout.write('kept')\nend_process(3)\nprint('returned')")
    res = _child(tmp_path, body, str(tmp_path / "left-open.txt"))
    assert res.returncode == 0 and res.stdout.strip() == "returned"
    assert (tmp_path / "left-open.txt").read_text() == "kept"
    (tmp_path / "read-only.txt").write_text("x")
    reader = _child(tmp_path, "keep = open(sys.argv[1])\nend_process(3)\nprint('returned')",
                    str(tmp_path / "read-only.txt"))
    assert reader.returncode == 3 and "returned" not in reader.stdout and not _teardown(reader)
    deleted = _child(tmp_path, "import os\ngone = open(sys.argv[1], 'w')\nos.unlink(sys.argv[1])\nend_process(3)",
                     str(tmp_path / "deleted.txt"))
    assert deleted.returncode == 3 and not _teardown(deleted)  # (its bytes could never be read: valgrind's files)


def test_the_hook_entry_exits_through_end_process(tmp_path):
    """``main()`` as the process's entry (the shims, deploystate-hook) decides and exits without teardown;
    ``main(argv)`` (a caller in process) returns the code instead."""
    entry = _child(tmp_path, "from deploystate.hooks.__main__ import main\nsys.argv[1:] = ['no-such-hook']\n"
                             "main()\nprint('returned')")
    assert entry.returncode == 2 and "usage:" in entry.stderr and "returned" not in entry.stdout
    assert not _teardown(entry)
    called = _child(tmp_path, "from deploystate.hooks.__main__ import main\nprint('rc', main(['no-such-hook']))")
    assert called.returncode == 0 and called.stdout.strip() == "rc 2" and _teardown(called)
