"""Go build info from executables: a real binary compiled here, the pre-1.18 pointer format on
a hand-made ELF, and robustness on arbitrary bytes."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardbake.sbom import gobuildinfo
from hardbake.testing.sbomimages import build_go_module, pointer_format_elf


@pytest.fixture(scope="module")
def go_module_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_go_module(tmp_path_factory.mktemp("gomod") / "hello")


def _go_version_m(binary: Path) -> str:
    return subprocess.run(
        ["go", "version", "-m", str(binary)], check=True, capture_output=True, text=True
    ).stdout


def test_real_binary_matches_go_version_m(go_module_binary: Path) -> None:
    with open(go_module_binary, "rb") as f:
        bi = gobuildinfo.scan_stream(f)
    assert bi is not None
    reference = _go_version_m(go_module_binary)
    # `go version -m` (the toolchain's own reader) prints the same facts
    assert f": {bi.go_version}\n" in reference
    assert bi.path == "example.com/hello"
    assert bi.main is not None and bi.main.path == "example.com/hello" and bi.main.version == "(devel)"
    (dep,) = bi.deps
    assert (dep.path, dep.version) == ("example.com/greet", "v1.4.0")
    assert dep.replaced_by is not None and dep.replaced_by.path == "./greet"
    assert "\tdep\texample.com/greet\tv1.4.0" in reference
    assert bi.ldflags_version() == "1.2.3"
    assert bi.setting("GOARCH") == "amd64"
    with open(go_module_binary, "rb") as f:
        assert gobuildinfo.parse_seekable(f) == bi


def test_non_elf_and_plain_elf_have_none(tmp_path: Path) -> None:
    assert gobuildinfo.scan_stream(io.BytesIO(b"#!/bin/sh\necho hi\n")) is None
    assert gobuildinfo.scan_stream(io.BytesIO(Path("/bin/true").read_bytes())) is None


def test_magic_as_plain_data_is_not_build_info() -> None:
    # the magic at an unaligned offset, and aligned but followed by garbage
    data = b"\x7fELF" + b"\0" * 12 + b"x" + gobuildinfo.MAGIC + b"\x08\x02" + b"\xff" * 64
    data += b"\0" * (-len(data) % 16) + gobuildinfo.MAGIC + b"\x08\x02" + b"\0" * 16 + b"\x05nope!"
    assert gobuildinfo.scan_stream(io.BytesIO(data)) is None


def test_pointer_format_needs_seek_then_parses() -> None:
    modinfo = (
        "path\texample.com/old/cmd/tool\nmod\texample.com/old\tv0.9.1\th1:abc=\n"
        "dep\tgolang.org/x/text\tv0.3.7\th1:def=\n=>\tgolang.org/x/text\tv0.3.8\th1:ghi=\n"
    )
    elf = pointer_format_elf("go1.16.15", modinfo)
    with pytest.raises(gobuildinfo.PointerFormat):
        gobuildinfo.scan_stream(io.BytesIO(elf))
    bi = gobuildinfo.parse_seekable(io.BytesIO(elf))
    assert bi is not None and bi.go_version == "go1.16.15"
    assert bi.main == gobuildinfo.Module("example.com/old", "v0.9.1", "h1:abc=")
    (dep,) = bi.deps
    assert dep.replaced_by == gobuildinfo.Module("golang.org/x/text", "v0.3.8", "h1:ghi=")


def test_quoted_build_settings() -> None:
    bi = gobuildinfo.parse_modinfo(
        "go1.21.0",
        "path\tx\nmod\tx\t(devel)\t\nbuild\t-ldflags=\"-s -w -X 'example.com/x/version.Version=v2.3.4'\"\nbuild\tGOOS=linux\n",
    )
    assert bi.setting("-ldflags") == "-s -w -X 'example.com/x/version.Version=v2.3.4'"
    assert bi.ldflags_version() == "v2.3.4"
    assert bi.setting("GOOS") == "linux"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048), st.integers(min_value=0, max_value=1024))
def test_arbitrary_bytes_never_crash(noise: bytes, at: int) -> None:
    data = bytearray(b"\x7fELF" + noise)
    pos = (min(at, len(data)) + 15) // 16 * 16
    data[pos:pos] = gobuildinfo.MAGIC + b"\x08\x02"
    out = gobuildinfo.scan_stream(io.BytesIO(bytes(data)))
    assert out is None or isinstance(out, gobuildinfo.BuildInfo)
