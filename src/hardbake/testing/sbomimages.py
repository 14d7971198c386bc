"""Images for the SBOM and scan tests, written the way the real tools write their files.

- `dist_info(...)`: a Python distribution as pip installs a wheel (METADATA, RECORD,
  INSTALLER, WHEEL, top_level) — or `egg_info(...)` as setuptools does;
- `npm_package(...)`: a package.json as npm leaves it in node_modules;
- `apk_installed(...)`: apk-tools' installed database;
- `build_jar(...)`: a real jar from `javac` and `jar`, with pom.properties and a nested jar;
- `build_go_module(...)`: a Go binary of a module with a replaced dependency, stamped with
  `-ldflags -X main.version=...` (stdlib only, no network);
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hardbake.oci import mutate
from hardbake.oci.blobs import BlobStore
from hardbake.oci.config import ContainerConfig, History, ImageConfig, rfc3339
from hardbake.oci.image import Image
from hardbake.oci.layer import write_layers
from hardbake.oci.platform import Platform
from hardbake.oci.tarentry import TarEntry

EPOCH = 1_700_000_000


@dataclass(frozen=True)
class Link:
    target: str


@dataclass(frozen=True)
class Exe:
    data: bytes | Path


FileSpec = bytes | str | Link | Exe | Path


def entries(files: Mapping[str, FileSpec]) -> list[TarEntry]:
    """Tar entries for `files` (path -> bytes/str, a Path to copy, Link, Exe)."""
    out = []
    for path, spec in sorted(files.items()):
        if isinstance(spec, Link):
            out.append(TarEntry.symlink(path, spec.target, mtime=EPOCH))
        elif isinstance(spec, Exe):
            out.append(TarEntry.file(path, spec.data, mode=0o755, mtime=EPOCH))
        elif isinstance(spec, str):
            out.append(TarEntry.file(path, spec.encode(), mtime=EPOCH))
        else:
            out.append(TarEntry.file(path, spec, mtime=EPOCH))
    return out


def image(
    store: BlobStore,
    layers: Sequence[Sequence[TarEntry]],
    *,
    platform: Platform | None = None,
    created: int = EPOCH,
) -> Image:
    """An image of these layers (parents added), config `created` = `created`."""
    written = write_layers(list(layers), store, source_date_epoch=created, add_parents=True)
    config = ImageConfig.for_platform(
        platform or Platform.host(), created=rfc3339(created), config=ContainerConfig(cmd=("/bin/sh",))
    )
    base = mutate.from_parts(config, ())
    return mutate.append_layers(base, written, [History(created=rfc3339(created))] * len(written))


# -- Python ----------------------------------------------------------------------------------
def _record(files: Mapping[str, bytes], prefix: str) -> bytes:
    lines = []
    for rel, data in sorted(files.items()):
        digest = hashlib.sha256(data).digest()
        b64 = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        lines.append(f"{prefix}{rel},sha256={b64},{len(data)}")
    return ("\n".join(lines) + "\n").encode()


def dist_info(
    site: str,
    name: str,
    version: str,
    *,
    license: str | None = None,
    classifiers: Iterable[str] = (),
    license_expression: str | None = None,
    author: str | None = None,
) -> dict[str, FileSpec]:
    """A wheel installed by pip into `site` (e.g. opt/venv/lib/python3.11/site-packages)."""
    norm = name.replace("-", "_")
    meta = [
        f"Metadata-Version: {'2.4' if license_expression else '2.1'}",
        f"Name: {name}",
        f"Version: {version}",
    ]
    if author:
        meta.append(f"Author: {author}")
    if license:
        meta.append(f"License: {license}")
    if license_expression:
        meta.append(f"License-Expression: {license_expression}")
    meta += [f"Classifier: {c}" for c in classifiers]
    meta.append("Requires-Python: >=3.7")
    di = f"{norm}-{version}.dist-info"
    files = {
        f"{norm.lower()}/__init__.py": f"__version__ = {version!r}\n".encode(),
        f"{di}/METADATA": ("\n".join(meta) + "\n\nA package.\n").encode(),
        f"{di}/INSTALLER": b"pip\n",
        f"{di}/WHEEL": b"Wheel-Version: 1.0\nGenerator: bdist_wheel (0.41.2)\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{di}/top_level.txt": f"{norm.lower()}\n".encode(),
    }
    files[f"{di}/RECORD"] = _record(files, "") + f"{di}/RECORD,,\n".encode()
    return {f"{site}/{rel}": data for rel, data in files.items()}


def egg_info(site: str, name: str, version: str, *, license: str | None = None) -> dict[str, FileSpec]:
    """A setuptools `python setup.py install`-style egg-info directory."""
    meta = f"Metadata-Version: 1.1\nName: {name}\nVersion: {version}\n"
    if license:
        meta += f"License: {license}\n"
    return {f"{site}/{name.replace('-', '_')}-{version}-py3.11.egg-info/PKG-INFO": meta.encode()}


# -- npm -------------------------------------------------------------------------------------
def npm_package(
    node_modules: str,
    name: str,
    version: str,
    *,
    license: str | dict[str, str] | None = "MIT",
    extra: Mapping[str, object] | None = None,
) -> dict[str, FileSpec]:
    """`<node_modules>/<name>/package.json` (+ an index.js), as npm installs it."""
    doc: dict[str, object] = {"name": name, "version": version, "main": "index.js"}
    if license is not None:
        doc["license"] = license
    doc.update(extra or {})
    base = f"{node_modules}/{name}"
    return {
        f"{base}/package.json": json.dumps(doc, indent=2).encode(),
        f"{base}/index.js": b"module.exports = {};\n",
    }


# -- apk -------------------------------------------------------------------------------------
def apk_installed(packages: Iterable[tuple[str, str, str, str, Mapping[str, Sequence[str]]]]) -> bytes:
    """apk-tools' installed DB: (name, version, license, origin, {dir: [files]})."""
    out = []
    for name, version, lic, origin, dirs in packages:
        rec = [
            f"C:Q1{hashlib.sha1(name.encode()).hexdigest()[:27]}=",
            f"P:{name}",
            f"V:{version}",
            "A:x86_64",
            "S:12345",
            "I:45678",
            f"T:{name} package",
            "U:https://example.org",
            f"L:{lic}",
            f"o:{origin}",
            "m:Natanael Copa <ncopa@alpinelinux.org>",
            "t:1700000000",
            "c:0123456789abcdef",
        ]
        for d, files in dirs.items():
            rec.append(f"F:{d}")
            rec += [f"R:{f}" for f in files]
        out.append("\n".join(rec))
    return ("\n\n".join(out) + "\n\n").encode()


# -- Java ------------------------------------------------------------------------------------
def _jar(workdir: Path, out: Path, classes: Path, manifest: str, extra: Mapping[str, bytes]) -> None:
    root = workdir / out.stem
    shutil.copytree(classes, root)
    for rel, data in extra.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    mf = workdir / f"{out.stem}.mf"
    mf.write_text(manifest)
    subprocess.run(["jar", "cfm", str(out), str(mf), "-C", str(root), "."], check=True, capture_output=True)


def build_jar(out_dir: Path) -> dict[str, Path]:
    """Real jars from javac + jar: `app-2.0.0.jar` (pom.properties com.example:app:2.0.0, with
    `BOOT-INF/lib/inner-1.2.3.jar` nested: org.example:inner:1.2.3) and `plain-3.1.jar`
    (manifest only, Bundle-License Apache-2.0)."""
    work = Path(tempfile.mkdtemp(prefix="hardbake-jar-"))
    try:
        src = work / "src" / "demo"
        src.mkdir(parents=True)
        (src / "Hello.java").write_text(
            "package demo; public class Hello { public static void main(String[] a) {} }\n"
        )
        classes = work / "classes"
        subprocess.run(
            ["javac", "-d", str(classes), str(src / "Hello.java")], check=True, capture_output=True
        )
        pom = "#Generated by Maven\ngroupId={g}\nartifactId={a}\nversion={v}\n"
        inner = work / "inner-1.2.3.jar"
        _jar(
            work,
            inner,
            classes,
            "Manifest-Version: 1.0\nImplementation-Version: 1.2.3\n",
            {
                "META-INF/maven/org.example/inner/pom.properties": pom.format(
                    g="org.example", a="inner", v="1.2.3"
                ).encode()
            },
        )
        out_dir.mkdir(parents=True, exist_ok=True)
        app = out_dir / "app-2.0.0.jar"
        _jar(
            work,
            app,
            classes,
            "Manifest-Version: 1.0\nMain-Class: demo.Hello\nImplementation-Version: 2.0.0\n",
            {
                "META-INF/maven/com.example/app/pom.properties": pom.format(
                    g="com.example", a="app", v="2.0.0"
                ).encode(),
                "BOOT-INF/lib/inner-1.2.3.jar": inner.read_bytes(),
            },
        )
        plain = out_dir / "plain-3.1.jar"
        _jar(
            work,
            plain,
            classes,
            "Manifest-Version: 1.0\nBundle-SymbolicName: org.plain.util\nBundle-Version: 3.1.0\n"
            "Implementation-Vendor-Id: org.plain\nBundle-License: Apache-2.0\n",
            {},
        )
        return {"app": app, "plain": plain}
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- Go --------------------------------------------------------------------------------------
GO_MAIN = """package main

import (
\t"fmt"

\t"example.com/greet"
)

var version = "dev"

func main() { fmt.Println(greet.Hello(), version) }
"""
GO_DEP = """package greet

func Hello() string { return "hello" }
"""


def build_go_module(out: Path, *, version: str = "1.2.3") -> Path:
    """`example.com/hello` requiring `example.com/greet v1.4.0`, replaced by ./greet,
    built with `-ldflags "-X main.version=<version>"`."""
    with tempfile.TemporaryDirectory(prefix="hardbake-gomod-") as tmp:
        t = Path(tmp)
        (t / "main.go").write_text(GO_MAIN)
        (t / "go.mod").write_text(
            "module example.com/hello\n\ngo 1.19\n\nrequire example.com/greet v1.4.0\n\n"
            "replace example.com/greet => ./greet\n"
        )
        (t / "greet").mkdir()
        (t / "greet" / "go.mod").write_text("module example.com/greet\n\ngo 1.19\n")
        (t / "greet" / "greet.go").write_text(GO_DEP)
        env = {
            **os.environ,
            "CGO_ENABLED": "0",
            "GOFLAGS": "-mod=mod",
            "GOPROXY": "off",
            "GOOS": "linux",
            "GOARCH": "amd64",
            "GOCACHE": os.environ.get("GOCACHE", str(Path(tempfile.gettempdir()) / "hardbake-gocache")),
            "GOPATH": str(t / "gopath"),
        }
        subprocess.run(
            # no -trimpath: with it Go leaves -ldflags out of the build info
            ["go", "build", f"-ldflags=-X main.version={version}", "-o", str(out), "."],
            cwd=t,
            env=env,
            check=True,
            capture_output=True,
        )
    return out


# -- a Go < 1.18 binary (pointer-format build info), made by hand ---------------------------
SENTINEL_START = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6"
SENTINEL_END = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2"
OLD_MODINFO = (
    "path\texample.com/old/cmd/tool\nmod\texample.com/old\tv0.9.1\th1:abc=\n"
    "dep\tgolang.org/x/text\tv0.3.7\th1:def=\n=>\tgolang.org/x/text\tv0.3.8\th1:ghi=\n"
)


def pointer_format_elf(version: str, modinfo: str) -> bytes:
    """A minimal ELF64 LE with one PT_LOAD mapping offset 0 to 0x400000 and Go < 1.18 build
    info: pointers to Go string headers."""
    base = 0x400000
    size = 0x1000
    buf = bytearray(size)
    ident = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    header = ident + struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0, 64, 0, 0, 64, 56, 1, 0, 0, 0)
    buf[0 : len(header)] = header
    buf[64 : 64 + 56] = struct.pack("<IIQQQQQQ", 1, 6, 0, base, base, size, size, 0x1000)
    bi = b"\xff Go buildinf:" + bytes([8, 0]) + struct.pack("<QQ", base + 0x200, base + 0x210)
    buf[0x100 : 0x100 + len(bi)] = bi
    mod = SENTINEL_START + modinfo.encode() + SENTINEL_END
    buf[0x200:0x210] = struct.pack("<QQ", base + 0x300, len(version))
    buf[0x210:0x220] = struct.pack("<QQ", base + 0x400, len(mod))
    buf[0x300 : 0x300 + len(version)] = version.encode()
    buf[0x400 : 0x400 + len(mod)] = mod
    return bytes(buf)
