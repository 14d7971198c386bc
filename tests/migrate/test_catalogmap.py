"""Reference -> hardened equivalent, with the confidence of the match."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardbake.errors import InputError
from hardbake.migrate.catalogmap import Mapper
from hardbake.migrate.model import Confidence
from hardbake.spec.catalog import CatalogEntry, entries

EXACT, FAMILY, SUGGESTION, NONE = Confidence.exact, Confidence.family, Confidence.suggestion, Confidence.none

TABLE = [
    # reference, confidence, runtime, dev
    ("node:20", EXACT, "hardbake/node:20", "hardbake/node:20-dev"),
    ("node", FAMILY, "hardbake/node:20", "hardbake/node:20-dev"),
    ("node:22", FAMILY, "hardbake/node:20", "hardbake/node:20-dev"),
    ("node:22-alpine", FAMILY, "hardbake/node:20", "hardbake/node:20-dev"),
    ("node:20.11.1-bookworm-slim", EXACT, "hardbake/node:20", "hardbake/node:20-dev"),
    ("node:18-bookworm", EXACT, "hardbake/node:18-debian12", "hardbake/node:18-debian12-dev"),
    ("node:iron-alpine", EXACT, "hardbake/node:20", "hardbake/node:20-dev"),
    ("node:lts", FAMILY, "hardbake/node:20", "hardbake/node:20-dev"),
    ("docker.io/library/node:18", EXACT, "hardbake/node:18", "hardbake/node:18-dev"),
    ("index.docker.io/library/node:18", EXACT, "hardbake/node:18", "hardbake/node:18-dev"),
    ("python:3.12-slim", FAMILY, "hardbake/python:3.13", "hardbake/python:3.13-dev"),
    ("python:3.10", FAMILY, "hardbake/python:3.11", "hardbake/python:3.11-dev"),
    ("python:3.14", FAMILY, "hardbake/python:3.13", "hardbake/python:3.13-dev"),
    ("python:3", EXACT, "hardbake/python:3.13", "hardbake/python:3.13-dev"),
    (
        "python:3.11-slim-bookworm",
        EXACT,
        "hardbake/python:3.11-debian12",
        "hardbake/python:3.11-debian12-dev",
    ),
    ("python:3.13.1-alpine3.20", EXACT, "hardbake/python:3.13", "hardbake/python:3.13-dev"),
    ("openjdk:17-jdk-slim", EXACT, "hardbake/java:17", "hardbake/java:17-dev"),
    ("openjdk:11", FAMILY, "hardbake/java:17", "hardbake/java:17-dev"),
    ("eclipse-temurin:21-jre-jammy", EXACT, "hardbake/java:21", "hardbake/java:21-dev"),
    ("eclipse-temurin:17.0.9_9-jdk", EXACT, "hardbake/java:17", "hardbake/java:17-dev"),
    ("amazoncorretto:17-al2023-headless", EXACT, "hardbake/java:17", "hardbake/java:17-dev"),
    ("nginx:1.25-alpine", FAMILY, "hardbake/nginx:debian13", "hardbake/nginx:debian13-dev"),
    ("nginx:bookworm", EXACT, "hardbake/nginx:debian12", "hardbake/nginx:debian12-dev"),
    ("httpd:2.4", FAMILY, "hardbake/httpd:debian13", "hardbake/httpd:debian13-dev"),
    ("postgres:15", EXACT, "hardbake/postgres:15", "hardbake/postgres:15-dev"),
    ("postgres:15.6-alpine", EXACT, "hardbake/postgres:15", "hardbake/postgres:15-dev"),
    ("postgres:16", SUGGESTION, "hardbake/postgres:17", "hardbake/postgres:17-dev"),
    ("postgres", SUGGESTION, "hardbake/postgres:17", "hardbake/postgres:17-dev"),
    ("mariadb:10.11", EXACT, "hardbake/mariadb:10.11", "hardbake/mariadb:10.11-dev"),
    ("mariadb:11", EXACT, "hardbake/mariadb:11.8", "hardbake/mariadb:11.8-dev"),
    ("mariadb:10.6", SUGGESTION, "hardbake/mariadb:10.11", "hardbake/mariadb:10.11-dev"),
    ("mysql:8.0", SUGGESTION, "hardbake/mariadb:11.8", "hardbake/mariadb:11.8-dev"),
    ("mysql", SUGGESTION, "hardbake/mariadb:11.8", "hardbake/mariadb:11.8-dev"),
    ("redis:7", SUGGESTION, "hardbake/redis:debian13", "hardbake/redis:debian13-dev"),
    ("debian:12", EXACT, "hardbake/cc:debian12", "hardbake/cc:debian12-dev"),
    ("debian:bookworm-20240110-slim", EXACT, "hardbake/cc:debian12", "hardbake/cc:debian12-dev"),
    ("debian:trixie-slim", EXACT, "hardbake/cc:debian13", "hardbake/cc:debian13-dev"),
    ("debian:bullseye", FAMILY, "hardbake/cc:debian13", "hardbake/cc:debian13-dev"),
    ("debian", FAMILY, "hardbake/cc:debian13", "hardbake/cc:debian13-dev"),
    ("ubuntu:24.04", FAMILY, "hardbake/cc:debian13", "hardbake/cc:debian13-dev"),
    ("alpine:3.19", FAMILY, "hardbake/cc:debian13", "hardbake/cc:debian13-dev"),
    ("gcr.io/distroless/static-debian12", EXACT, "hardbake/static:debian12", "hardbake/static:debian12-dev"),
    (
        "gcr.io/distroless/static-debian12:nonroot",
        EXACT,
        "hardbake/static:debian12",
        "hardbake/static:debian12-dev",
    ),
    ("gcr.io/distroless/base-debian13", EXACT, "hardbake/base:debian13", "hardbake/base:debian13-dev"),
    (
        "gcr.io/distroless/base-nossl-debian12:debug",
        EXACT,
        "hardbake/base:debian12",
        "hardbake/base:debian12-dev",
    ),
    ("gcr.io/distroless/cc-debian12", EXACT, "hardbake/cc:debian12", "hardbake/cc:debian12-dev"),
    ("gcr.io/distroless/static", FAMILY, "hardbake/static:debian13", "hardbake/static:debian13-dev"),
    (
        "gcr.io/distroless/python3-debian12",
        EXACT,
        "hardbake/python:3.11-debian12",
        "hardbake/python:3.11-debian12-dev",
    ),
    (
        "gcr.io/distroless/java17-debian12",
        EXACT,
        "hardbake/java:17-debian12",
        "hardbake/java:17-debian12-dev",
    ),
    ("gcr.io/distroless/nodejs20-debian12", EXACT, "hardbake/node:20", "hardbake/node:20-dev"),
    ("golang:1.22", NONE, None, None),
    ("bitnami/node:20", NONE, None, None),
    ("ghcr.io/acme/node:20", NONE, None, None),
    ("gcr.io/distroless/unknown-debian12", NONE, None, None),
    ("python:3.12-windowsservercore-ltsc2022", NONE, None, None),
]


@pytest.mark.parametrize(("ref", "confidence", "runtime", "dev"), TABLE)
def test_mapping(
    mapper: Mapper, ref: str, confidence: Confidence, runtime: str | None, dev: str | None
) -> None:
    _, m = mapper.match_text(ref)
    assert (m.confidence, m.runtime, m.dev) == (confidence, runtime, dev), m.note


def test_notes_say_what_was_chosen(mapper: Mapper) -> None:
    assert "nearest offered: 20 (offered: 18, 20)" in mapper.match_text("node:22")[1].note
    assert "nearest offered: 3.13 (offered: 3.11, 3.13)" in mapper.match_text("python:3.12-slim")[1].note
    assert "mysql -> mariadb" in mapper.match_text("mysql:8.0")[1].note
    assert "digest pin is dropped" in mapper.match_text("node:20@sha256:" + "a" * 64)[1].note
    assert "Alpine" in mapper.match_text("node:20-alpine")[1].note
    assert "upgrade its data directory" in mapper.match_text("postgres:16")[1].note
    assert mapper.match_text("node:20")[1].note == ""


def test_normalised_reference(mapper: Mapper) -> None:
    assert mapper.match_text("node")[0] == "docker.io/library/node:latest"
    assert (
        mapper.match_text("python:3.12@sha256:" + "b" * 64)[0]
        == "docker.io/library/python:3.12@sha256:" + "b" * 64
    )


def test_registry_prefix(catalog: list[CatalogEntry]) -> None:
    m = Mapper(catalog, "registry.example.com:5000/hardened/")
    _, match = m.match_text("node:20")
    assert (match.runtime, match.dev) == (
        "registry.example.com:5000/hardened/node:20",
        "registry.example.com:5000/hardened/node:20-dev",
    )
    assert m.match_text("registry.example.com:5000/hardened/python:3.13")[1].confidence is Confidence.hardened
    assert m.match_text("hardbake/python:3.13")[1].confidence is Confidence.none  # another prefix: not ours
    with pytest.raises(InputError, match="not a registry prefix"):
        Mapper(catalog, "UPPER CASE")


def test_default_prefix_recognises_its_images(mapper: Mapper) -> None:
    for ref in ("hardbake/node:20", "docker.io/hardbake/python:3.13-dev", "hardbake/base:debian12"):
        assert mapper.match_text(ref)[1].confidence is Confidence.hardened


def test_unresolved_and_invalid(mapper: Mapper) -> None:
    assert mapper.match_text(None) == (None, mapper.match_text(None)[1])
    assert mapper.match_text(None)[1].confidence is Confidence.none
    ref, m = mapper.match_text("Node:20")
    assert ref is None and m.confidence is Confidence.none and "invalid image reference" in m.note


def test_empty_catalog_offers_nothing() -> None:
    _, m = Mapper([]).match_text("node:20")
    assert m.confidence is Confidence.none and "no node image" in m.note


def test_a_family_without_dev_variant(tmp_path: Path, catalog_factory) -> None:  # type: ignore[no-untyped-def]
    only_runtime = [e for e in catalog_factory(tmp_path) if e.variant == "runtime"]
    _, m = Mapper(only_runtime).match_text("node:20")
    assert m.runtime == "hardbake/node:20" and m.dev is None


def test_fixture_tags_match_the_catalog_loader(catalog: list[CatalogEntry], catalog_dir: Path) -> None:
    """The test catalog uses the same tag scheme as hardbake.spec.catalog.entries()."""
    loaded = {(e.family, e.version, e.distro, e.variant): set(e.tags) for e in entries(catalog_dir)}
    made = {(e.family, e.version, e.distro, e.variant): set(e.tags) for e in catalog}
    assert loaded.keys() == made.keys()
    for key in made:
        assert made[key] <= loaded[key], key  # entries() adds `latest` to the newest version


@given(st.from_regex(r"[a-z0-9]{1,8}(/[a-z0-9]{1,8})?(:[A-Za-z0-9._-]{1,20})?", fullmatch=True))
def test_never_raises(mapper: Mapper, text: str) -> None:
    _, m = mapper.match_text(text)
    assert m.confidence in Confidence
    if m.runtime:
        assert m.runtime.startswith("hardbake/")
