"""The inventory on images the tests write: every ecosystem, layers, whiteouts, hardlinks,
symlinked doc dirs, owners, malformed metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardbake.oci.blobs import BlobStore
from hardbake.oci.image import Image
from hardbake.oci.tarentry import TarEntry
from hardbake.sbom import Ecosystem, Inventory, take_inventory
from hardbake.testing.sbomimages import (
    EPOCH,
    OLD_MODINFO,
    Exe,
    Link,
    apk_installed,
    build_go_module,
    build_jar,
    dist_info,
    egg_info,
    entries,
    image,
    npm_package,
    pointer_format_elf,
)

DEBIAN_OS = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n'
SITE = "opt/venv/lib/python3.11/site-packages"

PY3_YAML_STANZA = """Package: python3-yaml
Status: install ok installed
Priority: optional
Section: python
Installed-Size: 600
Maintainer: Debian Python Team <team+python@tracker.debian.org>
Architecture: amd64
Source: pyyaml (6.0-3)
Version: 6.0-3+b2
Depends: python3 (<< 3.12)
Description: YAML parser and emitter for Python3
 PyYAML is a YAML parser and emitter.
"""


def _inv(img: Image, name: str = "test:1") -> Inventory:
    inv, _ = take_inventory(img, name=name)
    return inv


def _by(inv: Inventory, eco: Ecosystem) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in inv.by_ecosystem(eco):
        out.setdefault(p.name, []).append(p.version)
    return out


@pytest.fixture(scope="module")
def jars(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_jar(tmp_path_factory.mktemp("jars"))


@pytest.fixture(scope="module")
def go_hello(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_go_module(tmp_path_factory.mktemp("go") / "hello")


@pytest.fixture()
def languages_image(store: BlobStore, jars: dict[str, Path], go_hello: Path) -> Image:
    base = {
        "usr/lib/os-release": DEBIAN_OS,
        "etc/os-release": Link("../usr/lib/os-release"),
        # a deb that installed a python distribution: the dist-info is its file
        "var/lib/dpkg/status": PY3_YAML_STANZA,
        "var/lib/dpkg/info/python3-yaml.list": "/.\n/usr\n/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA\n",
        **dist_info("usr/lib/python3/dist-packages", "PyYAML", "6.0", license="MIT"),
    }
    venv = {
        **dist_info(
            SITE, "Jinja2", "2.10", license="BSD", classifiers=["License :: OSI Approved :: BSD License"]
        ),
        **dist_info(SITE, "urllib3", "1.24.1", license="MIT", author="Andrey Petrov"),
        **dist_info(SITE, "new-style", "1.0", license_expression="Apache-2.0 OR MIT"),
        **egg_info(SITE, "legacy-thing", "0.3", license="GPL-2+"),
    }
    node = {
        **npm_package("app/node_modules", "lodash", "4.17.4"),
        **npm_package("app/node_modules", "express", "4.16.0", license={"type": "MIT"}),
        **npm_package("app/node_modules/express/node_modules", "ms", "0.7.0"),
        **npm_package("app/node_modules", "@types/node", "20.1.0"),
        **npm_package("usr/local/lib/node_modules", "npm", "9.6.7", license="Artistic-2.0"),
        "app/node_modules/lodash/fp/package.json": '{"main": "../fp.js"}',
        "app/package.json": '{"name": "my-app", "version": "1.0.0"}',
    }
    apps = {
        "opt/app/app-2.0.0.jar": jars["app"],
        "opt/app/lib/plain-3.1.jar": jars["plain"],
        "usr/local/bin/hello": Exe(go_hello),
        "usr/local/bin/script": Exe(b"#!/bin/sh\necho hello world, this is no binary at all\n" * 30),
    }
    return image(store, [entries(base), entries(venv), entries(node), entries(apps)])


def test_every_language_ecosystem(languages_image: Image) -> None:
    inv = _inv(languages_image)
    assert set(inv.ecosystems) == set(Ecosystem)
    assert inv.os is not None and inv.os.distro == "debian-12" and inv.os.id == "debian"
    assert _by(inv, Ecosystem.pypi) == {
        "Jinja2": ["2.10"],
        "PyYAML": ["6.0"],
        "legacy-thing": ["0.3"],
        "new-style": ["1.0"],
        "urllib3": ["1.24.1"],
    }
    assert _by(inv, Ecosystem.npm) == {
        "@types/node": ["20.1.0"],
        "express": ["4.16.0"],
        "lodash": ["4.17.4"],
        "ms": ["0.7.0"],
        "npm": ["9.6.7"],
    }
    assert _by(inv, Ecosystem.maven) == {
        "com.example:app": ["2.0.0"],
        "org.example:inner": ["1.2.3"],
        "org.plain:plain": ["3.1.0"],
    }
    go = _by(inv, Ecosystem.golang)
    assert go["example.com/hello"] == ["1.2.3"]  # (devel) + -X main.version=1.2.3
    assert go["example.com/greet"] == ["v1.4.0"]
    assert set(go) == {"example.com/hello", "example.com/greet", "stdlib"}
    assert _by(inv, Ecosystem.deb) == {"python3-yaml": ["6.0-3+b2"]}


def test_purls_licences_layers_and_owner(languages_image: Image) -> None:
    inv = _inv(languages_image)
    diff_ids = [str(layer.diff_id()) for layer in languages_image.layers()]
    p = {(x.ecosystem, x.name): x for x in inv.packages}
    jinja = p[(Ecosystem.pypi, "Jinja2")]
    assert jinja.purl == "pkg:pypi/jinja2@2.10"
    assert jinja.found_at == f"/{SITE}/Jinja2-2.10.dist-info/METADATA"
    assert jinja.layer == 1 and jinja.layer_diff_id == diff_ids[1]
    assert jinja.licenses.declared == ("BSD", "BSD License") and jinja.licenses.expression is None
    assert p[(Ecosystem.pypi, "urllib3")].licenses.expression == "MIT"
    assert p[(Ecosystem.pypi, "urllib3")].supplier == "Andrey Petrov"
    assert p[(Ecosystem.pypi, "new-style")].licenses.expression == "Apache-2.0 OR MIT"
    assert p[(Ecosystem.pypi, "legacy-thing")].licenses.expression == "GPL-2.0-or-later"
    yaml = p[(Ecosystem.pypi, "PyYAML")]
    deb = p[(Ecosystem.deb, "python3-yaml")]
    assert yaml.owner == deb.purl == "pkg:deb/debian/python3-yaml@6.0-3%2Bb2?arch=amd64&distro=debian-12"
    assert deb.source == "pyyaml" and deb.source_version == "6.0-3"
    assert deb.files == 1 and deb.files_present == 1 and deb.presence == "complete"
    assert p[(Ecosystem.pypi, "urllib3")].owner is None
    assert p[(Ecosystem.npm, "@types/node")].purl == "pkg:npm/%40types/node@20.1.0"
    assert p[(Ecosystem.npm, "express")].licenses.expression == "MIT"
    assert p[(Ecosystem.npm, "lodash")].layer == 2
    assert (
        p[(Ecosystem.maven, "org.example:inner")].found_at
        == "/opt/app/app-2.0.0.jar!/BOOT-INF/lib/inner-1.2.3.jar"
    )
    assert p[(Ecosystem.maven, "org.example:inner")].purl == "pkg:maven/org.example/inner@1.2.3"
    plain = p[(Ecosystem.maven, "org.plain:plain")]
    assert plain.licenses.expression == "Apache-2.0" and plain.layer == 3
    hello = p[(Ecosystem.golang, "example.com/hello")]
    assert hello.purl == "pkg:golang/example.com/hello@1.2.3"
    assert ("hardbake:go:version-from", "ldflags") in hello.properties
    greet = p[(Ecosystem.golang, "example.com/greet")]
    assert ("hardbake:go:replaced-by", "./greet") in greet.properties
    std = p[(Ecosystem.golang, "stdlib")]
    assert std.purl.startswith("pkg:golang/stdlib@1.") and std.found_at == "/usr/local/bin/hello"


def test_alpine_installed_db(store: BlobStore) -> None:
    db = apk_installed(
        [
            (
                "musl",
                "1.2.4_git20230717-r4",
                "MIT",
                "musl",
                {"lib": ["ld-musl-x86_64.so.1", "libc.musl-x86_64.so.1"]},
            ),
            ("busybox", "1.36.1-r15", "GPL-2.0-only", "busybox", {"bin": ["busybox"], "etc": ["securetty"]}),
            (
                "ca-certificates-bundle",
                "20240226-r0",
                "MPL-2.0 AND MIT",
                "ca-certificates",
                {"etc/ssl/certs": ["ca-certificates.crt"]},
            ),
        ]
    )
    files = {
        "etc/os-release": 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n',
        "lib/apk/db/installed": db,
        "lib/ld-musl-x86_64.so.1": Exe(b"\x7fELF" + b"\0" * 2000),
        "lib/libc.musl-x86_64.so.1": Link("ld-musl-x86_64.so.1"),
        "bin/busybox": Exe(b"\x7fELF" + b"\1" * 2000),
        "etc/ssl/certs/ca-certificates.crt": "certs",
    }
    inv = _inv(image(store, [entries(files)]))
    assert inv.os is not None and inv.os.distro == "alpine-3.19.1"
    apks = {p.name: p for p in inv.by_ecosystem(Ecosystem.apk)}
    assert set(apks) == {"musl", "busybox", "ca-certificates-bundle"}
    musl = apks["musl"]
    assert musl.purl == "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1"
    assert musl.licenses.expression == "MIT" and musl.presence == "complete" and musl.files == 2
    assert apks["busybox"].presence == "partial" and apks["busybox"].files_present == 1  # no etc/securetty
    assert apks["ca-certificates-bundle"].source == "ca-certificates"
    assert apks["ca-certificates-bundle"].licenses.expression == "MPL-2.0 AND MIT"


STATUS_A = "Package: a\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n"
STATUS_B = "Package: b\nStatus: install ok installed\nVersion: 2.0\nArchitecture: all\nSource: bsrc (2.0-1)\n"
STATUS_C = "Package: c\nStatus: deinstall ok config-files\nVersion: 3.0\nArchitecture: amd64\n"


def test_whiteouts_hide_packages(store: BlobStore) -> None:
    lower = entries(
        {
            "usr/lib/os-release": DEBIAN_OS,
            "var/lib/dpkg/status.d/gone": "Package: gone\nVersion: 1\nArchitecture: amd64\n",
            "var/lib/dpkg/status.d/gone.md5sums": "d41d8cd98f00b204e9800998ecf8427e  usr/bin/gone\n",
            "var/lib/dpkg/status.d/stays": "Package: stays\nVersion: 1\nArchitecture: amd64\n",
            "var/lib/dpkg/status": STATUS_A + "\n" + STATUS_B + "\n" + STATUS_C,
            "var/lib/dpkg/info/a.list": "/usr/bin/a\n",
            "var/lib/dpkg/info/b.list": "/usr/share/b/file\n",
            "usr/bin/a": Exe(b"a"),
            "usr/share/b/file": "b",
            **dist_info(SITE, "removed-dist", "1.0"),
            **npm_package("app/node_modules", "left-pad", "1.0.0"),
        }
    )
    upper = [
        TarEntry.whiteout("var/lib/dpkg/status.d/gone", mtime=EPOCH),
        TarEntry.whiteout("var/lib/dpkg/status.d/gone.md5sums", mtime=EPOCH),
        TarEntry.opaque(SITE, mtime=EPOCH),
        TarEntry.whiteout("app/node_modules/left-pad", mtime=EPOCH),
        # `dpkg -r b` in a later layer: status rewritten, the .list and the files removed
        TarEntry.file("var/lib/dpkg/status", STATUS_A.encode(), mtime=EPOCH),
        TarEntry.whiteout("var/lib/dpkg/info/b.list", mtime=EPOCH),
        TarEntry.whiteout("usr/share/b", mtime=EPOCH),
    ]
    img = image(store, [lower, upper])
    inv = _inv(img)
    assert {p.name for p in inv.packages} == {"stays", "a"}
    a = next(p for p in inv.packages if p.name == "a")
    assert a.layer == 0  # from its .list, not from the status file rewritten in layer 1
    assert a.found_at == "/var/lib/dpkg/status"


def test_config_files_only_packages_are_not_installed(store: BlobStore) -> None:
    img = image(store, [entries({"var/lib/dpkg/status": STATUS_A + "\n" + STATUS_C})])
    assert [p.name for p in _inv(img).packages] == ["a"]


def test_hardlinked_metadata_is_read(store: BlobStore) -> None:
    layer = entries(dist_info(SITE, "real", "1.0"))
    layer += [
        TarEntry.dir("other/site-packages/linked-2.0.dist-info", mtime=EPOCH),
        TarEntry.hardlink(
            "other/site-packages/linked-2.0.dist-info/METADATA",
            f"{SITE}/real-1.0.dist-info/METADATA",
            mtime=EPOCH,
        ),
    ]
    inv = _inv(image(store, [layer]))
    # the same METADATA under two names: both installs are reported
    assert sorted(p.found_at for p in inv.packages) == [
        f"/{SITE}/real-1.0.dist-info/METADATA",
        "/other/site-packages/linked-2.0.dist-info/METADATA",
    ]


def test_licences_through_symlinked_doc_dir(store: BlobStore) -> None:
    dep5 = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: x\nLicense: LGPL-2.1+\n"
    files = {
        "usr/lib/os-release": DEBIAN_OS,
        "etc/os-release": Link("../usr/lib/os-release"),
        "var/lib/dpkg/status.d/libfoo1": "Package: libfoo1\nVersion: 1.0-1\nArchitecture: amd64\nSource: foo\n",
        "var/lib/dpkg/status.d/foo-data": "Package: foo-data\nVersion: 1.0-1\nArchitecture: all\nSource: foo\n",
        "usr/share/doc/libfoo1/copyright": dep5,
        "usr/share/doc/foo-data": Link("libfoo1"),
    }
    inv = _inv(image(store, [entries(files)]))
    lic = {p.name: p.licenses.expression for p in inv.packages}
    assert lic == {"libfoo1": "LGPL-2.1-or-later", "foo-data": "LGPL-2.1-or-later"}
    foo = next(p for p in inv.packages if p.name == "foo-data")
    assert foo.purl == "pkg:deb/debian/foo-data@1.0-1?arch=all&distro=debian-12"
    assert foo.source == "foo" and foo.source_version == "1.0-1"


def test_old_go_binary_takes_a_second_read(store: BlobStore) -> None:
    img = image(store, [entries({"usr/bin/old": Exe(pointer_format_elf("go1.16.15", OLD_MODINFO))})])
    inv = _inv(img)
    assert {(p.name, p.version) for p in inv.packages} == {
        ("example.com/old", "v0.9.1"),
        ("golang.org/x/text", "v0.3.8"),
        ("stdlib", "1.16.15"),
    }


def test_malformed_metadata_is_a_warning(store: BlobStore) -> None:
    files = {
        f"{SITE}/broken-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nSummary: no name\n",
        "app/node_modules/bad/package.json": "{not json",
        "opt/x/bad.jar": "not a zip at all",
        **dist_info(SITE, "fine", "1.0"),
    }
    inv = _inv(image(store, [entries(files)]))
    assert [p.name for p in inv.packages] == ["fine"]
    assert len(inv.warnings) == 3
    assert any("bad.jar" in w for w in inv.warnings) and any("not JSON" in w for w in inv.warnings)


def test_inventory_json_round_trip(languages_image: Image) -> None:
    inv = _inv(languages_image)
    assert Inventory.from_json(inv.to_json()) == inv


def test_no_os_release_still_inventories(store: BlobStore) -> None:
    inv = _inv(image(store, [entries({"var/lib/dpkg/status": STATUS_A})]))
    assert inv.os is None
    (a,) = inv.packages
    assert a.purl == "pkg:deb/debian/a@1.0?arch=amd64"
