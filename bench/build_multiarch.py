#!/usr/bin/env python3
"""Benchmark (issue 4): multi-arch build of base:debian13 (amd64 + arm64).

  cold:      empty HARDBAKE_CACHE (indices and .debs downloaded and verified, every layer written)
  warm:      packages cached, layer/build caches empty
  unchanged: a rebuild with nothing changed (the lock and build caches hit); goal: under 1 s
Measured in-process (the library call) and as the CLI's wall time (Python start-up included).
Peer: none builds multi-arch Debian images without emulation in the same way; skopeo copy of
the resulting index to another layout is shown as the floor for writing the outputs.
Run: .venv/bin/python bench/build_multiarch.py [--runs 5]
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

from hardbake.build.pipeline import BuildOptions, build
from hardbake.cli.archive_options import make_client
from hardbake.oci.reference import LayoutRef

ROOT = Path(__file__).resolve().parent.parent


def lib_build(out: Path) -> float:
    client = make_client(None, None, None, None, False)
    t = time.perf_counter()
    build("base:debian13", client, BuildOptions(outputs=[LayoutRef(out, "b")]))
    return time.perf_counter() - t


def cli_build(out: Path) -> float:
    t = time.perf_counter()
    subprocess.run(
        [str(ROOT / ".venv/bin/hardbake"), "build", "base:debian13", "-o", f"oci:{out}:b"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hb-bench-ma-"))
    cold, warm, unchanged_lib, unchanged_cli, floor = [], [], [], [], []
    shared = work / "shared-cache"
    for i in range(args.runs):
        os.environ["HARDBAKE_CACHE"] = str(work / f"cold-{i}")
        cold.append(lib_build(work / f"c{i}"))
        shutil.rmtree(work / f"cold-{i}")
    os.environ["HARDBAKE_CACHE"] = str(shared)
    lib_build(work / "prime")
    for i in range(args.runs):
        for sub in ("layers", "blobs", "built"):
            shutil.rmtree(shared / sub, ignore_errors=True)
        warm.append(lib_build(work / f"w{i}"))
    for i in range(args.runs):
        unchanged_lib.append(lib_build(work / f"u{i}"))
        unchanged_cli.append(cli_build(work / f"uc{i}"))
        t = time.perf_counter()
        subprocess.run(
            ["skopeo", "copy", "--all", f"oci:{work}/u{i}:b", f"oci:{work}/sk{i}:b"],
            check=True,
            capture_output=True,
        )
        floor.append(time.perf_counter() - t)
    m = statistics.median
    print(f"multi-arch base:debian13 (amd64+arm64), medians of {args.runs}")
    print(f"  cold (download + verify + build):     {m(cold):6.2f} s")
    print(f"  warm packages, cold layers:           {m(warm):6.2f} s")
    print(f"  unchanged rebuild, in-process:        {m(unchanged_lib):6.2f} s   (goal < 1 s)")
    print(f"  unchanged rebuild, CLI wall time:     {m(unchanged_cli):6.2f} s")
    print(f"  skopeo copy of the same index (floor for writing outputs): {m(floor):.2f} s; "
          f"unchanged rebuild / skopeo copy = {m(unchanged_lib) / m(floor):.2f}")  # fmt: skip
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
