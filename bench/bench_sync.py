"""Team-ledger figures (prints; asserts nothing).

git: sync of N new records between two clones of one bare remote.
S3 (moto server): one append + push latency with M records already in the bucket, and a
read of the local cache (projection) after sync.
Run: python bench/bench_sync.py [--git-records 10000] [--s3-records 100000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_state import fill  # noqa: E402

from deploystate.state.view import cache  # noqa: E402
from deploystate.state.ledger.ledger import Ledger  # noqa: E402
from deploystate.state.git.sync_git import sync  # noqa: E402


def git_bench(n: int, work: Path) -> None:
    bare = work / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    clones = []
    for name in ("a", "b"):
        subprocess.run(["git", "clone", "-q", str(bare), str(work / name)], check=True, capture_output=True)
        clones.append(work / name)
    fill(Ledger(clones[0] / ".deploystate"), n)
    t = time.perf_counter()
    sync(clones[0], Ledger(clones[0] / ".deploystate"))
    push = time.perf_counter() - t
    t = time.perf_counter()
    res = sync(clones[1], Ledger(clones[1] / ".deploystate"))
    pull = time.perf_counter() - t
    print(f"git sync of {n} new records: push side {push * 1000:.0f} ms, receiving side {pull * 1000:.0f} ms "
          f"({res.fetched} records in)")


def s3_bench(m: int, work: Path) -> None:
    import boto3

    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    with tempfile.TemporaryDirectory() as d:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        exe = Path(sys.executable).with_name("moto_server")
        proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, cwd=d)
        try:
            endpoint = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    client = boto3.client("s3", endpoint_url=endpoint)
                    client.create_bucket(Bucket="bench-ledger")
                    break
                except Exception:
                    time.sleep(0.1)
            from deploystate.server.backends.s3 import S3Ledger

            backend = S3Ledger("s3://bench-ledger/p", client=client)
            led = Ledger(work / "s3copy")
            fill(led, m)
            t = time.perf_counter()
            backend.sync(led)
            print(f"S3: first push of {m} records: {time.perf_counter() - t:.1f} s")
            lat = []
            for i in range(20):
                t = time.perf_counter()
                led.append("note", {"i": i})
                backend.sync(led)
                lat.append((time.perf_counter() - t) * 1000)
            print(f"S3: append + sync with {m} records in the bucket: median {statistics.median(lat):.0f} ms")
            reads = []
            for _ in range(20):
                t = time.perf_counter()
                cache.load(led)
                reads.append((time.perf_counter() - t) * 1000)
            print(f"S3: read after cache (local projection): median {statistics.median(reads):.2f} ms")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--git-records", type=int, default=10_000)
    ap.add_argument("--s3-records", type=int, default=100_000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ds-sync-bench-"))
    try:
        git_bench(args.git_records, work)
        s3_bench(args.s3_records, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
