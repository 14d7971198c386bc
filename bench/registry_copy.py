"""Benchmark: push and pull of a ~80 MB image, hardbake's copy vs `skopeo copy`, same registry, same run.

    PYTHONPATH=src python bench/registry_copy.py [--runs 5] [--mb 80] [--layers 4] [--jobs 4]

hardbake runs `hardbake.attest.copy.copy_image` (what `hardbake push` / `pull` run: blob
existence checks, parallel chunked uploads, digest verification of every pulled blob, and
the referrer lookups: cosign tags and the referrers fallback tag, for every manifest);
skopeo runs `skopeo copy oci:DIR:v1 docker://...` and back. Every run makes fresh random
content for each tool (no blob is ever shared between runs or tools, so nothing is skipped
or mounted) and a fresh repository, against one local docker-registry. Prints medians and
the ratio hardbake / skopeo (below 1: hardbake is faster).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hardbake.attest.copy import copy_image
from hardbake.oci import ImageConfig, Platform, TarEntry, layout, mutate, rfc3339, write_layers
from hardbake.oci.blobs import BlobStore
from hardbake.oci.reference import parse_image_ref
from hardbake.oci.remote import RegistryAccess
from hardbake.testing.registry import local_registry


def timed(fn: Callable[..., Any], *args: Any) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def make_layout(root: Path, store: BlobStore, mb: int, layers: int) -> int:
    """A layout with one image of `layers` layers of fresh random (incompressible) files,
    `mb` MB in all; returns the image's stored size."""
    per_file = 4 * 1024 * 1024
    files = max(1, mb * 1024 * 1024 // (layers * per_file))
    contents = [
        [TarEntry.dir(f"l{i}")] + [TarEntry.file(f"l{i}/f{j}", os.urandom(per_file)) for j in range(files)]
        for i in range(layers)
    ]
    config = ImageConfig.for_platform(Platform("linux", "amd64"), created=rfc3339(0))
    img = mutate.image(config, write_layers(contents, store, source_date_epoch=0))
    layout.write(root, img, tags=["v1"])
    return img.size()


def ours(access: RegistryAccess, src: str, dst: str, jobs: int) -> None:
    copy_image(parse_image_ref(src), parse_image_ref(dst), access=access, workers=jobs)


def skopeo(src: str, dst: str) -> None:
    subprocess.run(
        ["skopeo", "copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false", src, dst],
        check=True,
    )


def report(what: str, mine: list[float], theirs: list[float]) -> None:
    a, b = statistics.median(mine), statistics.median(theirs)
    print(
        f"{what:10s} hardbake median {a:6.2f} s (min {min(mine):5.2f}) | "
        f"skopeo copy median {b:6.2f} s (min {min(theirs):5.2f}) | ratio {a / b:4.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mb", type=int, default=80)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--jobs", type=int, default=4)
    args = ap.parse_args()
    push_h, push_s, pull_h, pull_s = [], [], [], []
    with local_registry() as reg, tempfile.TemporaryDirectory(prefix="hardbake-bench-") as d:
        tmp = Path(d)
        store = BlobStore(tmp / "store", fsync=False)
        size = 0
        for i in range(args.runs):
            size = make_layout(tmp / f"h{i}", store, args.mb, args.layers)
            make_layout(tmp / f"s{i}", store, args.mb, args.layers)
            h_ref, s_ref = f"{reg.host}/bench/h{i}:v1", f"{reg.host}/bench/s{i}:v1"
            # alternate who goes first, so neither always meets a warmer page cache
            order = [("h", "s"), ("s", "h")][i % 2]
            for who in order:
                if who == "h":
                    with RegistryAccess() as access:
                        push_h.append(timed(ours, access, f"oci:{tmp / f'h{i}'}:v1", h_ref, args.jobs))
                        pull_h.append(timed(ours, access, h_ref, f"oci:{tmp / f'hp{i}'}:v1", args.jobs))
                else:
                    push_s.append(timed(skopeo, f"oci:{tmp / f's{i}'}:v1", f"docker://{s_ref}"))
                    pull_s.append(timed(skopeo, f"docker://{s_ref}", f"oci:{tmp / f'sp{i}'}:v1"))
        print(f"image: {size / 1e6:.1f} MB in {args.layers} layers, {args.runs} runs, {args.jobs} jobs")
        report("push", push_h, push_s)
        report("pull", pull_h, pull_s)


if __name__ == "__main__":
    main()
