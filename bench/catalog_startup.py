#!/usr/bin/env python3
"""Benchmark (issue 5): catalog build time (warm package cache) and Python start-up time.

  build:   each language runtime image (amd64), packages cached, layer/build caches cold
  startup: `python3 -c pass` and `python3 -c "import json, ssl, decimal"`, hardened python:3.11
           (stdlib byte-compiled at build time) vs the same image built without byte-compile
           vs the standard bookworm python3 image (mmdebstrap minbase + python3, whose
           postinst byte-compiled it), measured two ways: `docker run` wall time (engine
           overhead included) and inside one container (median of N interpreter starts)
Run: .venv/bin/python bench/catalog_startup.py [--runs 15]
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

from hardbake.testing.standard import CATALOG_STANDARDS, ensure

ROOT = Path(__file__).resolve().parent.parent
HB = str(ROOT / ".venv/bin/hardbake")
LANGS = ["python:3.11", "python:3.13", "node:18", "node:20", "java:17", "java:21"]


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--startup-only", action="store_true", help="Skip the catalog build timings.")
    args = ap.parse_args()
    cache = Path(os.environ.get("HARDBAKE_CACHE", Path.home() / ".cache/hardbake"))
    work = Path(tempfile.mkdtemp(prefix="hb-bench-cat-"))
    print("catalog build, packages cached, layers cold (amd64):")
    for name in [] if args.startup_only else LANGS:
        subprocess.run(
            [HB, "build", name, "--arch", "amd64", "-o", f"oci:{work}/warm:x"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        times = []
        for i in range(3):
            fresh = work / f"c{i}"
            fresh.mkdir()
            for sub in ("debs", "indices", "dists", "locks"):
                if (cache / sub).exists():
                    (fresh / sub).symlink_to(cache / sub)
            times.append(
                timed(
                    [HB, "build", name, "--arch", "amd64", "-o", f"oci:{work}/{i}:x"],
                    dict(os.environ, HARDBAKE_CACHE=str(fresh)),
                )
            )
            shutil.rmtree(fresh)
        print(f"  {name:12} {statistics.median(times):6.2f} s")
    engine = docker.from_env(timeout=600)
    subprocess.run(
        [HB, "build", "python:3.11", "--arch", "amd64", "-o", "docker-daemon:hardbake/python:3.11"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    # the same image without build-time byte-compilation, to isolate what the .pyc are worth
    nopyc = work / "python-nopyc.yaml"
    spec = (ROOT / "src/hardbake/catalog/python/debian-12/3.11.yaml").read_text()
    cut = spec.index("byte-compile:")
    nopyc.write_text(spec[:cut] + spec[spec.index("cmd:", cut) :])
    subprocess.run(
        [HB, "build", str(nopyc), "--arch", "amd64", "-o", "docker-daemon:hardbake-bench/python:3.11-nopyc"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    std = ensure(CATALOG_STANDARDS["python:3.11"], engine)
    images = {
        "hardened": "hardbake/python:3.11",
        "hardened, no .pyc": "hardbake-bench/python:3.11-nopyc",
        "standard": std,
    }
    inner = (
        "import subprocess, sys, time, statistics\n"
        "ts = []\n"
        "for _ in range({n}):\n"
        "    t = time.perf_counter()\n"
        "    subprocess.run([sys.executable, '-c', {code!r}], check=True)\n"
        "    ts.append(time.perf_counter() - t)\n"
        "print(statistics.median(ts))\n"
    )
    for code in ("pass", "import json, ssl, decimal"):
        print(
            f"\npython3 -c {code!r} (medians: {args.runs} docker runs; {args.runs * 3} starts inside one container)"
        )
        for name, img in images.items():
            runs = [
                timed(["docker", "run", "--rm", "--network", "none", img, "python3", "-c", code])
                for _ in range(args.runs)
            ]
            out = subprocess.run(
                ["docker", "run", "--rm", "--network", "none", "--read-only", img, "python3", "-c",
                 inner.format(n=args.runs * 3, code=code)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            print(
                f"  {name:18} docker run {statistics.median(runs):.3f} s   in-container {float(out.stdout) * 1000:6.1f} ms"
            )
    engine.images.remove("hardbake-bench/python:3.11-nopyc", force=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
