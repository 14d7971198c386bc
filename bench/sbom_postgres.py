"""SBOM of the standard postgres image (mmdebstrap minbase + postgresql-15, bookworm, ~480 MB)
against `tar -tvf` over the same layers: time and peak memory, medians of interleaved runs.

    PYTHONPATH=src python bench/sbom_postgres.py [--runs 5]

Two forms of the same image:
- docker-archive (what `docker save` writes: plain tar layers inside a tar). Floors:
  `cat LAYER | tar -tvf -` reads every byte, as any reader that verifies the layer digest
  must; `tar -tvf LAYER` on the extracted file may seek over file data (GNU tar does on a
  regular file), a floor no verifying reader can reach — both are printed.
- OCI layout (gzip layers, what registries serve). Floor: `tar -tvzf BLOB`.

hardbake is measured in a fresh process per run: `inventory` is `hardbake.sbom.inventories`
plus the SPDX document (imports excluded), `cli` is the whole `hardbake sbom --format
spdx-json -o FILE` command (interpreter start and imports included). Peak memory is the
process's ru_maxrss.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from hardbake.oci import archive, layout
from hardbake.testing.standard import standard_image

INNER = """
import json, resource, sys, time
t0 = time.perf_counter()
from hardbake.sbom import inventories, render
import hardbake.sbom.inventory, hardbake.sbom.spdx, hardbake.sbom.source  # the lazy imports, up front
t1 = time.perf_counter()
(one,) = inventories(sys.argv[1])
doc = render(one.inventory, "spdx-json")
t2 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "inventory": t2 - t1, "packages": len(one.inventory.packages),
                  "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "bytes": len(doc)}))
"""


def _child_rss() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def run_shell(cmd: str) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of a shell pipeline, measured in a wrapper process."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1], shell=True, check=True, stdout=subprocess.DEVNULL); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code, cmd], check=True, capture_output=True, text=True).stdout
    wall, rss = out.split()
    return float(wall), int(rss)


def run_inventory(ref: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    out = subprocess.run(
        [sys.executable, "-c", INNER, ref], check=True, capture_output=True, text=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_cli(ref: str, out: Path) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    cmd = [sys.executable, "-m", "hardbake.cli.main", "sbom", ref, "--format", "spdx-json", "-o", str(out)]
    res = subprocess.run(
        [sys.executable, "-c", code, *cmd], check=True, capture_output=True, text=True, env=env
    )
    wall, rss = res.stdout.split()
    return float(wall), int(rss)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    std = standard_image("bookworm", ("postgresql-15",))
    size = std.archive.stat().st_size
    with tempfile.TemporaryDirectory(prefix="hb-bench-sbom-") as tmp:
        work = Path(tmp)
        # the same layers, as files: extracted from the docker-archive (not timed)
        layers = []
        with archive.read(std.archive) as img, tarfile.open(std.archive) as tf:
            manifest = json.loads(tf.extractfile("manifest.json").read())  # type: ignore[union-attr]
            for i, name in enumerate(manifest[0]["Layers"]):
                dst = work / f"layer{i}.tar"
                with tf.extractfile(name) as src, open(dst, "wb") as f:  # type: ignore[union-attr]
                    while chunk := src.read(1 << 20):
                        f.write(chunk)
                layers.append(dst)
            oci_dir = work / "oci"
            layout.write(oci_dir, img, tags=("pg",))
            blobs = [oci_dir / "blobs" / "sha256" / layer.digest().hex for layer in img.layers()]
        refs = {"docker-archive": std.archive_ref, "oci (gzip)": f"oci:{oci_dir}:pg"}
        floors = {
            "docker-archive": {
                "cat | tar -tvf -": " && ".join(f"cat {p} | tar -tvf - > /dev/null" for p in layers),
                "tar -tvf (seeks)": " && ".join(f"tar -tvf {p} > /dev/null" for p in layers),
            },
            "oci (gzip)": {"tar -tvzf": " && ".join(f"tar -tvzf {p} > /dev/null" for p in blobs)},
        }
        results: dict[str, dict[str, list[tuple[float, int]]]] = {k: {} for k in refs}
        pkgs = 0
        for _ in range(args.runs):
            for form, ref in refs.items():
                inv = run_inventory(ref)
                pkgs = int(inv["packages"])
                results[form].setdefault("hardbake inventory+SPDX", []).append(
                    (inv["inventory"], int(inv["rss_kb"]))
                )
                results[form].setdefault("hardbake sbom (CLI)", []).append(
                    run_cli(ref, work / "out.spdx.json")
                )
                for name, cmd in floors[form].items():
                    results[form].setdefault(name, []).append(run_shell(cmd))
        print(
            f"standard postgres image: {size / 1e6:.0f} MB docker-archive, {len(layers)} layer(s), {pkgs} packages"
        )
        print(
            f"medians of {args.runs} interleaved runs; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        for form, rows in results.items():
            print(f"\n{form}")
            med = {
                k: (statistics.median(w for w, _ in v), statistics.median(r for _, r in v))
                for k, v in rows.items()
            }
            floor_name = next(iter(floors[form]))
            floor = med[floor_name][0]
            for name, (wall, rss) in med.items():
                print(
                    f"  {name:28s} {wall:7.2f} s  {rss / 1024:7.1f} MiB peak   {wall / floor:5.2f}x {floor_name}"
                )


if __name__ == "__main__":
    main()
