#!/usr/bin/env python3
"""Monitor overhead: `hardbake monitor` watching N containers vs `docker stats --no-stream` polled
at the same interval, in the same run.

Both watch the same N idle containers (hbtest `sleep`, --network none) for the same wall time.
Measured per round: CPU seconds (user + system) of the client processes — the one `hardbake
monitor` process, or every `docker stats --no-stream` invocation together — and the CPU the
engine (dockerd) spent meanwhile, read from /proc. Rounds alternate the order of the two
sides; medians and ratios are printed. Containers carry a unique label and are removed at the end.

    PYTHONPATH=src python bench/runtime_monitor.py [--containers 20] [--interval 2] \
        [--duration 30] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from hardbake.testing.engine import docker_client
from hardbake.testing.goimage import TEST_LABEL, hbtest_image

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


def dockerd_cpu() -> float | None:
    """CPU seconds dockerd has used so far (None if its pid file is not readable)."""
    try:
        pid = Path("/var/run/docker.pid").read_text().strip()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15 of stat)


def run_hardbake(names: list[str], interval: float, duration: float) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [
        sys.executable,
        "-m",
        "hardbake.cli.main",
        "monitor",
        *names,
        "--format",
        "jsonl",
        "--interval",
        str(interval),
        "--duration",
        str(duration),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"hardbake monitor failed with {proc.returncode}")
    return usage.ru_utime + usage.ru_stime


def run_docker_stats(names: list[str], interval: float, duration: float) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    end = time.monotonic() + duration
    next_poll = time.monotonic()
    while time.monotonic() < end:
        subprocess.run(
            ["docker", "stats", "--no-stream", "--format", "{{json .}}", *names],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        next_poll += interval
        time.sleep(max(0.0, min(next_poll, end) - time.monotonic()))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(side: str, names: list[str], interval: float, duration: float) -> tuple[float, float | None]:
    d0 = dockerd_cpu()
    began = time.monotonic()
    client = (
        run_hardbake(names, interval, duration)
        if side == "hardbake"
        else run_docker_stats(names, interval, duration)
    )
    wall = time.monotonic() - began
    d1 = dockerd_cpu()
    engine = None if d0 is None or d1 is None else d1 - d0
    shown = "?" if engine is None else f"{engine:.2f}"
    print(f"  {side:9s} client {client:6.2f} s CPU, engine {shown} s, wall {wall:.1f} s")
    return client, engine


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--containers", type=int, default=20)
    ap.add_argument("--interval", type=float, default=2.0)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    client = docker_client()
    image = hbtest_image(client).tag
    run_id = f"bench-{uuid.uuid4().hex[:8]}"
    names = [f"hb-{run_id}-{i}" for i in range(args.containers)]
    results: dict[str, list[tuple[float, float | None]]] = {"hardbake": [], "docker": []}
    try:
        for name in names:
            client.containers.run(
                image, ["sleep"], name=name, detach=True, network_mode="none", labels={TEST_LABEL: run_id}
            )
        time.sleep(2)
        print(
            f"{args.containers} idle containers, interval {args.interval:g} s, "
            f"{args.duration:g} s per side, {args.rounds} rounds"
        )
        for r in range(args.rounds):
            print(f"round {r + 1}")
            order = ["hardbake", "docker"] if r % 2 == 0 else ["docker", "hardbake"]
            for side in order:
                results[side].append(measure(side, names, args.interval, args.duration))
        # hardbake is one long-lived process: separate its start-up (imports, inspecting N
        # containers) from what watching costs per second.
        startup = statistics.median(run_hardbake(names, args.interval, 1.0) for _ in range(3))
    finally:
        for c in client.containers.list(all=True, filters={"label": f"{TEST_LABEL}={run_id}"}):
            c.remove(force=True)
    hb_client = statistics.median(c for c, _ in results["hardbake"])
    dk_client = statistics.median(c for c, _ in results["docker"])
    print()
    print(
        f"median client CPU over {args.duration:g} s: hardbake monitor {hb_client:.2f} s, "
        f"docker stats {dk_client:.2f} s"
    )
    print(f"ratio hardbake / docker stats (client CPU): {hb_client / dk_client:.2f}")
    per_second = (hb_client - startup) / (args.duration - 1.0)
    print(
        f"hardbake start-up {startup:.2f} s CPU; steady state {per_second * 1000:.1f} ms CPU per second "
        f"vs docker stats {dk_client / args.duration * 1000:.1f} ms per second"
    )
    engines_hb = [e for _, e in results["hardbake"] if e is not None]
    engines_dk = [e for _, e in results["docker"] if e is not None]
    if engines_hb and engines_dk:
        eh, ed = statistics.median(engines_hb), statistics.median(engines_dk)
        print(f"median engine (dockerd) CPU meanwhile: hardbake {eh:.2f} s, docker stats {ed:.2f} s")
        print(f"ratio client+engine: {(hb_client + eh) / (dk_client + ed):.2f}")


if __name__ == "__main__":
    main()
