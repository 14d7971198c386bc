"""The distribution client against a real registry (Debian's docker-registry, no referrers API)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from hardbake.errors import InputError, NetworkError, VerificationError
from hardbake.oci.registry import (
    CredentialSource,
    RegistryClient,
    RegistryNotFound,
    RetryPolicy,
    digests,
    mediatypes,
)
from hardbake.oci.registry.transport import is_loopback, scheme_for
from hardbake.testing.registry import LocalRegistry
from hardbake.testing.registry_images import push_image, push_index


def _blob_file(registry: LocalRegistry, digest: str) -> Path:
    hexpart = digest.split(":", 1)[1]
    return registry.root / "data/docker/registry/v2/blobs/sha256" / hexpart[:2] / hexpart / "data"


def test_ping_and_version(client: RegistryClient) -> None:
    client.ping()


def test_monolithic_blob_roundtrip_and_exists(client: RegistryClient) -> None:
    data = os.urandom(1000)
    d = client.push_blob("t/blob", data)
    assert d.digest == digests.sha256(data)
    assert client.last_upload.sessions == 1
    assert client.blob_exists("t/blob", d.digest) == 1000
    assert client.fetch_blob("t/blob", d.digest) == data
    # a second push finds it and uploads nothing
    client.push_blob("t/blob", data)
    assert client.last_upload.bytes_sent == 0
    assert client.blob_exists("t/blob", digests.sha256(b"other")) is None


def test_chunked_upload_from_file(client: RegistryClient, tmp_path: Path) -> None:
    data = os.urandom(1_300_000)  # 5 chunks of 256 KiB + a tail
    f = tmp_path / "blob"
    f.write_bytes(data)
    seen: list[int] = []
    d = client.push_blob("t/chunked", f, digests.sha256(data), progress=lambda done, total: seen.append(done))
    assert seen[-1] == len(data) and len(seen) == 5
    assert client.last_upload.sessions == 1 and client.last_upload.bytes_sent == len(data)
    assert client.fetch_blob("t/chunked", d.digest) == data


def test_cross_repository_mount(client: RegistryClient) -> None:
    data = os.urandom(5000)
    d = client.push_blob("t/src", data)
    assert client.mount_blob("t/dst", d.digest, "t/src") is True
    assert client.blob_exists("t/dst", d.digest) == 5000
    # push_blob with mount_from uses it: no bytes sent
    data2 = os.urandom(10)
    d2 = client.push_blob("t/src", data2)
    client.push_blob("t/dst2", data2, mount_from="t/src")
    assert client.last_upload.bytes_sent == 0 and client.blob_exists("t/dst2", d2.digest) == 10


def test_manifest_put_get_head_and_tags(client: RegistryClient) -> None:
    img = push_image(client, "t/img", "v1")
    m = client.fetch_manifest("t/img", "v1")
    assert m.digest == img.digest and m.media_type == mediatypes.OCI_MANIFEST
    assert client.fetch_manifest("t/img", img.digest).data == m.data
    head = client.head_manifest("t/img", "v1")
    assert head is not None and head.digest == img.digest and head.size == len(m.data)
    assert client.head_manifest("t/img", "nope") is None
    assert client.list_tags("t/img") == ["v1"]
    with pytest.raises(RegistryNotFound):
        client.fetch_manifest("t/img", "nope")


def test_docker_media_types_and_index(client: RegistryClient) -> None:
    cfg = client.push_blob(
        "t/docker", b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    )
    manifest = {
        "schemaVersion": 2,
        "mediaType": mediatypes.DOCKER_MANIFEST,
        "config": {"mediaType": mediatypes.DOCKER_CONFIG, "digest": cfg.digest, "size": cfg.size},
        "layers": [],
    }
    data = json.dumps(manifest).encode()
    d = client.push_manifest("t/docker", data, mediatypes.DOCKER_MANIFEST, "d1")
    got = client.fetch_manifest("t/docker", "d1")
    assert got.media_type == mediatypes.DOCKER_MANIFEST and got.data == data and got.digest == d.digest
    index, images = push_index(client, "t/multi", "v1")
    m = client.fetch_manifest("t/multi", "v1")
    assert mediatypes.is_index(m.media_type) and m.digest == index.digest
    assert [x["digest"] for x in m.json()["manifests"]] == [i.digest for i in images]


def test_referrers_fallback_index_is_maintained(client: RegistryClient) -> None:
    img = push_image(client, "t/ref", "v1")
    subject = client.fetch_manifest("t/ref", "v1").descriptor
    empty = client.push_blob("t/ref", mediatypes.EMPTY_JSON)
    pushed = []
    for at in ("application/x-a", "application/x-b"):
        art = {
            "schemaVersion": 2,
            "mediaType": mediatypes.OCI_MANIFEST,
            "artifactType": at,
            "config": {"mediaType": mediatypes.OCI_EMPTY, "digest": empty.digest, "size": 2},
            "layers": [{"mediaType": mediatypes.OCI_EMPTY, "digest": empty.digest, "size": 2}],
            "subject": subject.to_json(),
            "annotations": {"k": at},
        }
        pushed.append(client.push_manifest("t/ref", json.dumps(art).encode(), mediatypes.OCI_MANIFEST))
    refs = client.referrers("t/ref", img.digest)
    assert not client.referrers_api.has_api("t/ref")  # docker-registry 2.8 has no referrers API
    assert sorted(r["digest"] for r in refs) == sorted(p.digest for p in pushed)
    assert {r["artifactType"] for r in refs} == {"application/x-a", "application/x-b"}
    assert [r["digest"] for r in client.referrers("t/ref", img.digest, "application/x-b")] == [
        pushed[1].digest
    ]
    # the fallback index is the tag schema of the spec: sha256-<hex>
    assert digests.tag_of(img.digest) in client.list_tags("t/ref")
    assert client.referrers("t/ref", digests.sha256(b"nothing refers to this")) == []


def test_tampered_blob_in_storage_is_detected(client: RegistryClient, registry: LocalRegistry) -> None:
    data = b"genuine layer bytes" * 100
    d = client.push_blob("t/tamper", data)
    _blob_file(registry, d.digest).write_bytes(b"evil" + data[4:])
    with pytest.raises(VerificationError, match="digest mismatch"):
        client.fetch_blob("t/tamper", d.digest)


def test_retries_on_5xx_and_connection_errors(registry: LocalRegistry) -> None:
    """The network edge injects two failures per request kind; the client rides through."""
    real = httpx.HTTPTransport()
    failures = {"count": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        failures["count"] += 1
        if failures["count"] % 3 == 1:
            raise httpx.ConnectError("injected", request=request)
        if failures["count"] % 3 == 2:
            return httpx.Response(503, request=request)
        return real.handle_request(request)

    sleeps: list[float] = []
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        c = RegistryClient(registry.host, http, CredentialSource(), retry=RetryPolicy(attempts=4, base=0.01))
        c.transport.sleep = sleeps.append
        data = os.urandom(100)
        d = c.push_blob("t/retry", data)
        assert c.fetch_blob("t/retry", d.digest) == data
    assert sleeps and sleeps[:2] == [0.01, 0.02]


def test_retries_are_bounded(registry: LocalRegistry) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, request=request)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        c = RegistryClient(registry.host, http, CredentialSource(), retry=RetryPolicy(attempts=3, base=0.0))
        with pytest.raises(NetworkError, match="503"):
            c.ping()


def test_scheme_policy() -> None:
    assert is_loopback("127.0.0.1:5000") and is_loopback("localhost") and is_loopback("[::1]:5000")
    assert is_loopback("127.3.2.1")
    assert not is_loopback("registry.example:5000") and not is_loopback("10.0.0.1:5000")
    assert scheme_for("127.0.0.1:5000", False) == "http"
    assert scheme_for("registry.example", False) == "https"
    assert scheme_for("registry.example", True) == "http"


def test_bad_digest_is_input_error(client: RegistryClient) -> None:
    with pytest.raises(InputError):
        client.blob_exists("t/x", "sha256:xyz")
