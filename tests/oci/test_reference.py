from __future__ import annotations

from pathlib import Path

import pytest

from hardbake.errors import InputError
from hardbake.oci.reference import ArchiveRef, DaemonRef, LayoutRef, RegistryRef, parse_image_ref


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("node", "docker.io/library/node:latest"),
        ("node:20-alpine", "docker.io/library/node:20-alpine"),
        ("library/node:20", "docker.io/library/node:20"),
        ("bitnami/redis:7", "docker.io/bitnami/redis:7"),
        ("index.docker.io/library/python:3.13", "docker.io/library/python:3.13"),
        ("localhost/app", "localhost/app:latest"),
        ("127.0.0.1:5000/hardbake/python:3.13", "127.0.0.1:5000/hardbake/python:3.13"),
        ("gcr.io/distroless/static-debian12:nonroot", "gcr.io/distroless/static-debian12:nonroot"),
        (
            "node@sha256:" + "a" * 64,
            "docker.io/library/node@sha256:" + "a" * 64,
        ),
        (
            "node:20@sha256:" + "b" * 64,
            "docker.io/library/node:20@sha256:" + "b" * 64,
        ),
    ],
)
def test_registry_ref_normalises_like_docker(text: str, canonical: str) -> None:
    assert RegistryRef.parse(text).canonical == canonical


def test_familiar_round_trip() -> None:
    assert RegistryRef.parse("docker.io/library/node:20").familiar == "node:20"
    assert RegistryRef.parse("127.0.0.1:5000/a/b:c").familiar == "127.0.0.1:5000/a/b:c"
    assert RegistryRef.parse("python:3.13").family == "python"


@pytest.mark.parametrize("bad", ["", "Node:20", "node:bad tag", "node@sha256:xyz", "a//b", " node"])
def test_bad_references_are_refused(bad: str) -> None:
    with pytest.raises(InputError):
        RegistryRef.parse(bad)


def test_transports() -> None:
    assert parse_image_ref("oci:out/img:3.13") == LayoutRef(Path("out/img"), "3.13")
    assert parse_image_ref("oci:out/img") == LayoutRef(Path("out/img"), None)
    assert parse_image_ref("docker-archive:x.tar") == ArchiveRef(Path("x.tar"))
    d = parse_image_ref("docker-daemon:hardbake/python:3.13")
    assert isinstance(d, DaemonRef) and d.ref.canonical == "docker.io/hardbake/python:3.13"
    assert isinstance(parse_image_ref("python:3.13"), RegistryRef)
