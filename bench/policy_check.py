"""`hardbake policy check` over 1,000 Kubernetes manifests against Checkov over the same files.

Generates a directory of 1,000 manifests (Deployments, StatefulSets, Jobs, Pods with a mix of
good and bad settings, some multi-document), then times, in the same run, N times each:

    hardbake policy check DIR --format json -o FILE
    checkov -d DIR --framework kubernetes -o json --skip-download   (from .venv-peers)

and prints the medians and the ratio, plus how many findings each reported. Both are run as
fresh processes (start-up included, as a CI job would see them). Checkov's proxies point at a
closed loopback port so it makes no traffic off the machine.

    PYTHONPATH=src python bench/policy_check.py [--files 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
PEERS = Path(os.environ.get("HARDBAKE_PEERS_VENV", ROOT / ".venv-peers"))
IMAGES = [
    "hardbake/python:3.13",
    "hardbake/node:20@sha256:" + "d" * 64,
    "nginx",
    "python:3.12-slim",
    "registry.example.com/team/api:1.4.2",
    "redis:latest",
]


def manifest(rng: random.Random, i: int) -> list[dict[str, Any]]:
    kind = rng.choice(["Deployment", "StatefulSet", "Job", "Pod", "DaemonSet"])
    sc: dict[str, Any] = {}
    if rng.random() < 0.6:
        sc = {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": rng.random() < 0.7,
            "capabilities": {"drop": ["ALL"]},
        }
    if rng.random() < 0.1:
        sc["privileged"] = True
    container: dict[str, Any] = {"name": f"c{i}", "image": rng.choice(IMAGES), "securityContext": sc}
    if rng.random() < 0.7:
        container["resources"] = {"limits": {"cpu": "500m", "memory": "256Mi"}}
    if rng.random() < 0.5:
        container["livenessProbe"] = {"httpGet": {"path": "/", "port": 8080}}
    pod: dict[str, Any] = {"containers": [container]}
    if rng.random() < 0.5:
        pod["securityContext"] = {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        }
    if rng.random() < 0.05:
        pod["hostNetwork"] = True
    meta = {"name": f"w{i}", "namespace": rng.choice(["prod", "staging", "dev"])}
    if kind == "Pod":
        obj = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod}
    else:
        obj = {
            "apiVersion": "apps/v1" if kind != "Job" else "batch/v1",
            "kind": kind,
            "metadata": meta,
            "spec": {
                "selector": {"matchLabels": {"app": f"w{i}"}},
                "template": {"metadata": {"labels": {"app": f"w{i}"}}, "spec": pod},
            },
        }
    docs = [obj]
    if rng.random() < 0.2:
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": f"s{i}"},
                "spec": {"ports": [{"port": 80}]},
            }
        )
    return docs


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=3600)
    if proc.returncode not in (0, 1):
        sys.exit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr[-1500:]}")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    checkov = PEERS / "bin" / "checkov"
    if not checkov.is_file():
        sys.exit(f"{checkov} missing: run scripts/peers-venv")
    tmp = Path(tempfile.mkdtemp(prefix="hb-bench-check-"))
    corpus = tmp / "manifests"
    corpus.mkdir()
    rng = random.Random(11)
    for i in range(args.files):
        (corpus / f"m{i:04d}.yaml").write_text(yaml.safe_dump_all(manifest(rng, i), sort_keys=False))
    hb_out = tmp / "hardbake.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    hb_cmd = [
        sys.executable,
        "-m",
        "hardbake.cli.main",
        "policy",
        "check",
        str(corpus),
        "--format",
        "json",
        "-o",
        str(hb_out),
    ]
    ck_env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    ck_env.update(HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", BC_SKIP_MAPPING="TRUE")
    ck_cmd = [
        str(checkov),
        "-d",
        str(corpus),
        "--framework",
        "kubernetes",
        "-o",
        "json",
        "--compact",
        "--skip-download",
        "--quiet",
        "--output-file-path",
        str(tmp / "ck"),
    ]
    hb_times, ck_times = [], []
    for _ in range(args.runs):  # interleaved, so both see the same machine load
        hb_times.append(timed(hb_cmd, env))
        ck_times.append(timed(ck_cmd, ck_env))
    hb_findings = len(json.loads(hb_out.read_text())["findings"])
    ck_doc = json.loads(next((tmp / "ck").glob("*.json")).read_text())
    ck_runs = ck_doc if isinstance(ck_doc, list) else [ck_doc]
    ck_failed = sum(r["summary"]["failed"] for r in ck_runs)
    hb, ck = statistics.median(hb_times), statistics.median(ck_times)
    print(
        f"{args.files} manifests, {args.runs} runs each, machine: {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"hardbake policy check : median {hb:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in hb_times)}); "
        f"{hb_findings} findings"
    )
    print(
        f"checkov (kubernetes)  : median {ck:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in ck_times)}); "
        f"{ck_failed} failed checks"
    )
    print(f"ratio checkov / hardbake: {ck / hb:.1f}x")


if __name__ == "__main__":
    main()
