"""Admission webhook throughput and latency on loopback (bounded load run).

Starts `hardbake policy serve` (HTTPS, self-signed certificate, one uvicorn process) and
drives it with `wrk` (C, scripts/system-deps installs it) as a separate client process, so the
client takes as little of the 2 cores as possible:

1. paced: wrk's Lua `delay()` spaces each connection's requests to approach the goal rate
   (default 500 requests/s); achieved rate and p50/p99 latency are reported;
2. closed loop: as fast as the connections go, for the maximum throughput.

Requests alternate between a hardened Pod (allowed) and a Deployment with findings (denied,
with warnings). The same decisions are timed in-process (no HTTP, no TLS) as the baseline
the webhook's overhead is measured against: no peer admission webhook (Kyverno, Gatekeeper)
can be installed from the package registries this machine reaches. The load average is
printed: other work on the machine skews the figures.

    PYTHONPATH=src python bench/policy_webhook.py [--rate 500] [--seconds 10] [--connections 8] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

_SC = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
_POD_SC = {"runAsNonRoot": True, "runAsUser": 65532, "seccompProfile": {"type": "RuntimeDefault"}}
GOOD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "ok", "namespace": "shop"},
    "spec": {
        "securityContext": _POD_SC,
        "containers": [
            {
                "name": "app",
                "image": "hardbake/python:3.13@sha256:" + "a" * 64,
                "securityContext": _SC,
                "resources": {"limits": {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi"}},
                "livenessProbe": {"tcpSocket": {"port": 8080}},
                "readinessProbe": {"tcpSocket": {"port": 8080}},
            }
        ],
    },
}
BAD: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {"name": "web", "image": "nginx:1.27"},
                    {"name": "side", "image": "busybox", "securityContext": {"privileged": True}},
                ]
            }
        }
    },
}


def body(obj: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": str(uuid.uuid4()),
                "kind": {"group": "", "version": "v1", "kind": obj["kind"]},
                "namespace": "shop",
                "operation": "CREATE",
                "object": obj,
            },
        }
    ).encode()


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {%s, %s}
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, bodies[(i %% 2) + 1])
end
%s
"""


def wrk(url: str, script: Path, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"{url}/validate",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    res: dict[str, float] = {"errors": 0.0}
    unit = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            res["rate"] = float(parts[1])
        elif len(parts) == 2 and parts[0] in ("50%", "99%"):
            num = parts[1].rstrip("usm")
            res["p" + parts[0].rstrip("%") + "_ms"] = float(num) * unit[parts[1][len(num) :]]
        elif "Non-2xx" in line or line.strip().startswith("Socket errors"):
            res["errors"] += sum(int(x.rstrip(",")) for x in parts if x.rstrip(",").isdigit())
    return res


def in_process(n: int) -> dict[str, Any]:
    from hardbake.policy.admission import decide, parse_review
    from hardbake.policy.check import build_policy

    pol = build_policy()
    bodies = [body(GOOD), body(BAD)]
    lat = []
    for i in range(n):
        t0 = time.perf_counter()
        decide(pol, parse_review(bodies[i % 2]))
        lat.append(time.perf_counter() - t0)
    return {
        "p50_ms": pct(lat, 50) * 1e3,
        "p99_ms": pct(lat, 99) * 1e3,
        "median_ms": statistics.median(lat) * 1e3,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rate", type=float, default=500.0)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=8, help="connections in the closed-loop run")
    ap.add_argument("--paced-connections", type=int, default=16, help="connections in the paced run")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: run scripts/system-deps")
    from hardbake.testing.net import free_port, wait_for_port
    from hardbake.testing.tls import make_tls_pair

    tmp = Path(tempfile.mkdtemp(prefix="hb-bench-"))
    pair = make_tls_pair(tmp)
    good, bad = (json.dumps(body(o).decode()) for o in (GOOD, BAD))
    closed_lua = tmp / "closed.lua"
    closed_lua.write_text(LUA % (good, bad, ""))

    def paced_script(delay_ms: float) -> Path:
        # jittered think time (uniform 0.5-1.5 x) so the connections do not fire in lockstep
        p = tmp / f"paced-{delay_ms:.3f}.lua"
        p.write_text(
            LUA % (good, bad, f"delay = function() return {delay_ms:.3f} * (0.5 + math.random()) end")
        )
        return p

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hardbake.cli.main",
            "policy",
            "serve",
            "--tls-cert",
            str(pair.cert),
            "--tls-key",
            str(pair.key),
            "--port",
            str(port),
        ],
        env=env,
    )
    try:
        wait_for_port(port, timeout=30)
        url = f"https://127.0.0.1:{port}"
        wrk(url, closed_lua, 2, args.connections)  # warm-up
        # wrk waits `delay` after each response: calibrate it so that delay + latency gives the rate
        interval_ms = 1000.0 * args.paced_connections / args.rate
        probe = wrk(url, paced_script(interval_ms), 3, args.paced_connections)
        latency_ms = max(0.0, 1000.0 * args.paced_connections / probe["rate"] - interval_ms)
        paced_lua = paced_script(max(0.0, interval_ms - latency_ms))
        paced = [wrk(url, paced_lua, args.seconds, args.paced_connections) for _ in range(args.runs)]
        closed = [wrk(url, closed_lua, args.seconds, args.connections) for _ in range(args.runs)]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    base = in_process(5000)

    def med(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; server: 1 uvicorn process; "
        f"client: wrk, 1 thread, {args.paced_connections} (paced) / {args.connections} (closed) connections; "
        f"{args.runs} runs of {args.seconds}s (medians)"
    )
    print(
        f"paced at {args.rate:.0f}/s : achieved {med(paced, 'rate'):.0f} req/s, "
        f"p50 {med(paced, 'p50_ms'):.2f} ms, "
        f"p99 {med(paced, 'p99_ms'):.2f} ms, errors {sum(r['errors'] for r in paced):.0f}"
    )
    print(
        f"closed loop     : {med(closed, 'rate'):.0f} req/s, p50 {med(closed, 'p50_ms'):.2f} ms, "
        f"p99 {med(closed, 'p99_ms'):.2f} ms, errors {sum(r['errors'] for r in closed):.0f}"
    )
    print(f"in-process decide (no HTTP/TLS): p50 {base['p50_ms']:.3f} ms, p99 {base['p99_ms']:.3f} ms")
    print(f"ratio webhook p50 (paced) / in-process p50: {med(paced, 'p50_ms') / base['p50_ms']:.1f}x")
    goal = med(paced, "rate") >= 0.95 * args.rate and med(paced, "p99_ms") < 20
    print(f"goal ({args.rate:.0f} req/s with p99 < 20 ms): {'met' if goal else 'NOT met'}")


if __name__ == "__main__":
    main()
