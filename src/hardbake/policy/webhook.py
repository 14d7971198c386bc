"""The validating admission webhook: FastAPI app, Prometheus metrics, TLS serving with uvicorn.

Routes: `POST /validate` (AdmissionReview v1), `GET /healthz`, `GET /metrics`. A body that
is not an AdmissionReview v1 request gets HTTP 400 and the server carries on; an error while
evaluating follows the failure mode (closed: deny with code 500; open: allow with a warning).
Metrics live in a registry owned by the app (no process globals), so several apps (tests)
can coexist in one process.
"""

from __future__ import annotations

import gc
import ssl
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from hardbake.errors import InputError
from hardbake.policy.admission import MalformedReview, decide, failure, parse_review
from hardbake.policy.engine import Policy

MAX_BODY = 8 * 1024 * 1024  # the API server sends at most a few MiB (etcd's object limit is 1.5 MiB)


class Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "hardbake_admission_requests", "Admission requests by decision", ["decision"], registry=registry
        )
        self.findings = Counter(
            "hardbake_admission_findings",
            "Findings in admission requests",
            ["rule", "severity"],
            registry=registry,
        )
        self._children: dict[tuple[str, str], Any] = {}
        self.latency = Histogram(
            "hardbake_admission_duration_seconds",
            "Time to decide one admission request",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0),
            registry=registry,
        )

    def finding(self, rule: str, severity: str) -> Any:
        """The counter child for one (rule, severity), cached: labels() is costly per request."""
        key = (rule, severity)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.findings.labels(rule, severity)
        return child


def create_app(
    policy: Policy,
    *,
    failure_mode: str | None = None,
    own_namespace: str | None = None,
    registry: CollectorRegistry | None = None,
) -> FastAPI:
    mode = failure_mode or policy.config.webhook.failure_mode
    if mode not in ("open", "closed"):
        raise InputError(f"failure mode {mode!r} is neither open nor closed")
    ns = own_namespace or policy.config.webhook.namespace
    metrics = Metrics(registry or CollectorRegistry())
    app = FastAPI(title="hardbake policy webhook", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.metrics = metrics

    @app.get("/healthz")
    async def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok\n")

    @app.get("/metrics")
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.post("/validate")
    async def validate(request: Request) -> JSONResponse:
        start = time.perf_counter()
        try:
            length = int(request.headers.get("content-length") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            metrics.requests.labels("malformed").inc()
            return JSONResponse({"error": f"body larger than {MAX_BODY} bytes"}, status_code=413)
        try:
            body = await request.body()
            req = parse_review(body)
        except MalformedReview as e:
            metrics.requests.labels("malformed").inc()
            return JSONResponse({"error": e.message}, status_code=400)
        try:
            decision = decide(policy, req, own_namespace=ns)
            outcome = "allowed" if decision.allowed else "denied"
            for f in decision.findings:
                metrics.finding(f.rule_id, f.severity.name).inc()
        except Exception as e:
            decision = failure(str(req["uid"]), mode, e)
            outcome = "error"
        metrics.requests.labels(outcome).inc()
        metrics.latency.observe(time.perf_counter() - start)
        return JSONResponse(decision.review())

    return app


def check_tls(cert: Path, key: Path) -> None:
    """Fail early, with a clear message, on a missing or mismatched certificate and key."""
    for p, what in ((cert, "--tls-cert"), (key, "--tls-key")):
        if not Path(p).is_file():
            raise InputError(f"{what} {p}: no such file")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(str(cert), str(key))
    except (ssl.SSLError, ValueError) as e:
        raise InputError(
            f"cannot use {cert} with {key}: {e}", hint="the key must be the certificate's, both PEM-encoded"
        ) from e


def serve(app: FastAPI, *, host: str, port: int, cert: Path, key: Path, log_level: str = "warning") -> None:
    """Serve over HTTPS until interrupted (the API server only calls webhooks over TLS)."""
    import uvicorn

    check_tls(cert, key)
    # Latency: everything loaded so far (rules, compiled Rego, FastAPI) lives for the process's
    # life; moving it out of the collector's reach and collecting young objects less often keeps
    # full collections (tens of ms on a loaded machine) out of the request path.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
        log_level=log_level,
        access_log=False,
        server_header=False,
    )
    uvicorn.Server(config).run()
