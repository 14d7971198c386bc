"""Runs a spec's test steps against an image in the Docker engine, as a user would run it.

Every step runs hardened unless it says otherwise: `--read-only` (plus the image's declared
tmpfs mounts), `--cap-drop ALL`, `--security-opt no-new-privileges`, the image's numeric
user, and `--network none` (or `host` for servers, on a free 127.0.0.1 port substituted for
`{port}`). A step passes when the exit code, the output pattern and the HTTP/TCP probe all
match. Containers are labelled and always removed, even when a step fails or times out.
"""

from __future__ import annotations

import contextlib
import re
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hardbake.errors import EnvError
from hardbake.spec.model import ImageSpec, Probe, TestStep

LABEL = "dev.hardbake.test"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for `{port}`)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class StepResult:
    name: str
    passed: bool
    detail: str
    seconds: float
    exit_code: int | None = None
    output: str = field(default="", repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "detail": self.detail,
            "seconds": round(self.seconds, 2),
            "exitCode": self.exit_code,
            "output": self.output[-4000:],
        }


def _probe(probe: Probe, port: int, deadline: float) -> tuple[bool, str]:
    target = probe.port or port
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            if probe.kind == "tcp":
                with socket.create_connection(("127.0.0.1", target), timeout=1):
                    return True, f"tcp 127.0.0.1:{target} accepted"
            r = httpx.get(f"http://127.0.0.1:{target}{probe.path}", timeout=2)
            if r.status_code != probe.status:
                last = f"HTTP {r.status_code}, expected {probe.status}"
            elif probe.body and not re.search(probe.body, r.text):
                last = f"body does not match {probe.body!r}: {r.text[:200]!r}"
            else:
                return True, f"HTTP {r.status_code} from 127.0.0.1:{target}{probe.path}"
        except (OSError, httpx.HTTPError) as e:
            last = f"{type(e).__name__}: {e}"
        time.sleep(0.2)
    return False, f"probe failed: {last}"


def _volumes(step: TestStep, spec_dir: Path, workdir: Path) -> dict[str, dict[str, str]]:
    vols: dict[str, dict[str, str]] = {}
    if step.files:
        work = workdir / "work"
        work.mkdir(exist_ok=True)
        for name, content in step.files.items():
            (work / name).write_text(content)
            (work / name).chmod(0o644)
        work.chmod(0o755)
        vols[str(work)] = {"bind": "/work", "mode": "ro"}
    for v in step.volumes:
        host, _, rest = v.partition(":")
        cont, _, mode = rest.partition(":")
        src = (
            Path(host)
            if host.startswith("/")
            else (spec_dir / host if (spec_dir / host).exists() else workdir / host)
        )
        src.mkdir(parents=True, exist_ok=True) if not src.exists() else None
        vols[str(src.resolve())] = {"bind": cont, "mode": mode or "rw"}
    return vols


def run_step(engine: Any, image: str, spec: ImageSpec, step: TestStep, spec_dir: Path) -> StepResult:
    import docker.errors

    t0 = time.monotonic()
    port = free_port()

    def sub(s: str) -> str:
        return s.replace("{port}", str(port))

    img = engine.images.get(image)
    user = step.user or img.attrs["Config"].get("User") or None
    tmpfs = {p: "rw,noexec,nosuid,nodev,size=64m" for p in [*spec.tmpfs, *step.tmpfs]}
    with tempfile.TemporaryDirectory(prefix="hardbake-test-") as wd:
        kwargs: dict[str, Any] = {
            "command": [sub(a) for a in step.args] or None,
            "entrypoint": step.entrypoint,
            "environment": {k: sub(v) for k, v in step.env.items()},
            "user": user,
            "read_only": step.read_only,
            "tmpfs": tmpfs or None,
            "network_mode": step.network,
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "volumes": _volumes(step, spec_dir, Path(wd)),
            "labels": {LABEL: "1"},
            "detach": True,
        }
        try:
            container = engine.containers.run(image, **kwargs)
        except docker.errors.APIError as e:
            # the Docker CLI's convention: a command that cannot be found or run exits 127/126
            msg = str(getattr(e, "explanation", None) or e)
            start_code = 127 if "not found" in msg or "no such file" in msg else 126
            ok = step.exit_code == start_code
            detail = f"container did not start (exit {start_code}): {msg[-300:]}"
            return StepResult(step.name, ok, detail, time.monotonic() - t0, start_code)
        try:
            deadline = t0 + step.timeout
            probe_ok, probe_detail = True, ""
            code: int | None
            if step.probe is not None:
                probe_ok, probe_detail = _probe(step.probe, port, deadline)
            if step.exit_code is None:
                container.kill()  # a server as PID 1 ignores SIGTERM; nothing graceful to wait for
                code = None
            else:
                try:
                    code = int(container.wait(timeout=max(1.0, deadline - time.monotonic()))["StatusCode"])
                except Exception:  # the SDK raises requests' ReadTimeout; any failure here is a timeout
                    container.kill()
                    return StepResult(
                        step.name, False, f"timed out after {step.timeout}s", time.monotonic() - t0
                    )
            output = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        finally:
            with contextlib.suppress(docker.errors.APIError):
                container.remove(force=True)
    problems = []
    if step.exit_code is not None and code != step.exit_code:
        problems.append(f"exit code {code}, expected {step.exit_code}")
    if step.output and not re.search(step.output, output):
        problems.append(f"output does not match {step.output!r}")
    if not probe_ok:
        problems.append(probe_detail)
    detail = "; ".join(problems) or (
        "; ".join(x for x in (probe_detail, f"exit {code}" if code is not None else "") if x)
    )
    return StepResult(step.name, not problems, detail, time.monotonic() - t0, code, output)


def run_all(engine: Any, image: str, spec: ImageSpec, spec_dir: Path) -> list[StepResult]:
    if not spec.tests:
        raise EnvError(f"{spec.name}: the spec has no tests to run", hint="add a `tests:` section")
    return [run_step(engine, image, spec, step, spec_dir) for step in spec.tests]
