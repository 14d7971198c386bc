"""Digest pinning against the real engine and a real registry."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from hardbake.oci.reference import RegistryRef
from hardbake.runtime.formats.interface import OutputFormat, render
from hardbake.runtime.image import Pin, inspect_image
from hardbake.runtime.plan import build_plan
from hardbake.runtime.profile import BUILTIN
from hardbake.testing.goimage import push_hbtest

pytestmark = pytest.mark.docker


def test_a_never_pushed_image_is_pinned_by_image_id_on_this_engine_only(
    docker_engine: Any, hbtest: Any
) -> None:
    facts = inspect_image(hbtest.tag, docker_engine)
    assert facts.pin is Pin.image_id and facts.pinned == hbtest.image_id
    assert facts.portable == hbtest.tag and "never pushed" in facts.pin_note
    assert facts.user == "65532:65532" and facts.entrypoint == ("/usr/local/bin/hbtest",)
    plan = build_plan(BUILTIN["production"], facts)
    assert f"image: {hbtest.image_id}" in render(plan, OutputFormat.compose)
    k8s = render(plan, OutputFormat.k8s)
    assert f"image: {hbtest.tag}" in k8s and "cannot pull it by digest" in k8s


def test_a_pushed_image_is_pinned_by_its_manifest_digest(
    docker_engine: Any, hbtest: Any, registry: Any
) -> None:
    repo = f"{registry.host}/pin-{uuid.uuid4().hex[:8]}"
    assert (
        push_hbtest(docker_engine, registry.host, repository=repo.split("/", 1)[1], tag="v1") == f"{repo}:v1"
    )
    try:
        facts = inspect_image(f"{repo}:v1", docker_engine)
        digest = docker_engine.api.inspect_image(f"{repo}:v1")["RepoDigests"][0].split("@")[1]
        assert facts.pin is Pin.digest and facts.pinned == f"{repo}:v1@{digest}"
        # The pin is what the engine runs.
        out = docker_engine.containers.run(facts.pinned, ["exit", "0"], network_mode="none", remove=True)
        assert out == b""
        plan = build_plan(BUILTIN["max-security"], facts)
        for fmt in OutputFormat:
            assert f"{repo}:v1@{digest}" in render(plan, fmt)
    finally:
        docker_engine.images.remove(f"{repo}:v1", force=True)


class FakeRegistry:
    """The seam for the registry client: a DigestSource answering for one reference."""

    def __init__(self, digest: str) -> None:
        self.digest = digest
        self.asked: list[RegistryRef] = []

    def manifest_digest(self, ref: RegistryRef) -> str | None:
        self.asked.append(ref)
        return self.digest


def test_unknown_images_stay_unpinned_unless_a_registry_answers(docker_engine: Any) -> None:
    ref = f"registry.invalid/nothing-{uuid.uuid4().hex[:8]}:1"
    facts = inspect_image(ref, docker_engine)
    assert facts.pin is Pin.none and facts.pinned == ref and not facts.inspected
    digest = "sha256:" + "cd" * 32
    source = FakeRegistry(digest)
    facts = inspect_image(ref, docker_engine, source)
    assert facts.pin is Pin.digest and facts.pinned == f"{ref}@{digest}"
    assert [r.name for r in source.asked] == [ref.rsplit(":", 1)[0]]


def test_a_reference_with_a_digest_is_already_pinned() -> None:
    ref = "registry.example/app@sha256:" + "ef" * 32
    facts = inspect_image(ref, None)
    assert facts.pin is Pin.digest and facts.pinned == ref
