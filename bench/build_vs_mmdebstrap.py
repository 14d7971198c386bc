#!/usr/bin/env python3
"""Benchmark (issue 3): warm-cache `hardbake build` against mmdebstrap, same suite, same run.

  hardbake: base:debian12 and python:3.11 (bookworm), packages already in the cache;
            "cold layers" = fresh layer/blob/build caches each run (every byte compressed
            again), "cached" = the build cache hit a user gets on an unchanged rebuild.
  peer:     mmdebstrap --variant=minbase --include=python3 bookworm (and minbase alone for
            base), its .debs pre-seeded with sync-in so it does not download either.
Both produce a tarball/layout; the images are then compared with `hardbake compare`'s facts
(size as docker save | gzip -6, packages, executables, setuid files).
Run: .venv/bin/python bench/build_vs_mmdebstrap.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import docker

from hardbake.compare.facts import facts
from hardbake.debian.sources import default_mirrors
from hardbake.oci import open_image
from hardbake.oci.reference import parse_image_ref

ROOT = Path(__file__).resolve().parent.parent
HB = str(ROOT / ".venv/bin/hardbake")


def hardbake_build(name: str, out: Path, env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(
        [HB, "build", name, "--arch", "amd64", "-o", f"oci:{out}:b"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t


def mmdebstrap(include: str | None, tar: Path, cache: Path, mirror: str) -> float:
    args = ["mmdebstrap", "--quiet", "--variant=minbase"]
    if include:
        args.append(f"--include={include}")
    args += [
        '--setup-hook=mkdir -p "$1"/var/cache/apt/archives/',
        f"--setup-hook=sync-in {cache} /var/cache/apt/archives/",
        "--skip=download/empty",
        "bookworm",
        str(tar),
        mirror,
    ]
    t = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    mirror = default_mirrors().debian
    engine = docker.from_env(timeout=600)
    work = Path(tempfile.mkdtemp(prefix="hb-bench-"))
    pkg_cache = Path(os.environ.get("HARDBAKE_CACHE", Path.home() / ".cache/hardbake"))
    rows = []
    for name, include in (("base:debian12", None), ("python:3.11", "python3")):
        # warm both sides once: hardbake's package cache, mmdebstrap's .deb cache
        env = dict(os.environ, HARDBAKE_CACHE=str(pkg_cache))
        hardbake_build(name, work / "warm", env)
        mm_cache = work / f"mm-{include or 'minbase'}"
        mm_cache.mkdir()
        subprocess.run(["mmdebstrap", "--quiet", "--variant=minbase", *([f"--include={include}"] if include else []),
                        "--skip=download/empty", f"--customize-hook=sync-out /var/cache/apt/archives {mm_cache}",
                        "bookworm", str(work / "seed.tar"), mirror], check=True, capture_output=True)  # fmt: skip
        cold, cached, peer = [], [], []
        for i in range(args.runs):
            fresh = work / f"fresh-{i}"
            fresh.mkdir()
            # packages warm, layers/blobs/builds cold: link the package cache into a fresh cache dir
            (fresh / "debs").symlink_to(pkg_cache / "debs")
            (fresh / "indices").symlink_to(pkg_cache / "indices")
            (fresh / "dists").symlink_to(pkg_cache / "dists")
            cold.append(hardbake_build(name, work / f"cold-{i}", dict(os.environ, HARDBAKE_CACHE=str(fresh))))
            cached.append(hardbake_build(name, work / f"cached-{i}", env))
            peer.append(mmdebstrap(include, work / f"mm-{i}.tar", mm_cache, mirror))
            shutil.rmtree(fresh)
        tag = f"hardbake-bench/mmdebstrap:{include or 'minbase'}"
        subprocess.run(["docker", "import", str(work / "mm-0.tar"), tag], check=True, capture_output=True)
        fh = facts(open_image(parse_image_ref(f"oci:{work}/cold-0:b")), name)
        fm = facts(open_image(parse_image_ref(f"docker-daemon:{tag}")), f"mmdebstrap {include or 'minbase'}")
        engine.images.remove(tag, force=True)
        rows.append(
            (name, statistics.median(cold), statistics.median(cached), statistics.median(peer), fh, fm)
        )
    print(
        f"{'image':14} {'hardbake cold-layers':>21} {'hardbake cached':>16} {'mmdebstrap':>11} {'ratio (cold)':>13}"
    )
    for name, c, k, p, _, _ in rows:
        print(f"{name:14} {c:>20.2f}s {k:>15.2f}s {p:>10.2f}s {p / c:>12.1f}x")
    print()
    for name, _, _, _, fh, fm in rows:
        print(f"{name}: hardbake vs {fm.ref}")
        print(f"  size (docker save | gzip -6): {fh.compressed / 1e6:.1f} MB vs {fm.compressed / 1e6:.1f} MB")
        print(
            f"  packages: {len(fh.packages)} vs {len(fm.packages)};  programs on PATH: {len(fh.programs)} vs {len(fm.programs)}"
        )
        print(
            f"  setuid/setgid files: {len(fh.setuid)} vs {len(fm.setuid)};  shells: {fh.shells or 'none'} vs {fm.shells}"
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
