#!/usr/bin/env python3
"""Benchmark: parsing Debian's trixie main amd64 Packages index, and resolving closures.

Peer: python-debian's deb822 parser on the same bytes, in the same run.
  cold     = hardbake builds its index from the verified bytes (name/provides maps, spans)
  warm     = hardbake opens the same index from its parsed-index cache
  full     = hardbake parses every stanza into typed records (what python-debian does)
  resolve  = closure of python3, nodejs, nginx, postgresql, openjdk (warm indices)
Run: .venv/bin/python bench/debian_index.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from debian.deb822 import Packages

from hardbake import paths
from hardbake.debian.client import DebianClient, http_client
from hardbake.debian.packages import PackagesIndex
from hardbake.debian.sources import default_mirrors


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--peer-runs", type=int, default=3)
    args = ap.parse_args()

    client = DebianClient(mirrors=default_mirrors(), cache_root=paths.cache_dir(), http=http_client())
    repo = client.mirrors.for_suite("trixie")
    rel = client.archive.release(repo)
    client.archive.index(repo, "main", "amd64")  # make sure the verified bytes are cached
    plain = rel.files["main/binary-amd64/Packages"]
    data_path = paths.cache_dir() / "indices" / plain.sha256
    print(f"index: {data_path} ({data_path.stat().st_size:,} bytes)")

    cold, warm, full, peer = [], [], [], []
    for _ in range(args.runs):
        t = time.perf_counter()
        data = data_path.read_bytes()
        idx = PackagesIndex.build(data, suite="trixie", repo="debian", origin="bench")
        cold.append(time.perf_counter() - t)
        with tempfile.TemporaryDirectory() as d:
            cache = Path(d) / "idx"
            idx.save(cache)
            t = time.perf_counter()
            data = data_path.read_bytes()
            PackagesIndex.open_cached(data, cache, suite="trixie", repo="debian", origin="bench")
            warm.append(time.perf_counter() - t)
    n = len(idx)
    for _ in range(max(1, args.runs // 2)):
        t = time.perf_counter()
        data = data_path.read_bytes()
        idx = PackagesIndex.build(data, suite="trixie", repo="debian", origin="bench")
        count = sum(1 for _ in idx.parse_all())
        full.append(time.perf_counter() - t)
    for _ in range(args.peer_runs):
        t = time.perf_counter()
        with data_path.open() as f:
            pcount = sum(1 for _ in Packages.iter_paragraphs(f, use_apt_pkg=False))
        peer.append(time.perf_counter() - t)
    assert count == pcount == n, (count, pcount, n)

    print(f"stanzas: {n}")
    print(f"{'':28}{'median s':>10}{'vs python-debian':>18}")
    p = med(peer)
    for name, xs in (
        ("hardbake cold (index)", cold),
        ("hardbake warm (cache)", warm),
        ("hardbake full parse", full),
        ("python-debian deb822", peer),
    ):
        print(f"{name:28}{med(xs):>10.3f}{p / med(xs):>17.1f}x")

    print("\nresolve (warm indices, median of runs):")
    for suite, pkg in (
        ("trixie", "python3"),
        ("trixie", "nodejs"),
        ("trixie", "nginx"),
        ("trixie", "postgresql"),
        ("bookworm", "openjdk-17-jre-headless"),
        ("trixie", "openjdk-21-jre-headless"),
    ):
        times = []
        for _ in range(args.runs):
            c = DebianClient(mirrors=client.mirrors, cache_root=paths.cache_dir(), http=http_client())
            t = time.perf_counter()
            lock = c.lock([pkg], [suite], "amd64")
            times.append(time.perf_counter() - t)
        print(
            f"  {suite:9} {pkg:26} {len(lock.packages):4} packages  {med(times):.3f} s (incl. opening 3 indices)"
        )


if __name__ == "__main__":
    sys.exit(main())
