"""The S3 team ledger: an offline writer's records always arrive, timeouts are honoured, an
unreachable backend exits 3, and the pre-push hook's sync_before uses S3 and never the git remote."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from deploystate.server.backends.s3 import S3Ledger
from deploystate.state.ledger import ids
from deploystate.state.errors import PlatformUnreachable
from deploystate.state.ledger.ledger import Ledger
from tests.hooks.conftest import CONFIG, Shop, shop  # noqa: F401 (fixture)
from tests.server._cli import ds
from tests.fixtures.moto_server import s3_bucket

BUCKET = "team-ledger"
URL = f"s3://{BUCKET}/proj"
GENEROUS = 60.0  # a bound that only an unbounded wait crosses (the hanging server trickles for 300 s)


@pytest.fixture
def s3(aws_endpoint: str):
    """A moto S3 client with this module's empty bucket."""
    return s3_bucket(aws_endpoint, BUCKET)


class _Clock:
    """time for ids.new_id, shifted: the other copy's records are made later than the offline ones."""

    def __init__(self, shift_s: float) -> None:
        self.shift_ns = int(shift_s * 1e9)

    def time_ns(self) -> int:
        return time.time_ns() + self.shift_ns

    def __getattr__(self, name: str):  # everything else from the real module
        return getattr(time, name)


def test_records_written_offline_arrive_on_the_next_ordinary_sync(s3, tmp_path, monkeypatch) -> None:
    """A writer offline for 20 minutes syncs late: the other copy's ordinary sync still gets its records."""
    a, b, c = Ledger(tmp_path / "a"), Ledger(tmp_path / "b"), Ledger(tmp_path / "c")
    a.append("note", {"text": "a before"})
    S3Ledger(URL, client=s3).sync(a)
    S3Ledger(URL, client=s3).sync(b)
    offline = [b.append("attempt", {"summary": f"offline try {n}", "outcome": "failed"})["id"] for n in range(3)]
    with monkeypatch.context() as m:   # b is offline; 20 minutes pass while a and c work and sync
        m.setattr(ids, "time", _Clock(20 * 60))
        for n in range(3):
            c.append("note", {"text": f"c {n}"})
            S3Ledger(URL, client=s3).sync(c)
            a.append("note", {"text": f"a {n}"})
            S3Ledger(URL, client=s3).sync(a)   # pulls c's records: a's listing now starts 10 minutes behind them
    assert S3Ledger(URL, client=s3).sync(b).pushed == 3   # b is back online
    result = S3Ledger(URL, client=s3).sync(a)             # an ordinary sync, no --full
    have = {r["id"] for r in a.read().records}
    assert set(offline) <= have, "records written offline were skipped"
    assert result.full_listing and result.pulled == 3
    assert have == {r["id"] for r in b.read().records} | {r["id"] for r in c.read().records}
    again = S3Ledger(URL, client=s3).sync(a)              # once complete, the fast path is back
    assert not again.full_listing and again.pulled == 0


def test_a_head_that_counts_less_than_the_listing_is_corrected(s3, tmp_path) -> None:
    """A full listing that finds more records than head.json counts rewrites the count."""
    a = Ledger(tmp_path / "a")
    for n in range(4):
        a.append("note", {"n": n})
    S3Ledger(URL, client=s3).sync(a)
    s3.put_object(Bucket=BUCKET, Key="proj/head.json", Body=b'{"count": 1, "last_id": ""}')
    result = S3Ledger(URL, client=s3).sync(a, full=True)
    assert S3Ledger(URL, client=s3).read_head()[0]["count"] == 4
    assert any("corrected" in p for p in result.problems)


class Trickle:
    """A TCP server that accepts and then sends one byte a second, never a whole response: no read
    timeout ever fires, so only a deadline enforced by the code can end the wait."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            for ch in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 300:
                if self.stop.wait(1.0):
                    return
                try:
                    conn.sendall(bytes([ch]))
                except OSError:
                    return

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def trickle():
    server = Trickle()
    yield server
    server.close()


def test_a_hanging_backend_is_abandoned_at_the_timeout(trickle, tmp_path, aws_env) -> None:
    """sync with a 5 s timeout against a server that never answers raises PlatformUnreachable in about 5 s."""
    led = Ledger(tmp_path / "a")
    led.append("note", {})
    started = time.monotonic()
    with pytest.raises(PlatformUnreachable) as exc:
        S3Ledger(URL, endpoint_url=trickle.url, timeout=5).sync(led)
    elapsed = time.monotonic() - started
    assert 4.0 <= elapsed < GENEROUS, elapsed
    assert "within 5s" in exc.value.message


def test_cli_sync_exits_3_when_the_backend_hangs_or_is_unreachable(git_repo, trickle, capsys, monkeypatch,
                                                                   aws_env) -> None:
    """`deploystate sync --timeout 5` says offline and exits 3 (the documented code) for a hanging or closed backend."""
    git_repo.commit("init", {"deploystate.toml": f'[project]\nname = "shop"\nbackend = "{URL}"\n'})
    monkeypatch.setenv("DEPLOYSTATE_S3_ENDPOINT", trickle.url)
    started = time.monotonic()
    code, out, err = ds(capsys, "--root", str(git_repo.path), "sync", "--timeout", "5")
    assert code == 3 and "offline" in out and time.monotonic() - started < GENEROUS, (out, err)
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("DEPLOYSTATE_S3_ENDPOINT", closed)
    code, out, err = ds(capsys, "--root", str(git_repo.path), "sync", "--timeout", "5")
    assert code == 3 and "offline" in out, (out, err)


def test_pre_push_sync_before_uses_s3_and_never_the_git_remote(shop: Shop, s3, aws_endpoint, monkeypatch) -> None:
    """With backend = s3://..., the hook's sync_before sends the ledger to S3; the git remote gets no ledger ref."""
    monkeypatch.setenv("DEPLOYSTATE_S3_ENDPOINT", aws_endpoint)
    config = CONFIG.replace('doom_loop_after = 3\n', f'doom_loop_after = 3\nbackend = "{URL}"\n\n'
                            '[project.hooks]\nsync_before = true\nsync_timeout = "20s"\n')
    shop.change("deploystate.toml", config, "s3 team ledger")
    shop.deploy("api")
    shop.verify("api", "pass")
    res = shop.push()
    assert "synced with s3://" in res.stderr, res.stderr
    refs = subprocess.run(["git", "ls-remote", str(shop.remote)], capture_output=True, text=True, timeout=60).stdout
    assert "refs/deploystate" not in refs
    head = S3Ledger(URL, client=s3).read_head()[0]
    assert head["count"] == len(shop.project.ledger.read().records) >= 2
