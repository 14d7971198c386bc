"""The referrers API branch: the network edge adds what a distribution-1.1 registry would
(`OCI-Subject` on PUT, `GET /v2/<name>/referrers/<digest>`) in front of docker-registry."""

from __future__ import annotations

import json
import re

import httpx

from hardbake.oci.registry import CredentialSource, RegistryClient, digests, mediatypes
from hardbake.testing.registry import LocalRegistry
from hardbake.testing.registry_images import push_image

_REFERRERS = re.compile(r"^/v2/(.+)/referrers/(sha256:[a-f0-9]{64})$")


def test_referrers_api_is_used_when_present(registry: LocalRegistry) -> None:
    real = httpx.HTTPTransport()
    index: dict[str, list[dict[str, object]]] = {}
    api_calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        m = _REFERRERS.match(request.url.path)
        if request.method == "GET" and m:
            api_calls.append(m.group(2))
            body = json.dumps(
                {
                    "schemaVersion": 2,
                    "mediaType": mediatypes.OCI_INDEX,
                    "manifests": index.get(m.group(2), []),
                }
            ).encode()
            return httpx.Response(
                200, headers={"Content-Type": mediatypes.OCI_INDEX}, content=body, request=request
            )
        resp = real.handle_request(request)
        if request.method == "PUT" and "/manifests/" in request.url.path:
            doc = json.loads(request.content)
            if "subject" in doc:
                resp.read()
                desc = {
                    "mediaType": doc["mediaType"],
                    "digest": digests.sha256(request.content),
                    "size": len(request.content),
                    "artifactType": doc.get("artifactType"),
                }
                index.setdefault(doc["subject"]["digest"], []).append(desc)
                headers = {**resp.headers, "OCI-Subject": doc["subject"]["digest"]}
                return httpx.Response(
                    resp.status_code, headers=headers, content=resp.content, request=request
                )
        return resp

    with httpx.Client(transport=httpx.MockTransport(handler), timeout=30) as http:
        c = RegistryClient(registry.host, http, CredentialSource())
        img = push_image(c, "api/app", "v1")
        empty = c.push_blob("api/app", mediatypes.EMPTY_JSON)
        art = {
            "schemaVersion": 2,
            "mediaType": mediatypes.OCI_MANIFEST,
            "artifactType": "application/x-sig",
            "config": {"mediaType": mediatypes.OCI_EMPTY, "digest": empty.digest, "size": 2},
            "layers": [{"mediaType": mediatypes.OCI_EMPTY, "digest": empty.digest, "size": 2}],
            "subject": {"mediaType": mediatypes.OCI_MANIFEST, "digest": img.digest, "size": 1},
        }
        pushed = c.push_manifest("api/app", json.dumps(art).encode(), mediatypes.OCI_MANIFEST)
        # the registry answered OCI-Subject: no fallback index tag was written
        assert digests.tag_of(img.digest) not in c.list_tags("api/app")
        assert [r["digest"] for r in c.referrers("api/app", img.digest)] == [pushed.digest]
        assert c.referrers_api.has_api("api/app") and api_calls == [img.digest]
        # the server applied no filter (no OCI-Filters-Applied): the client filters
        assert c.referrers("api/app", img.digest, "application/x-other") == []
