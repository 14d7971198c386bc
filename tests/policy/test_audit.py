"""The adoption audit, from `kubectl get pods -A -o json` and from a live API server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from hardbake.errors import EnvError
from hardbake.policy.audit import audit_pods, fetch_pods, pods_from_json
from hardbake.policy.check import build_policy
from hardbake.policy.config import PolicyConfig

D = "@sha256:" + "b" * 64


def pod(ns: str, name: str, *images: str, secure: bool = False) -> dict[str, Any]:
    sc = (
        {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        if secure
        else {}
    )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "containers": [
                {
                    "name": f"c{i}",
                    "image": img,
                    "securityContext": sc,
                    "resources": {"limits": {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi"}},
                    "livenessProbe": {"exec": {"command": ["true"]}},
                    "readinessProbe": {"exec": {"command": ["true"]}},
                }
                for i, img in enumerate(images)
            ]
        },
        "status": {"phase": "Running"},
    }


PODS = [
    pod("production", "api", "hardbake/python:3.13" + D, secure=True),
    pod("production", "web", "hardbake/nginx:1.27" + D, "docker.io/library/nginx:1.27", secure=True),
    pod("staging", "api", "python:3.12"),
    pod("staging", "worker", "index.docker.io/hardbake/python:3.13" + D),
]


def test_adoption_per_namespace_and_top_violations() -> None:
    report = audit_pods(PODS, build_policy())
    by = {n.namespace: n for n in report.namespaces}
    assert (by["production"].hardened, by["production"].other) == (2, 1)
    assert (by["staging"].hardened, by["staging"].other) == (1, 1)  # index.docker.io is docker.io
    assert report.hardened == 3 and report.other == 2 and round(report.adoption, 1) == 60.0
    assert by["production"].compliant_pods == 1 and by["staging"].compliant_pods == 0
    top = dict(report.top)
    assert top["HB-PRIV-001"] == 2 and top["HB-IMG-001"] == 2
    md = report.to_markdown()
    assert "| production | production | 2 | 1 | 2 | 1 | 66.7% |" in md
    doc = report.to_json()
    assert doc["adoption_rate"] == 60.0 and doc["namespaces"][0]["namespace"] == "production"


def test_namespace_profiles_and_filter() -> None:
    cfg = PolicyConfig.model_validate({"namespaces": {"staging": "dev"}})
    report = audit_pods(PODS, build_policy(cfg), namespaces=["stag*"])
    [ns] = report.namespaces
    assert ns.namespace == "staging" and ns.profile == "dev" and ns.compliant_pods == 2


def test_reads_kubectl_json() -> None:
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": PODS, "metadata": {}})
    assert len(pods_from_json(text)) == 4
    assert len(pods_from_json(json.dumps(PODS[0]))) == 1


class _FakeApiServer(BaseHTTPRequestHandler):
    """The one endpoint the audit calls, with pagination (limit/continue) as the API server does."""

    pods: ClassVar[list[dict[str, Any]]] = []
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        url = urlparse(self.path)
        type(self).seen.append(self.path)
        if url.path != "/api/v1/pods":
            self.send_error(404)
            return
        q = parse_qs(url.query)
        limit = int(q.get("limit", ["500"])[0])
        start = int(q.get("continue", ["0"])[0])
        items = self.pods[start : start + limit]
        cont = str(start + limit) if start + limit < len(self.pods) else ""
        body = json.dumps(
            {
                "kind": "PodList",
                "apiVersion": "v1",
                "metadata": {"continue": cont},
                "items": [{k: v for k, v in p.items() if k not in ("kind", "apiVersion")} for p in items],
            }
        )
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *a: Any) -> None:
        pass


@pytest.fixture()
def api_server(tmp_path: Path) -> Iterator[Path]:
    _FakeApiServer.pods = PODS
    _FakeApiServer.seen = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _FakeApiServer)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "test",
                "clusters": [
                    {"name": "c", "cluster": {"server": f"http://127.0.0.1:{srv.server_address[1]}"}}
                ],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "test", "context": {"cluster": "c", "user": "u"}}],
            }
        )
    )
    yield kubeconfig
    srv.shutdown()


def test_live_cluster_through_the_kubernetes_client(api_server: Path) -> None:
    pods = fetch_pods(api_server, page=3)
    assert [p["metadata"]["name"] for p in pods] == ["api", "web", "api", "worker"]
    assert len(_FakeApiServer.seen) == 2 and "continue=3" in _FakeApiServer.seen[1]
    assert audit_pods(pods, build_policy()).hardened == 3


def test_unreachable_cluster_is_an_environment_error(tmp_path: Path) -> None:
    with pytest.raises(EnvError):
        fetch_pods(tmp_path / "missing-kubeconfig")
