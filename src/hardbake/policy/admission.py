"""AdmissionReview v1: read a request, decide with a `Policy`, write the response.

Pure functions (no HTTP here) so the decision logic is testable on its own. The response
echoes `request.uid`; a denial carries `status.code` 403 and a message listing the blocking
findings; non-blocking findings become `warnings`, each under 256 characters and at most
4,096 in total (the API server drops warnings beyond those limits), most severe first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hardbake.errors import InputError
from hardbake.policy.check import check_object
from hardbake.policy.engine import Policy
from hardbake.policy.findings import Finding
from hardbake.policy.model import Severity

API_VERSION = "admission.k8s.io/v1"
WARNING_MAX = 255
WARNINGS_TOTAL = 4096
MESSAGE_MAX = 2048
CHECKED_OPERATIONS = frozenset({"CREATE", "UPDATE"})


class MalformedReview(InputError):
    """The body is not an AdmissionReview v1 request (HTTP 400)."""


@dataclass(frozen=True)
class Decision:
    uid: str
    allowed: bool
    code: int | None = None
    message: str | None = None
    warnings: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = field(default=(), compare=False)

    def review(self) -> dict[str, Any]:
        response: dict[str, Any] = {"uid": self.uid, "allowed": self.allowed}
        if self.code is not None:
            response["status"] = {"code": self.code, "message": self.message or ""}
        if self.warnings:
            response["warnings"] = list(self.warnings)
        return {"apiVersion": API_VERSION, "kind": "AdmissionReview", "response": response}


def parse_review(body: bytes) -> dict[str, Any]:
    """The `request` of an AdmissionReview v1, validated enough to answer it."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise MalformedReview(f"body is not JSON: {e}") from e
    if not isinstance(doc, dict):
        raise MalformedReview("body is not a JSON object")
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != "AdmissionReview":
        raise MalformedReview(
            f"expected apiVersion {API_VERSION} kind AdmissionReview, found "
            f"{doc.get('apiVersion')!r} {doc.get('kind')!r}"
        )
    req = doc.get("request")
    if not isinstance(req, dict):
        raise MalformedReview("AdmissionReview has no request object")
    uid = req.get("uid")
    if not isinstance(uid, str) or not uid:
        raise MalformedReview("request.uid must be a non-empty string")
    op = req.get("operation", "CREATE")
    if not isinstance(op, str):
        raise MalformedReview("request.operation must be a string")
    obj = req.get("object")
    if op in CHECKED_OPERATIONS and not isinstance(obj, dict):
        raise MalformedReview(f"request.object must be an object for {op}")
    ns = req.get("namespace")
    if ns is not None and not isinstance(ns, str):
        raise MalformedReview("request.namespace must be a string")
    return req


def fit_warnings(lines: list[str]) -> tuple[str, ...]:
    """Shorten and cut warnings to the API server's limits, saying how many were left out."""
    out: list[str] = []
    total = 0
    for i, line in enumerate(lines):
        w = (
            line
            if len(line.encode()) <= WARNING_MAX
            else line.encode()[: WARNING_MAX - 3].decode(errors="ignore") + "..."
        )
        rest = len(lines) - i
        tail = f"{rest} more findings: run `hardbake policy check` on the manifest"
        reserve = len(tail) if rest > 1 else 0
        if total + len(w.encode()) + reserve > WARNINGS_TOTAL:
            out.append(tail)
            break
        out.append(w)
        total += len(w.encode())
    return tuple(out)


def decide(policy: Policy, request: dict[str, Any], *, own_namespace: str | None = None) -> Decision:
    """Allow or deny one admission request. Exceptions are the caller's failure mode."""
    uid = str(request["uid"])
    if request.get("operation", "CREATE") not in CHECKED_OPERATIONS:
        return Decision(uid, True)
    obj: dict[str, Any] = dict(request["object"])
    if "kind" not in obj and isinstance(request.get("kind"), dict):
        obj["kind"] = request["kind"].get("kind")
    obj.setdefault("apiVersion", "v1")
    meta: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    ns = request.get("namespace") or meta.get("namespace") or "default"
    excluded = set(policy.config.webhook.exclude_namespaces)
    if own_namespace:
        excluded.add(own_namespace)
    if ns in excluded:
        return Decision(uid, True)
    if meta.get("namespace") != ns:  # policies (Rego) read input.metadata.namespace: make it the request's
        obj["metadata"] = meta = {**meta, "namespace": ns}
    result = check_object(
        obj,
        namespace=ns,
        file=f"{obj.get('kind')}/{meta.get('name') or meta.get('generateName') or '?'}",
        policy=policy,
    )
    fail_on = policy.config.fail_on
    blocking = [f for f in result.findings if f.severity >= fail_on]
    others = sorted(
        (f for f in result.findings if f.severity < fail_on and f.severity > Severity.info),
        key=lambda f: (-f.severity, f.rule_id),
    )
    warnings = fit_warnings([f"[{f.severity.name}] {f.short()}" for f in others])
    if not blocking:
        return Decision(uid, True, warnings=warnings, findings=result.findings)
    profile = blocking[0].profile
    head = f"hardbake policy ({profile}) denied {result.findings[0].workload} in namespace {ns}: "
    parts = [f"{f.short()} (fix: {f.fix})" for f in sorted(blocking, key=lambda f: (-f.severity, f.rule_id))]
    message = head + "; ".join(parts)
    if len(message) > MESSAGE_MAX:
        message = (
            message[: MESSAGE_MAX - 60].rsplit("; ", 1)[0] + f"; ... {len(blocking)} blocking findings in all"
        )
    return Decision(uid, False, 403, message, warnings, result.findings)


def failure(uid: str, mode: str, error: BaseException) -> Decision:
    """The answer when evaluation itself failed: deny (closed) or allow with a warning (open)."""
    what = f"hardbake policy could not evaluate the object ({type(error).__name__})"
    if mode == "open":
        return Decision(uid, True, warnings=(f"{what}; allowed because the webhook fails open",))
    return Decision(uid, False, 500, f"{what}; denied because the webhook fails closed")
