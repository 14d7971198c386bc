"""Benchmark: feed import time and DB size per feed, and match latency after DB open.

Run: PYTHONPATH=src python bench/vuln_import.py [--data ../shared/data] [--runs 5]

Peer: no other scanner (Trivy, Grype, osv-scanner) is installable offline here, so the floor
for import is a plain `json.load` of the same file in the same run (what any importer pays
before doing any work); the ratio says how much hardbake's parse + validate + SQLite write
costs on top. Match latency is measured for a ~150-package target (bookworm's real source
versions expanded to binaries, plus PyPI and npm packages named in the data) on an open DB;
the goal is under 100 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from hardbake.vuln import Ecosystem, InstalledPackage, ScanTarget, VulnDB, scan

FEEDS = ["debian_tracker_sample.json", "pypi_pypa_advisory_db_osv.json", "npm_nodejs_security_wg.json"]


def median_time(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_imports(data: Path, runs: int) -> None:
    print(f"{'feed':34} {'import ms':>10} {'json.load ms':>13} {'ratio':>7} {'DB KiB':>8}")
    for name in FEEDS:
        path = data / name
        sizes: list[int] = []

        def one(path: Path = path, sizes: list[int] = sizes) -> None:
            with tempfile.TemporaryDirectory() as d, VulnDB.open(Path(d) / "v.sqlite") as db:
                db.update([str(path)])
                sizes.append(db.size_bytes())

        t_import = median_time(one, runs)
        t_load = median_time(lambda path=path: json.loads(path.read_bytes()), runs)
        print(
            f"{name:34} {t_import * 1000:10.1f} {t_load * 1000:13.1f} {t_import / t_load:7.1f} "
            f"{statistics.median(sizes) // 1024:8d}"
        )


def target(data: Path) -> ScanTarget:
    versions = json.loads((data / "bookworm_source_versions.json").read_text())
    pkgs: list[InstalledPackage] = []
    for src, suites in versions.items():
        if src == "_meta" or "bookworm" not in suites:
            continue
        v = suites["bookworm"]["source_versions"][0]
        for i in range(min(3, suites["bookworm"]["binary_count"])):
            pkgs.append(
                InstalledPackage(Ecosystem.deb, src if i == 0 else f"{src}-bin{i}", v, src, v, "debian-12")
            )
    osv = json.loads((data / "pypi_pypa_advisory_db_osv.json").read_text())["advisories"]
    names = sorted({a["affected"][0]["package"]["name"] for a in osv})[:20]
    pkgs += [InstalledPackage(Ecosystem.pypi, n, "0.1") for n in names]
    npm = [
        a for a in json.loads((data / "npm_nodejs_security_wg.json").read_text())["npm"] if "module_name" in a
    ]
    pkgs += [InstalledPackage(Ecosystem.npm, a["module_name"], "0.0.1") for a in npm[:15]]
    return ScanTarget(
        "bench",
        tuple(pkgs[:150]),
        frozenset({Ecosystem.deb, Ecosystem.pypi, Ecosystem.npm}),
        distro="debian-12",
    )


def bench_match(data: Path, runs: int) -> None:
    t = target(data)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "v.sqlite"
        with VulnDB.open(p) as db:
            db.update([str(data / f) for f in FEEDS])
        with VulnDB.open(p) as db:
            findings = len(scan(t, db).findings)
            warm = median_time(lambda: scan(t, db), runs)

        def cold() -> None:
            with VulnDB.open(p) as db2:
                scan(t, db2)

        t_cold = median_time(cold, runs)
    print(
        f"\nscan of {len(t.packages)} packages ({findings} findings): "
        f"{warm * 1000:.1f} ms after DB open (goal < 100 ms), {t_cold * 1000:.1f} ms including open"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    bench_imports(a.data, a.runs)
    bench_match(a.data, max(a.runs, 10))


if __name__ == "__main__":
    main()
