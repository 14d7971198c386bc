"""Runs a spec's test steps against an image in the Docker engine, as a user would run it.

Every step runs hardened unless it says otherwise: `--read-only` (plus the image's declared
tmpfs mounts), `--cap-drop ALL`, `--security-opt no-new-privileges`, the image's numeric
user, and `--network none` (or `host` for servers, on a free 127.0.0.1 port substituted for
`{port}`). A step passes when the exit code, the output pattern, the probes and the client
commands on the test machine all match.

The steps of one run share its named volumes (`data:/var/lib/x` is a Docker volume made for the
run), so a scenario like "initialise, start, write, stop, start again, read" is a list of
steps. Containers and volumes are labelled and always removed, even when a step fails or times
out.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hardbake.errors import EnvError, InputError, ToolMissing
from hardbake.spec.model import HostCommand, ImageSpec, Probe, TestStep

LABEL = "dev.hardbake.test"
_VOLUME_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


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


@dataclass
class TestRun:
    """One `hardbake test` run: the images per variant and the Docker volumes its steps share."""

    engine: Any
    images: Mapping[str, str]  # variant ("runtime" | "dev") -> image reference
    spec: ImageSpec
    spec_dir: Path
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    volumes: list[str] = field(default_factory=list)

    def image_for(self, step: TestStep) -> str:
        variant = (step.variant or self.spec.variant).value
        if variant not in self.images:
            raise InputError(
                f"step {step.name!r} runs the {variant} variant, but no {variant} image was given",
                hint=f"build it or pass --{variant}-image",
            )
        return self.images[variant]

    def volume(self, name: str) -> str:
        full = f"hardbake-test-{self.run_id}-{name}"
        if full not in self.volumes:
            self.engine.volumes.create(full, labels={LABEL: "1"})
            self.volumes.append(full)
        return full

    def cleanup(self) -> None:
        import docker.errors

        for v in self.volumes:
            with contextlib.suppress(docker.errors.APIError):
                self.engine.volumes.get(v).remove(force=True)
        self.volumes.clear()


def _run_host(cmd: HostCommand | Probe, sub: Any, timeout: float) -> tuple[int, str]:
    args = [sub(a) for a in cmd.args]
    if shutil.which(args[0]) is None:
        raise ToolMissing(
            f"{args[0]!r} is not installed on this machine; a test step runs it as a client",
            hint=f"install the package that provides {args[0]}",
        )
    env = {**os.environ, **({k: sub(v) for k, v in cmd.env.items()} if isinstance(cmd, HostCommand) else {})}
    try:
        p = subprocess.run(args, env=env, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"") + (e.stderr or b"")
        return -1, out.decode("utf-8", "replace") + f"\n(timed out after {timeout}s)"
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def _exited(container: Any) -> int | None:
    """The exit code if the container has stopped (a server that died will never answer)."""
    container.reload()
    if container.status in ("exited", "dead"):
        return int(container.attrs["State"]["ExitCode"])
    return None


def _probe(probe: Probe, port: int, deadline: float, sub: Any, container: Any) -> tuple[bool, str]:
    target = probe.port or port
    last = "no answer"
    while time.monotonic() < deadline:
        code = _exited(container)
        if code is not None:
            return False, f"probe failed: the container exited ({code}) before answering; last: {last}"
        try:
            if probe.kind == "command":
                code, out = _run_host(probe, sub, max(1.0, min(10.0, deadline - time.monotonic())))
                if code == 0 and (not probe.body or re.search(probe.body, out)):
                    return True, f"`{probe.args[0]}` answered"
                # e.g. redis-cli exits 0 on "LOADING": the output says whether it is ready
                last = f"`{probe.args[0]}` exit {code}: {out.strip()[-200:]}"
            elif probe.kind == "tcp":
                with socket.create_connection(("127.0.0.1", target), timeout=1):
                    return True, f"tcp 127.0.0.1:{target} accepted"
            else:
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


def _clients(step: TestStep, sub: Any, deadline: float) -> tuple[list[str], str]:
    """Run the step's client commands in order; stop at the first that does not match."""
    transcript: list[str] = []
    for c in step.client:
        timeout = max(1.0, min(c.timeout, deadline - time.monotonic()))
        code, out = _run_host(c, sub, timeout)
        shown = " ".join(sub(a) for a in c.args)
        transcript.append(f"$ {shown}\n{out.rstrip()}\n(exit {code})")
        if code != c.exit_code:
            return [
                f"client `{c.args[0]}` exit {code}, expected {c.exit_code}: {out.strip()[-300:]}"
            ], "\n".join(transcript)
        if c.output and not re.search(c.output, out):
            return [
                f"client `{c.args[0]}` output does not match {c.output!r}: {out.strip()[-300:]}"
            ], "\n".join(transcript)
    return [], "\n".join(transcript)


def _mounts(step: TestStep, run: TestRun, workdir: Path, sub: Any) -> dict[str, dict[str, str]]:
    vols: dict[str, dict[str, str]] = {}
    if step.files:
        work = workdir / "work"
        work.mkdir(exist_ok=True)
        single = workdir / "single"
        single.mkdir(exist_ok=True)
        for i, (name, content) in enumerate(step.files.items()):
            if name.startswith("/"):
                one = single / f"{i}-{Path(name).name}"
                one.write_text(sub(content))
                one.chmod(0o644)
                vols[str(one)] = {"bind": name, "mode": "ro"}
            else:
                (work / name).write_text(sub(content))
                (work / name).chmod(0o644)
        work.chmod(0o755)
        if any(not n.startswith("/") for n in step.files):
            vols[str(work)] = {"bind": "/work", "mode": "ro"}
    for v in step.volumes:
        host, _, rest = v.partition(":")
        cont, _, mode = rest.partition(":")
        if not host.startswith((".", "/")) and "/" not in host:
            if not _VOLUME_NAME.match(host):
                raise InputError(
                    f"step {step.name!r}: volume name {host!r} is not a valid Docker volume name"
                )
            vols[run.volume(host)] = {"bind": cont, "mode": mode or "rw"}
            continue
        src = Path(host) if host.startswith("/") else run.spec_dir / host
        if not src.exists():
            src.mkdir(parents=True)
        vols[str(src.resolve())] = {"bind": cont, "mode": mode or "rw"}
    return vols


def run_step(run: TestRun, step: TestStep) -> StepResult:
    import docker.errors

    engine = run.engine
    t0 = time.monotonic()
    port = free_port()

    def sub(s: str) -> str:
        return s.replace("{port}", str(port))

    image = run.image_for(step)
    img = engine.images.get(image)
    user = step.user or img.attrs["Config"].get("User") or None
    tmpfs = {p: "rw,noexec,nosuid,nodev,size=64m" for p in [*run.spec.tmpfs, *step.tmpfs]}
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
            "volumes": _mounts(step, run, Path(wd), sub),
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
        problems: list[str] = []
        notes: list[str] = []
        transcript = ""
        try:
            deadline = t0 + step.timeout
            code: int | None = None
            for probe in step.probes:
                ok, detail = _probe(probe, port, deadline, sub, container)
                (notes if ok else problems).append(detail)
                if not ok:
                    break
            if not problems and step.client:
                failed, transcript = _clients(step, sub, deadline)
                problems += failed
                if not failed:
                    notes.append(f"{len(step.client)} client command(s) matched")
            if step.exit_code is None:
                with contextlib.suppress(docker.errors.APIError):  # it may have exited already
                    if step.stop == "graceful":
                        container.stop(timeout=20)  # the image's stop signal, then SIGKILL
                    else:
                        container.kill()  # a server as PID 1 may ignore SIGTERM
                if step.stop == "graceful":
                    code = int(container.wait(timeout=30)["StatusCode"])
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
                container.remove(force=True, v=True)  # and its anonymous volumes
    if step.exit_code is not None and code != step.exit_code:
        problems.append(f"exit code {code}, expected {step.exit_code}")
    if step.output and not re.search(step.output, output):
        problems.append(f"output does not match {step.output!r}")
    if code is not None:
        notes.append(f"exit {code}")
    detail = "; ".join(problems) or "; ".join(notes)
    if transcript:
        output = f"{output}\n--- clients ---\n{transcript}"
    return StepResult(step.name, not problems, detail, time.monotonic() - t0, code, output)


def run_all(
    engine: Any,
    image: str,
    spec: ImageSpec,
    spec_dir: Path,
    *,
    variant_images: Mapping[str, str] | None = None,
) -> list[StepResult]:
    """Run every step of `spec` against `image` (and `variant_images` for steps that ask for
    another variant); named volumes live for the whole run."""
    if not spec.tests:
        raise EnvError(f"{spec.name}: the spec has no tests to run", hint="add a `tests:` section")
    run = TestRun(engine, {**(variant_images or {}), spec.variant.value: image}, spec, spec_dir)
    try:
        return [run_step(run, step) for step in spec.tests]
    finally:
        run.cleanup()
