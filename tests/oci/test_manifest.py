"""Manifests, indexes, descriptors, configs and canonical JSON."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardbake.oci import canonical
from hardbake.oci import mediatype as mt
from hardbake.oci.config import ContainerConfig, History, ImageConfig, rfc3339
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.digest import Digest
from hardbake.oci.errors import ImageError
from hardbake.oci.manifest import EMPTY_CONFIG, Index, Manifest
from hardbake.oci.platform import Platform

D1 = Digest.from_bytes(b"1")
D2 = Digest.from_bytes(b"2")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_is_stable_and_parses_back(value: object) -> None:
    data = canonical.dumps(value)
    assert canonical.loads(data, "x") == value
    assert canonical.dumps(json.loads(data)) == data
    # compact separators: the bytes equal the stdlib's sorted, separator-minimal encoding
    # (checking for b": " would wrongly flag strings that themselves contain ": ")
    assert data == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_canonical_json_sorts_keys_and_keeps_utf8() -> None:
    assert canonical.dumps({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(ImageError, match="duplicate key"):
        canonical.loads(b'{"a":1,"a":2}', "manifest")


def test_manifest_round_trip_with_artifact_fields() -> None:
    subject = Descriptor(mt.OCI_MANIFEST, D1, 10)
    m = Manifest(
        config=EMPTY_CONFIG,
        layers=(Descriptor("application/spdx+json", D2, 5, {"org.opencontainers.image.title": "sbom"}),),
        annotations={"a": "b"},
        subject=subject,
        artifact_type="application/spdx+json",
    )
    raw = m.to_bytes()
    assert Manifest.from_bytes(raw) == m
    assert m.is_artifact
    obj = json.loads(raw)
    assert obj["config"] == {"mediaType": mt.OCI_EMPTY, "digest": str(Digest.from_bytes(b"{}")), "size": 2}
    assert obj["subject"]["digest"] == str(D1)


def test_docker_v2_manifests_and_lists_parse() -> None:
    raw = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": mt.DOCKER_MANIFEST,
            "config": {"mediaType": mt.DOCKER_CONFIG, "digest": str(D1), "size": 3},
            "layers": [{"mediaType": mt.DOCKER_LAYER_GZIP, "digest": str(D2), "size": 9}],
        }
    ).encode()
    m = Manifest.from_bytes(raw)
    assert m.media_type == mt.DOCKER_MANIFEST and not m.is_artifact
    lst = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": mt.DOCKER_MANIFEST_LIST,
            "manifests": [
                {
                    "mediaType": mt.DOCKER_MANIFEST,
                    "digest": str(D1),
                    "size": 1,
                    "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"},
                }
            ],
        }
    ).encode()
    idx = Index.from_bytes(lst)
    assert idx.manifests[0].platform == Platform("linux", "arm64", "v8")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b'{"schemaVersion":1,"fsLayers":[]}', "schema 1"),
        (
            b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}',
            "not an image",
        ),
        (b'{"schemaVersion":2,"layers":[]}', "no config"),
        (b"[1]", "expected a JSON object"),
        (b"{", "not valid JSON"),
        (
            b'{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"sha256:zz","size":1},"layers":[]}',
            "invalid digest",
        ),
        (
            b'{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"sha256:'
            + b"a" * 64
            + b'"},"layers":[]}',
            "no integer size",
        ),
    ],
)
def test_malformed_manifests_are_image_errors(raw: bytes, says: str) -> None:
    with pytest.raises(ImageError, match=says):
        Manifest.from_bytes(raw, "test manifest")


def test_index_refuses_a_manifest() -> None:
    raw = Manifest(config=EMPTY_CONFIG).to_bytes()
    with pytest.raises(ImageError, match="not an image index"):
        Index.from_bytes(raw)


def test_descriptor_hash_and_annotations() -> None:
    d = Descriptor(mt.OCI_MANIFEST, D1, 1)
    tagged = d.with_annotations({mt.REF_NAME: "v1"})
    assert tagged.ref_name == "v1" and d.ref_name is None
    assert hash(d) == hash(tagged) and d != tagged
    with pytest.raises(ImageError, match="invalid media type"):
        Descriptor("not a type", D1, 1)
    with pytest.raises(ImageError, match="non-negative"):
        Descriptor(mt.OCI_MANIFEST, D1, -1)


def test_config_round_trip_keeps_unknown_fields() -> None:
    raw = json.dumps(
        {
            "architecture": "arm",
            "os": "linux",
            "variant": "v7",
            "created": "2024-01-01T00:00:00Z",
            "config": {
                "User": "65532",
                "Env": ["PATH=/usr/bin", "A=b=c"],
                "Cmd": ["python3"],
                "ExposedPorts": {"8080/tcp": {}},
                "Labels": {"x": "y"},
                "Volumes": {"/data": {}},
                "StopSignal": "SIGTERM",
                "Healthcheck": {"Test": ["NONE"]},
            },
            "rootfs": {"type": "layers", "diff_ids": [str(D1)]},
            "history": [{"created_by": "x"}],
            "container_config": {"Hostname": "abc"},
        }
    ).encode()
    c = ImageConfig.from_bytes(raw)
    assert c.platform == Platform("linux", "arm", "v7")
    assert c.config.env_map() == {"PATH": "/usr/bin", "A": "b=c"}
    assert c.config.extra == {"Healthcheck": {"Test": ["NONE"]}}
    assert c.extra == {"container_config": {"Hostname": "abc"}}
    assert json.loads(c.to_bytes()) == json.loads(raw)
    assert ImageConfig.from_bytes(c.to_bytes()) == c


def test_config_helpers() -> None:
    c = ImageConfig.for_platform(Platform.from_debian("arm64"), created=rfc3339(0))
    assert c.created == "1970-01-01T00:00:00Z" and c.variant == "v8"
    c2 = c.with_layer(D1, History(created_by="layer"))
    assert c2.diff_ids == (D1,) and c.diff_ids == ()
    cc = ContainerConfig(env=("PATH=/bin",)).with_env(PATH="/usr/bin", LANG="C.UTF-8")
    assert cc.env == ("PATH=/usr/bin", "LANG=C.UTF-8")
    assert json.loads(ImageConfig.for_platform(Platform("linux", "amd64")).to_bytes()) == {
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": []},
    }


@pytest.mark.parametrize(
    "obj",
    [
        {"os": "linux", "rootfs": {"type": "layers", "diff_ids": []}},
        {"architecture": "amd64", "os": "linux"},
        {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": ["md5:x"]}},
        {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers"}, "config": {"Env": "A=b"}},
    ],
)
def test_bad_configs_are_image_errors(obj: dict[str, object]) -> None:
    with pytest.raises(ImageError):
        ImageConfig.from_bytes(json.dumps(obj).encode())
