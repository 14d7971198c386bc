"""The ValidatingWebhookConfiguration: exclusions, caBundle, failure policy, certificate checks."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from hardbake.errors import InputError
from hardbake.policy.config import PolicyConfig
from hardbake.policy.webhook_config import webhook_configuration
from hardbake.testing.tls import make_tls_pair


def test_service_config(tmp_path: Path) -> None:
    pair = make_tls_pair(tmp_path)
    doc = webhook_configuration(pair.cert, extra_excluded=["monitoring"])
    [wh] = doc["webhooks"]
    assert doc["kind"] == "ValidatingWebhookConfiguration" and wh["admissionReviewVersions"] == ["v1"]
    assert wh["failurePolicy"] == "Fail" and wh["sideEffects"] == "None"
    svc = wh["clientConfig"]["service"]
    assert svc == {
        "namespace": "hardbake-system",
        "name": "hardbake-policy",
        "path": "/validate",
        "port": 443,
    }
    assert base64.b64decode(wh["clientConfig"]["caBundle"]) == pair.cert.read_bytes()
    [expr] = wh["namespaceSelector"]["matchExpressions"]
    assert expr["key"] == "kubernetes.io/metadata.name" and expr["operator"] == "NotIn"
    assert expr["values"] == ["hardbake-system", "kube-system", "monitoring"]
    resources = {r for rule in wh["rules"] for r in rule["resources"]}
    assert resources == {
        "pods",
        "deployments",
        "statefulsets",
        "daemonsets",
        "replicasets",
        "jobs",
        "cronjobs",
    }


def test_fail_open_and_url(tmp_path: Path) -> None:
    pair = make_tls_pair(tmp_path)
    cfg = PolicyConfig.model_validate({"webhook": {"failure_mode": "open", "namespace": "sec"}})
    doc = webhook_configuration(pair.cert, config=cfg, url="https://127.0.0.1:8443")
    [wh] = doc["webhooks"]
    assert wh["failurePolicy"] == "Ignore" and wh["clientConfig"]["url"] == "https://127.0.0.1:8443/validate"
    assert "sec" in wh["namespaceSelector"]["matchExpressions"][0]["values"]


def test_certificate_must_name_the_service(tmp_path: Path) -> None:
    pair = make_tls_pair(tmp_path, dns=("localhost",))
    with pytest.raises(InputError, match=r"hardbake-policy\.hardbake-system\.svc"):
        webhook_configuration(pair.cert)
    with pytest.raises(InputError, match="must be https"):
        webhook_configuration(pair.cert, url="http://x")
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("nope")
    with pytest.raises(InputError, match="not a PEM certificate"):
        webhook_configuration(bogus)
