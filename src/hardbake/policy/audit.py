"""Cluster adoption audit: hardened vs other images per namespace, and the top violations.

The article's shell script, done properly: the input is the JSON of
`kubectl get pods -A -o json` (or the live API through the kubernetes client), every
container (init containers too) is counted by its normalised image reference against the
allowed hardened prefixes, and every pod is checked with the built-in rules in the profile
its namespace maps to.
"""

from __future__ import annotations

import fnmatch
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hardbake.errors import EnvError, InputError, NetworkError
from hardbake.oci.reference import RegistryRef
from hardbake.policy.check import check_object
from hardbake.policy.engine import Policy
from hardbake.policy.model import Severity
from hardbake.policy.rules import BY_ID, Profile


@dataclass(frozen=True)
class NamespaceStats:
    namespace: str
    profile: str
    pods: int
    compliant_pods: int  # no finding at or above fail_on
    hardened: int
    other: int
    violations: dict[str, int] = field(default_factory=dict)

    @property
    def adoption(self) -> float:
        total = self.hardened + self.other
        return 100.0 * self.hardened / total if total else 0.0


@dataclass(frozen=True)
class AuditReport:
    namespaces: tuple[NamespaceStats, ...]
    top: tuple[tuple[str, int], ...]
    fail_on: str

    @property
    def hardened(self) -> int:
        return sum(n.hardened for n in self.namespaces)

    @property
    def other(self) -> int:
        return sum(n.other for n in self.namespaces)

    @property
    def adoption(self) -> float:
        total = self.hardened + self.other
        return 100.0 * self.hardened / total if total else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "hardened_images": self.hardened,
            "other_images": self.other,
            "adoption_rate": round(self.adoption, 2),
            "fail_on": self.fail_on,
            "namespaces": [
                {
                    "namespace": n.namespace,
                    "profile": n.profile,
                    "pods": n.pods,
                    "compliant_pods": n.compliant_pods,
                    "hardened_images": n.hardened,
                    "other_images": n.other,
                    "adoption_rate": round(n.adoption, 2),
                    "violations": dict(sorted(n.violations.items())),
                }
                for n in self.namespaces
            ],
            "top_violations": [
                {"rule": rid, "title": BY_ID[rid].title if rid in BY_ID else rid, "count": count}
                for rid, count in self.top
            ],
        }

    def to_markdown(self) -> str:
        lines = [
            "# Hardened image adoption",
            "",
            f"Hardened images: {self.hardened}; other images: {self.other}; "
            f"adoption rate: {self.adoption:.1f}%",
            "",
            "| namespace | profile | pods | compliant pods | hardened | other | adoption |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for n in self.namespaces:
            lines.append(
                f"| {n.namespace} | {n.profile} | {n.pods} | {n.compliant_pods} | {n.hardened} | "
                f"{n.other} | {n.adoption:.1f}% |"
            )
        lines += ["", "## Top violations", "", "| rule | title | count |", "|---|---|---:|"]
        for rid, count in self.top:
            lines.append(f"| {rid} | {BY_ID[rid].title if rid in BY_ID else rid} | {count} |")
        return "\n".join(lines) + "\n"


def pods_from_json(text: str, source: str = "-") -> list[dict[str, Any]]:
    """Pods from `kubectl get pods -A -o json` (a List), a single Pod, or a JSON array of pods."""
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise InputError(
            f"{source}: not JSON: {e}", hint="produce it with `kubectl get pods -A -o json`"
        ) from e
    return pods_from_document(doc, source)


def pods_from_document(doc: Any, source: str) -> list[dict[str, Any]]:
    """Pods out of a parsed List, Pod or array."""
    items = (
        doc.get("items")
        if isinstance(doc, dict) and "items" in doc
        else [doc]
        if isinstance(doc, dict)
        else doc
    )
    if not isinstance(items, list):
        raise InputError(f"{source}: expected a list of pods (`kubectl get pods -A -o json`)")
    pods = [p for p in items if isinstance(p, dict) and p.get("kind", "Pod") == "Pod"]
    for p in pods:
        p.setdefault("kind", "Pod")
        p.setdefault("apiVersion", "v1")
    return pods


def fetch_pods(kubeconfig: Path | None, context: str | None = None, page: int = 500) -> list[dict[str, Any]]:
    """Every pod in the cluster through the official client, paged, as the API's JSON."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException
    from urllib3.exceptions import HTTPError

    try:
        api = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(kubeconfig) if kubeconfig else None, context=context
        )
    except (ConfigException, OSError) as e:
        raise EnvError(f"cannot load kubeconfig {kubeconfig or '~/.kube/config'}: {e}") from e
    core = client.CoreV1Api(api)
    pods: list[dict[str, Any]] = []
    token: str | None = None
    try:
        while True:
            kwargs: dict[str, Any] = {"limit": page, "_preload_content": False}
            if token:
                kwargs["_continue"] = token
            resp: Any = core.list_pod_for_all_namespaces(**kwargs)
            doc = json.loads(resp.data)  # raw response: _preload_content=False
            pods.extend(pods_from_document(doc, "the API server"))
            token = (doc.get("metadata") or {}).get("continue")
            if not token:
                return pods
    except client.ApiException as e:
        raise EnvError(
            f"the API server refused to list pods: {e.status} {e.reason}",
            hint="the audit needs `list pods` in all namespaces (cluster-wide RBAC)",
        ) from e
    except HTTPError as e:
        raise NetworkError(f"cannot reach the API server: {e}") from e
    finally:
        api.close()


def _images(pod: dict[str, Any]) -> list[str]:
    spec: dict[str, Any] = pod["spec"] if isinstance(pod.get("spec"), dict) else {}
    out = []
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            if isinstance(c, dict) and isinstance(c.get("image"), str):
                out.append(c["image"])
    return out


def _weight(rule_id: str) -> int:
    rule = BY_ID.get(rule_id)
    return int(rule.production) if rule else 0


def audit_pods(
    pods: list[dict[str, Any]],
    policy: Policy,
    *,
    profile: Profile | None = None,
    namespaces: list[str] | None = None,
    top: int = 10,
) -> AuditReport:
    by_ns: dict[str, dict[str, Any]] = {}
    totals: Counter[str] = Counter()
    fail_on = policy.config.fail_on
    for pod in pods:
        meta: dict[str, Any] = pod["metadata"] if isinstance(pod.get("metadata"), dict) else {}
        ns = str(meta.get("namespace") or "default")
        if namespaces and not any(fnmatch.fnmatchcase(ns, g) for g in namespaces):
            continue
        st = by_ns.setdefault(
            ns,
            {
                "pods": 0,
                "ok": 0,
                "hardened": 0,
                "other": 0,
                "violations": Counter(),
                "profile": (profile or policy.config.profile_for(namespace=ns)).value,
            },
        )
        st["pods"] += 1
        for image in _images(pod):
            try:
                hardened = policy.context.is_hardened(RegistryRef.parse(image))
            except InputError:
                hardened = False
            st["hardened" if hardened else "other"] += 1
        result = check_object(
            pod, namespace=ns, file=f"{ns}/{meta.get('name', '?')}", profile=profile, policy=policy
        )
        counted = {f.rule_id for f in result.findings if f.severity > Severity.info}
        st["violations"].update(counted)
        totals.update(counted)
        if not result.failed(fail_on):
            st["ok"] += 1
    stats = tuple(
        NamespaceStats(ns, s["profile"], s["pods"], s["ok"], s["hardened"], s["other"], dict(s["violations"]))
        for ns, s in sorted(by_ns.items())
    )
    # most pods first; among equals the more severe rule first
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], -_weight(kv[0]), kv[0]))[:top]
    return AuditReport(stats, tuple(ranked), fail_on.name)
