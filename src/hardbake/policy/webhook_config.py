"""The ValidatingWebhookConfiguration that points the API server at `hardbake policy serve`.

kube-system and the webhook's own namespace are excluded through a namespaceSelector on the
`kubernetes.io/metadata.name` label (set by the API server on every namespace since 1.22),
so a fail-closed webhook that is down cannot stop the cluster, or the webhook itself, from
being repaired. The caBundle is the PEM of the CA that signed the serving certificate (the
certificate itself when it is self-signed); the certificate must name the service's DNS name.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from hardbake.errors import InputError
from hardbake.policy.config import PolicyConfig

RULES: list[dict[str, Any]] = [
    {
        "apiGroups": [""],
        "apiVersions": ["v1"],
        "operations": ["CREATE", "UPDATE"],
        "resources": ["pods"],
        "scope": "Namespaced",
    },
    {
        "apiGroups": ["apps"],
        "apiVersions": ["v1"],
        "operations": ["CREATE", "UPDATE"],
        "resources": ["deployments", "statefulsets", "daemonsets", "replicasets"],
        "scope": "Namespaced",
    },
    {
        "apiGroups": ["batch"],
        "apiVersions": ["v1"],
        "operations": ["CREATE", "UPDATE"],
        "resources": ["jobs", "cronjobs"],
        "scope": "Namespaced",
    },
]


def _load_cert(path: Path) -> tuple[bytes, x509.Certificate]:
    try:
        pem = Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"cannot read certificate {path}: {e.strerror}") from e
    try:
        return pem, x509.load_pem_x509_certificate(pem)
    except ValueError as e:
        raise InputError(
            f"{path} is not a PEM certificate", hint="pass the PEM file `policy serve` uses"
        ) from e


def _dns_names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    except x509.ExtensionNotFound:
        return []
    if not isinstance(san, x509.SubjectAlternativeName):
        return []
    return [str(n) for n in san.get_values_for_type(x509.DNSName)]


def webhook_configuration(
    cert_file: Path,
    *,
    config: PolicyConfig | None = None,
    ca_file: Path | None = None,
    url: str | None = None,
    name: str = "hardbake-policy",
    namespace: str | None = None,
    service: str | None = None,
    port: int = 443,
    extra_excluded: list[str] | None = None,
) -> dict[str, Any]:
    cfg = config or PolicyConfig()
    wh = cfg.webhook
    ns = namespace or wh.namespace
    svc = service or wh.service
    _, cert = _load_cert(cert_file)
    ca_pem, _ = _load_cert(ca_file) if ca_file else _load_cert(cert_file)
    if ca_file is None and cert.issuer != cert.subject:
        raise InputError(
            f"{cert_file} is not self-signed, so it cannot be its own caBundle",
            hint="pass --ca-file with the CA certificate that signed it",
        )
    names = _dns_names(cert)
    if url is None:
        want = f"{svc}.{ns}.svc"
        if want not in names:
            raise InputError(
                f"{cert_file} does not name {want} (its DNS names: {', '.join(names) or 'none'}): "
                "the API server "
                "would refuse the TLS connection, and a fail-closed webhook would then block every workload",
                hint=f"issue the serving certificate with DNS name {want}",
            )
        client: dict[str, Any] = {
            "service": {"namespace": ns, "name": svc, "path": "/validate", "port": port}
        }
    else:
        if not url.startswith("https://"):
            raise InputError(
                f"webhook url {url!r} must be https://", hint="the API server calls webhooks over TLS"
            )
        client = {"url": url.rstrip("/") + "/validate"}
    client["caBundle"] = base64.b64encode(ca_pem).decode()
    excluded = sorted({*wh.exclude_namespaces, ns, *(extra_excluded or [])})
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/name": "hardbake-policy"}},
        "webhooks": [
            {
                "name": "policy.hardbake.dev",
                "admissionReviewVersions": ["v1"],
                "sideEffects": "None",
                "failurePolicy": "Fail" if wh.failure_mode == "closed" else "Ignore",
                "matchPolicy": "Equivalent",
                "timeoutSeconds": wh.timeout_seconds,
                "clientConfig": client,
                "rules": RULES,
                "namespaceSelector": {
                    "matchExpressions": [
                        {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": excluded},
                    ]
                },
            }
        ],
    }
