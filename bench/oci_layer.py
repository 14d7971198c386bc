"""Layer writer throughput against GNU tar | gzip on the same files, plus the streaming
filesystem scan against `tar -tvzf` (the I/O floor issue 7 names).

    PYTHONPATH=src python bench/oci_layer.py [--mb 80] [--runs 5] [--level 4] [ROOT...]

The work: regular files, directories and symlinks under the roots (default
/usr/lib/python3.11 then /usr/lib/x86_64-linux-gnu) until --mb megabytes of file data, as a
python image's layer would hold. Both sides read the same files from a warm page cache and
write a gzip'd tar of them at the same level; GNU tar runs as `tar | gzip` (two processes,
so it uses two cores too). Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hardbake.oci.blobs import BlobStore
from hardbake.oci.filesystem import Filesystem
from hardbake.oci.layer import TarEntry, write_layer
from hardbake.testing.images import image_of


def collect(roots: list[Path], limit: int) -> tuple[list[TarEntry], list[str], int]:
    entries: list[TarEntry] = []
    rels: list[str] = []
    total = 0
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            rel = os.path.relpath(dirpath, "/")
            entries.append(TarEntry.dir(rel))
            rels.append(rel)
            for f in sorted(filenames):
                p = Path(dirpath, f)
                r = f"{rel}/{f}"
                if p.is_symlink():
                    entries.append(TarEntry.symlink(r, os.readlink(p)))
                elif p.is_file():
                    st = p.stat()
                    if total + st.st_size > limit:
                        continue
                    entries.append(TarEntry.file(r, p, size=st.st_size, mode=st.st_mode & 0o7777))
                    total += st.st_size
                else:
                    continue
                rels.append(r)
    return entries, rels, total


def _cpu() -> float:
    """CPU seconds of this process (all threads) and its finished children."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def timed(
    a: Callable[[], None], b: Callable[[], None], runs: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median (wall, cpu) seconds of a and of b, runs interleaved so a change of load on
    the machine hits both; CPU time is the figure that does not depend on that load."""
    ra: list[tuple[float, float]] = []
    rb: list[tuple[float, float]] = []
    for _ in range(runs):
        for fn, out in ((a, ra), (b, rb)):
            t, c = time.perf_counter(), _cpu()
            fn()
            out.append((time.perf_counter() - t, _cpu() - c))
    med = statistics.median
    return (med(x for x, _ in ra), med(y for _, y in ra)), (med(x for x, _ in rb), med(y for _, y in rb))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("roots", nargs="*", type=Path)
    ap.add_argument("--mb", type=int, default=80)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--level", type=int, default=4)
    args = ap.parse_args()
    roots = args.roots or [Path("/usr/lib/python3.11"), Path("/usr/lib/x86_64-linux-gnu")]
    entries, rels, total = collect(roots, args.mb << 20)
    mb = total / 1e6
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"work: {len(entries)} entries, {mb:.1f} MB of file data, gzip level {args.level}")
    print(f"machine: {os.cpu_count()} cores")
    tmp = Path(tempfile.mkdtemp(prefix="hardbake-bench-"))
    listing = tmp / "files.txt"
    listing.write_text("\n".join(rels) + "\n")
    try:
        store_dir = tmp / "store"

        def ours() -> None:
            shutil.rmtree(store_dir, ignore_errors=True)
            write_layer(entries, BlobStore(store_dir), level=args.level)

        def gnu() -> None:
            cmd = (
                f"tar --no-recursion --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 "
                f"-C / -cf - -T {listing} | gzip -n -{args.level} > {tmp / 'gnu.tar.gz'}"
            )
            subprocess.run(["sh", "-c", cmd], check=True)

        ours()
        gnu()  # warm the page cache for both
        (t_ours, c_ours), (t_gnu, c_gnu) = timed(ours, gnu, args.runs)
        layer = write_layer(entries, BlobStore(store_dir), level=args.level)
        gnu_size = (tmp / "gnu.tar.gz").stat().st_size
        for name, t, c, size in (
            ("hardbake", t_ours, c_ours, layer.size()),
            ("tar|gzip", t_gnu, c_gnu, gnu_size),
        ):
            print(f"write  {name}: {t:.3f} s wall {mb / t:6.1f} MB/s, {c:.3f} s CPU, {size / 1e6:.1f} MB out")
        print(f"write  ratio tar|gzip / hardbake: wall {t_gnu / t_ours:.2f}x, CPU {c_gnu / c_ours:.2f}x")

        image = image_of([layer])

        def scan() -> None:
            Filesystem.scan(image)

        def listing_floor() -> None:
            subprocess.run(["tar", "-tvzf", str(layer.path)], check=True, stdout=subprocess.DEVNULL)

        (t_scan, c_scan), (t_floor, c_floor) = timed(scan, listing_floor, args.runs)
        print(f"scan   Filesystem.scan: {t_scan:.3f} s wall, {c_scan:.3f} s CPU (verifies digests too)")
        print(f"scan   tar -tvzf floor: {t_floor:.3f} s wall, {c_floor:.3f} s CPU")
        print(f"scan   ratio hardbake / floor: wall {t_scan / t_floor:.2f}x, CPU {c_scan / c_floor:.2f}x")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
