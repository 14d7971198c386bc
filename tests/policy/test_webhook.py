"""The admission webhook over real HTTPS on 127.0.0.1, with real and fuzzed AdmissionReview bodies."""

from __future__ import annotations

import json
import ssl
import uuid
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardbake.policy.admission import WARNING_MAX, WARNINGS_TOTAL, fit_warnings
from hardbake.policy.check import build_policy
from hardbake.policy.engine import Policy
from hardbake.policy.webhook import create_app
from hardbake.testing.tls import TlsPair

from .conftest import Served, serve_in_thread

GOOD_POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "ok", "namespace": "shop"},
    "spec": {
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": "app",
                "image": "hardbake/python:3.13@sha256:" + "a" * 64,
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                },
                "resources": {"limits": {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi"}},
                "livenessProbe": {"tcpSocket": {"port": 8080}},
                "readinessProbe": {"tcpSocket": {"port": 8080}},
            }
        ],
    },
}


def review(
    obj: dict[str, Any] | None, *, ns: str = "shop", op: str = "CREATE", uid: str | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid or str(uuid.uuid4()),
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": ns,
            "operation": op,
            "userInfo": {"username": "test"},
            "object": obj,
            "oldObject": None,
            "dryRun": False,
        },
    }


def post(w: Served, body: Any, raw: bytes | None = None) -> httpx.Response:
    with httpx.Client(verify=ssl.create_default_context(cafile=str(w.cert)), timeout=10) as c:
        if raw is not None:
            return c.post(f"{w.url}/validate", content=raw, headers={"content-type": "application/json"})
        return c.post(f"{w.url}/validate", json=body)


def test_allows_a_hardened_pod_and_echoes_uid(webhook: Served) -> None:
    r = post(webhook, review(GOOD_POD, uid="1234-abcd"))
    assert r.status_code == 200
    doc = r.json()
    assert doc["apiVersion"] == "admission.k8s.io/v1" and doc["kind"] == "AdmissionReview"
    assert doc["response"]["uid"] == "1234-abcd" and doc["response"]["allowed"] is True
    assert "status" not in doc["response"]


def test_denies_with_403_and_messages(webhook: Served) -> None:
    pod = json.loads(json.dumps(GOOD_POD))
    pod["spec"]["containers"][0]["securityContext"]["privileged"] = True
    pod["spec"]["containers"][0]["image"] = "nginx"
    r = post(webhook, review(pod)).json()["response"]
    assert r["allowed"] is False and r["status"]["code"] == 403
    msg = r["status"]["message"]
    assert "HB-PRIV-004" in msg and "HB-IMG-001" in msg and "fix:" in msg and "production" in msg
    # non-blocking findings come back as warnings, short
    assert any("HB-IMG-002" in w for w in r["warnings"])
    assert all(len(w.encode()) <= WARNING_MAX for w in r["warnings"])


def test_namespace_profile_and_exclusions(webhook: Served) -> None:
    pod = json.loads(json.dumps(GOOD_POD))
    pod["spec"]["containers"][0]["image"] = "nginx:1.27"
    assert post(webhook, review(pod, ns="shop")).json()["response"]["allowed"] is False
    dev = post(webhook, review(pod, ns="dev-team")).json()["response"]
    assert dev["allowed"] is True  # dev profile: a non-hardened image is information only
    for ns in ("kube-system", "hardbake-system"):  # never lock out the cluster's repair paths
        assert post(webhook, review(pod, ns=ns)).json()["response"]["allowed"] is True


def test_deployment_and_delete(webhook: Served) -> None:
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"template": {"spec": GOOD_POD["spec"]}},
    }
    body = review(dep)
    body["request"]["kind"] = {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert post(webhook, body).json()["response"]["allowed"] is True
    assert post(webhook, review(None, op="DELETE")).json()["response"]["allowed"] is True


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[]",
        b'{"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview"}',
        b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}',
        b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": 5}}',
        b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", '
        b'"request": {"uid": "u", "object": 1}}',
        b"\xff\xfe",
    ],
)
def test_malformed_is_400_and_server_lives_on(webhook: Served, raw: bytes) -> None:
    assert post(webhook, None, raw=raw).status_code == 400
    assert post(webhook, review(GOOD_POD)).status_code == 200


def test_healthz_and_metrics(webhook: Served) -> None:
    post(webhook, review(GOOD_POD))
    post(webhook, None, raw=b"x")
    with httpx.Client(verify=ssl.create_default_context(cafile=str(webhook.cert))) as c:
        assert c.get(f"{webhook.url}/healthz").text == "ok\n"
        metrics = c.get(f"{webhook.url}/metrics").text
    assert 'hardbake_admission_requests_total{decision="allowed"} 1.0' in metrics
    assert 'hardbake_admission_requests_total{decision="malformed"} 1.0' in metrics
    assert "hardbake_admission_duration_seconds_bucket" in metrics


class _Broken(Policy):
    def evaluate(self, *a: Any, **k: Any) -> Any:
        raise RuntimeError("boom")


@pytest.mark.parametrize(("mode", "allowed"), [("closed", False), ("open", True)])
def test_internal_error_follows_failure_mode(tls_pair: TlsPair, mode: str, allowed: bool) -> None:
    pol = _Broken(build_policy().config)
    for served in serve_in_thread(create_app(pol, failure_mode=mode), tls_pair):
        r = post(served, review(GOOD_POD, uid="u-1"))
        assert r.status_code == 200
        resp = r.json()["response"]
        assert resp["uid"] == "u-1" and resp["allowed"] is allowed
        if allowed:
            assert "fails open" in resp["warnings"][0]
        else:
            assert resp["status"]["code"] == 500 and "fails closed" in resp["status"]["message"]


def test_warnings_fit_the_api_server_limits() -> None:
    lines = [f"[low] HB-X-{i} " + "x" * 400 for i in range(40)]
    got = fit_warnings(lines)
    assert all(len(w.encode()) <= WARNING_MAX for w in got)
    assert sum(len(w.encode()) for w in got) <= WARNINGS_TOTAL
    assert got[-1].endswith("run `hardbake policy check` on the manifest") and got[-1].startswith(
        str(40 - len(got) + 1)
    )
    assert fit_warnings(["a", "b"]) == ("a", "b")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda ch: st.lists(ch, max_size=4) | st.dictionaries(st.text(max_size=8), ch, max_size=4),
    max_leaves=20,
)
container = st.fixed_dictionaries(
    {"name": st.text(max_size=5), "image": st.text(max_size=30)},
    optional={
        "securityContext": st.dictionaries(
            st.sampled_from(
                ["runAsUser", "privileged", "capabilities", "allowPrivilegeEscalation", "seccompProfile"]
            ),
            json_values,
        ),
        "resources": json_values,
        "volumeMounts": json_values,
    },
)
pod_objects = st.fixed_dictionaries(
    {"kind": st.sampled_from(["Pod", "Deployment", "CronJob", "Weird"])},
    optional={
        "metadata": json_values,
        "spec": st.fixed_dictionaries(
            {},
            optional={
                "containers": st.lists(container | json_values, max_size=3),
                "template": json_values,
                "securityContext": json_values,
                "volumes": json_values,
                "hostNetwork": json_values,
            },
        ),
    },
)
bodies = st.one_of(
    json_values,
    st.builds(
        lambda o, ns, op: review(o, ns=ns, op=op),
        pod_objects | json_values,
        st.text(max_size=10),
        st.sampled_from(["CREATE", "UPDATE", "DELETE", "CONNECT"]),
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_fuzzed_bodies_never_crash(webhook: Served, body: Any) -> None:
    r = post(webhook, body)
    assert r.status_code in (200, 400), r.text
    if r.status_code == 200:
        resp = r.json()["response"]
        assert resp["uid"] == body["request"]["uid"]
        assert isinstance(resp["allowed"], bool)
        # an evaluation error would show as code 500 (fail closed): fuzzed objects must not cause one
        assert resp.get("status", {}).get("code") in (None, 403), resp


def test_article_rego_policy_through_the_webhook(tls_pair: TlsPair, tmp_path: Any) -> None:
    from hardbake.policy.rego import RegoPolicies

    rego = RegoPolicies(
        {
            "article.rego": """package container.security
deny contains msg if {
    input.kind == "Deployment"
    input.metadata.namespace == "production"
    container := input.spec.template.spec.containers[_]
    not startswith(container.image, "docker.io/docker/")
    msg := "Production containers must use Docker Hardened Images"
}
"""
        }
    )
    spec = json.loads(json.dumps(GOOD_POD["spec"]))
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},  # no namespace in the object
        "spec": {"template": {"spec": spec}},
    }
    for served in serve_in_thread(create_app(build_policy(rego=rego)), tls_pair):
        denied = post(served, review(dep, ns="production")).json()["response"]
        allowed = post(served, review(dep, ns="shop")).json()["response"]
    assert (
        denied["allowed"] is False
        and "Production containers must use Docker Hardened Images" in denied["status"]["message"]
    )
    assert allowed["allowed"] is True
