"""Which spec `hardbake test` builds for a step in the other variant."""

from __future__ import annotations

from pathlib import Path

from hardbake.build.pipeline import variant_twin
from hardbake.spec.model import Variant


def test_catalog_names_find_their_twin() -> None:
    assert variant_twin("postgres:17", Variant.dev) == ("postgres:17-dev", None)
    assert variant_twin("postgres:15-dev", Variant.runtime) == ("postgres:15", None)
    assert variant_twin("nginx:debian12", Variant.dev) == ("nginx:debian12-dev", None)


def test_spec_files_use_the_file_beside_them_or_the_variant_option(tmp_path: Path) -> None:
    runtime = tmp_path / "x.yaml"
    runtime.write_text("name: x\ndistro: debian-12\n")
    assert variant_twin(str(runtime), Variant.dev) == (str(runtime), Variant.dev)
    dev = tmp_path / "x-dev.yaml"
    dev.write_text("name: x\ndistro: debian-12\nvariant: dev\n")
    assert variant_twin(str(runtime), Variant.dev) == (str(dev), None)
    assert variant_twin(str(dev), Variant.runtime) == (str(runtime), None)
