"""Time from a package landing in the archive to a signed, pushed, verified image.

hardbake side: the patch loop in process (`hardbake.watch.loop.run_once`, as a running
`hardbake watch` does it each interval): refresh the signed indices, re-lock the five test
images of `hardbake.testing.watchlab`, rebuild what changed, run its tests in the engine,
scan, sign and attest, push by digest, verify, move the tags.

Peer side, the same work the usual way, told which images to rebuild (no detection): for
each image a `docker build --no-cache` of a Dockerfile that `apt-get install`s the same
packages from the same local archive onto a Debian minbase, the same test (`docker run`),
`docker push`, `cosign sign` and `cosign verify` (cosign 2.x with a key, no transparency log).

Two changes, each repeated --runs times (a new version every run), medians reported:
* one image: a new `liba` (used by alpha only);
* the catalog: a new `hbrun` (used by all five images; tchild is built on tbase).

    PYTHONPATH=src python bench/watch_latency.py [--runs 5] [--cosign PATH]
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
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parent.parent


def find_cosign(given: str | None) -> Path | None:
    for c in (given, str(ROOT / ".tools" / "bin" / "cosign"), shutil.which("cosign")):
        if c and Path(c).is_file():
            return Path(c)
    return None


class Peer:
    """docker build + docker run (test) + docker push + cosign sign + cosign verify."""

    PACKAGES: ClassVar[dict[str, list[str]]] = {
        "alpha": ["hbrun", "liba"],
        "beta": ["hbrun", "libb"],
        "gamma": ["hbrun", "libg"],
        "tbase": ["hbrun", "common"],
        "tchild": ["libchild"],
    }
    CHECK: ClassVar[dict[str, list[str]]] = {
        "alpha": ["liba"],
        "beta": ["libb"],
        "gamma": ["libg"],
        "tbase": ["common"],
        "tchild": ["common", "libchild"],
    }

    def __init__(self, work: Path, url: str, registry: str, cosign: Path, base: str) -> None:
        self.work, self.url, self.registry, self.cosign, self.base = work, url, registry, cosign, base
        work.mkdir(parents=True, exist_ok=True)
        self.env = {"PATH": os.environ["PATH"], "HOME": str(work), "COSIGN_PASSWORD": "bench",
                    "TUF_ROOT": str(work / "tuf")}  # fmt: skip
        subprocess.run([str(cosign), "generate-key-pair", "--output-key-prefix", str(work / "peer")],
                       check=True, capture_output=True, env=self.env, cwd=work)  # fmt: skip

    def dockerfile(self, name: str) -> str:
        base = f"{self.registry}/peer/tbase:1" if name == "tchild" else self.base
        sources = (
            f"deb [trusted=yes] {self.url}/debian-security trixie-security main\\n"
            f"deb [trusted=yes] {self.url}/debian trixie main\\n"
        )
        return (
            f"FROM {base}\n"
            f"RUN printf '{sources}' > /etc/apt/sources.list.d/lab.list && apt-get -o Acquire::Check-Valid-Until=false "
            f"update -qq -o Dir::Etc::sourcelist=/etc/apt/sources.list.d/lab.list -o Dir::Etc::sourceparts=- && "
            f"apt-get install -y -qq {' '.join(self.PACKAGES[name])} >/dev/null && rm -rf /var/lib/apt/lists/*\n"
            'ENTRYPOINT ["/usr/bin/hbrun"]\n'
            "LABEL dev.hardbake.bench=watch\n"
        )

    def one(self, name: str) -> None:
        ref = f"{self.registry}/peer/{name}:1"
        d = self.work / name
        d.mkdir(exist_ok=True)
        (d / "Dockerfile").write_text(self.dockerfile(name))
        run(["docker", "build", "--no-cache", "--network", "host", "-q", "-t", ref, str(d)])
        out = run(["docker", "run", "--rm", "--network", "none", "--read-only", "--cap-drop", "ALL", ref,
                   *(f"/usr/share/{p}/message" for p in self.CHECK[name])])  # fmt: skip
        assert all(f"{p} ok" in out for p in self.CHECK[name]), out
        run(["docker", "push", "-q", ref])
        digest = run(["docker", "inspect", "--format", "{{index .RepoDigests 0}}", ref]).strip()
        flags = ["--allow-insecure-registry", "--allow-http-registry"]
        run([str(self.cosign), "sign", "--yes", "--tlog-upload=false", "--key", str(self.work / "peer.key"),
             *flags, digest], env=self.env)  # fmt: skip
        run([str(self.cosign), "verify", "--key", str(self.work / "peer.pub"), "--insecure-ignore-tlog=true",
             *flags, ref], env=self.env)  # fmt: skip

    def cleanup(self) -> None:
        """Remove every image the peer built (all carry the bench label; children before parents)."""
        for _ in range(len(self.PACKAGES) + 1):
            ids = run(["docker", "images", "-a", "-q", "--filter", "label=dev.hardbake.bench=watch"]).split()
            if not ids:
                return
            subprocess.run(["docker", "rmi", "-f", *sorted(set(ids))], capture_output=True)

    def rebuild(self, names: list[str]) -> float:
        t0 = time.monotonic()
        for n in names:
            self.one(n)
        return time.monotonic() - t0


def run(cmd: list[str], env: dict[str, str] | None = None) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}: {r.stderr[-2000:]}")
    return r.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cosign", help="cosign binary for the peer (default: .tools/bin/cosign, then PATH)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hardbake-bench-watch-"))
    os.environ["HARDBAKE_CACHE"] = str(work / "cache")
    os.environ["HARDBAKE_KEY_PASSWORD"] = "bench"

    from hardbake.attest.keys import SigningKey
    from hardbake.debian.sources import Mirrors
    from hardbake.oci.remote import RegistryAccess
    from hardbake.testing.aptrepo import make_key
    from hardbake.testing.engine import docker_client
    from hardbake.testing.patchlab import MINBASE
    from hardbake.testing.registry import local_registry
    from hardbake.testing.standard import ensure
    from hardbake.testing.watchlab import build_lab, served
    from hardbake.vuln import VulnDB
    from hardbake.watch import loop, targets
    from hardbake.watch.publish import Destination
    from hardbake.watch.state import StateDB

    cosign = find_cosign(args.cosign)
    engine = docker_client()
    lab = build_lab(work / "lab", make_key(work / "archive-key"))
    key = SigningKey.generate()
    results: dict[str, dict[str, list[float]]] = {"one image (liba -> alpha)": {"hardbake": [], "peer": []},
                                                  "catalog (hbrun -> 5 images)": {"hardbake": [], "peer": []}}  # fmt: skip
    with served(lab), local_registry() as reg, RegistryAccess() as access, StateDB.open(work / "state.sqlite") as state, VulnDB.open(work / "vuln.sqlite") as db:  # fmt: skip
        config = loop.WatchConfig(
            targets=targets.select([str(p) for p in lab.specs.values()]),
            mirrors=Mirrors(lab.mirror, lab.security_mirror, lab.keyring), cache_root=work / "cache",
            state=state, db=db, destination=Destination(registry=f"{reg.host}/lab"), access=access,
            workdir=work / "watch", key=key, engine=lambda: engine,
        )  # fmt: skip

        def watch(expect: set[str]) -> float:
            t0 = time.monotonic()
            report = loop.run_once(config)
            dt = time.monotonic() - t0
            done = {o.image.split(":")[0] for o in report.outcomes if o.outcome == "published"}
            assert done == expect and all(o.published and o.published.verified for o in report.outcomes
                                          if o.outcome == "published"), report.to_json()  # fmt: skip
            return dt

        print(f"initial publication of 5 images: {watch(set(Peer.PACKAGES)):.1f}s", file=sys.stderr)
        peer = None
        if cosign is not None:
            peer = Peer(work / "peer", lab.url, reg.host, cosign, ensure(MINBASE, engine))
            peer.rebuild(list(Peer.PACKAGES))  # warm-up: base layers pushed once
        else:
            print(
                "no cosign binary: peer skipped (run scripts/peer-cosign or pass --cosign)", file=sys.stderr
            )
        for i in range(args.runs):
            lab.publish("liba", f"1.{i + 1}-1", cves=[f"CVE-2099-{1000 + i}"])
            results["one image (liba -> alpha)"]["hardbake"].append(watch({"alpha"}))
            if peer:
                results["one image (liba -> alpha)"]["peer"].append(peer.rebuild(["alpha"]))
            lab.publish_hbrun(f"1.{i + 1}-1")
            results["catalog (hbrun -> 5 images)"]["hardbake"].append(watch(set(Peer.PACKAGES)))
            if peer:
                results["catalog (hbrun -> 5 images)"]["peer"].append(peer.rebuild(list(Peer.PACKAGES)))
            print(f"run {i + 1}/{args.runs} done", file=sys.stderr)
        if peer:
            peer.cleanup()
    print(f"\nhardbake watch vs docker build + push + cosign sign/verify; {args.runs} runs, medians "
          f"({datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")  # fmt: skip
    print(f"{'change':32} {'hardbake':>10} {'peer':>10} {'ratio':>7}")
    for name, r in results.items():
        h = statistics.median(r["hardbake"])
        p = statistics.median(r["peer"]) if r["peer"] else None
        ratio = f"{h / p:.2f}" if p else "-"
        print(f"{name:32} {h:9.2f}s {f'{p:9.2f}s' if p else '         -':>10} {ratio:>7}")
    print(
        "hardbake includes detection (index refresh, re-lock of all 5 images), tests, scan, provenance "
        "and scan attestations; the peer is told what to rebuild."
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
