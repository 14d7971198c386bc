"""End to end: each sample app (tests/migrate/apps/) is built from its original Dockerfile on
the standard images, run, and asked for `/`; then migrated with `hardbake migrate apply`,
rebuilt on the hardened catalog images, run again, and must answer with the same status and
body - as uid 65532, in an image where /bin/sh does not exist.

The images come from the local Docker engine, by name (`EXPECTED` lists them): the standard
images are mmdebstrap-built stand-ins tagged with the official names (Docker Hub is not
reachable here), the hardened ones are hardbake's catalog images. A missing image fails the
test with the list of what to build; nothing is pulled.

pip and npm inside the builds reach their registries through a TLS-intercepting proxy, as
behind a corporate proxy: each app's Dockerfile copies `ca-bundle.crt` from its context and
points PIP_CERT / NODE_EXTRA_CA_CERTS at it; the test puts the host's CA bundle there.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app as cli
from hardbake.migrate.dockerparse import parse
from hardbake.migrate.textfile import TextFile
from hardbake.testing.net import free_port
from hardbake.testing.standard import provide

APPS_DIR = Path(__file__).parent / "apps"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


@dataclass(frozen=True)
class App:
    standard: tuple[str, ...]  # FROM images of the original Dockerfile
    hardened: tuple[str, ...]  # FROM images of the migrated Dockerfile
    ports: tuple[int, int] | None = None  # fixed (original, migrated) ports; None: the app reads $PORT


EXPECTED: dict[str, App] = {
    "node-express": App(("node:20-slim",), ("hardbake/node:20-dev", "hardbake/node:20")),
    "python-flask": App(("python:3.13-slim",), ("hardbake/python:3.13-dev", "hardbake/python:3.13")),
    "java-http": App(
        ("eclipse-temurin:17-jdk", "eclipse-temurin:17-jre"), ("hardbake/java:17-dev", "hardbake/java:17")
    ),
    "nginx-static": App(("nginx:stable",), ("hardbake/nginx:debian13",), ports=(80, 8080)),
}


def from_images(dockerfile: Path) -> tuple[str, ...]:
    df = parse(TextFile(dockerfile, dockerfile.read_text()))
    stages = {s.name.lower() for s in df.stages if s.name}
    return tuple(s.image for s in df.stages if s.image.lower() not in stages)


@pytest.fixture(scope="module")
def engine() -> Any:
    client = docker.from_env(timeout=900)
    client.ping()
    return client


@pytest.fixture()
def engine_images(engine: Any) -> Any:
    """Images in the local engine, by name: made when missing (official-image stand-ins with
    mmdebstrap, hardened ones with `hardbake build`); fails with the list of what could not be."""

    def require(names: tuple[str, ...]) -> None:
        missing = []
        for name in names:
            try:
                engine.images.get(name)
            except docker.errors.ImageNotFound:
                try:
                    provide(name, engine)
                except KeyError:
                    missing.append(name)
                except subprocess.CalledProcessError as exc:
                    missing.append(f"{name} ({exc}: {(exc.stderr or '').strip()[-800:]})")
        if missing:
            pytest.fail(
                "images missing from the local Docker engine: "
                + ", ".join(missing)
                + " (standard images: mmdebstrap stand-ins tagged with the official names; hardened: "
                "`hardbake build <catalog name> -o docker-daemon:<name>`)"
            )

    return require


@pytest.fixture()
def built(engine: Any) -> Iterator[list[str]]:
    """Tags of images the test builds; removed afterwards."""
    tags: list[str] = []
    yield tags
    for t in tags:
        with contextlib.suppress(docker.errors.APIError):
            engine.images.remove(t, force=True)


def build(engine: Any, context: Path, tag: str) -> Any:
    try:
        image, _ = engine.images.build(
            path=str(context), tag=tag, network_mode="host", rm=True, forcerm=True, pull=False
        )
    except docker.errors.BuildError as e:
        log = "".join(str(chunk.get("stream", chunk.get("error", ""))) for chunk in e.build_log)
        pytest.fail(f"docker build of {context.name} ({tag}) failed: {e.msg}\n{log[-6000:]}")
    return image


def answer(engine: Any, image: str, port: int, env: dict[str, str]) -> tuple[int, str]:
    """Run the image on the host network and return (status, body) of GET /."""
    container = engine.containers.run(
        image, detach=True, network_mode="host", environment=env, name=f"hardbake-e2e-{uuid.uuid4().hex[:10]}"
    )
    try:
        deadline = time.monotonic() + 60
        last: Exception | None = None
        while time.monotonic() < deadline:
            container.reload()
            if container.status == "exited":
                pytest.fail(f"{image} exited: {container.logs().decode(errors='replace')[-3000:]}")
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                return r.status_code, r.text
            except httpx.HTTPError as e:
                last = e
                time.sleep(0.5)
        pytest.fail(
            f"{image} did not answer on 127.0.0.1:{port} ({last}): {container.logs().decode(errors='replace')[-3000:]}"
        )
    finally:
        container.remove(force=True)


def port_is_free(port: int) -> None:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            pytest.fail(f"port {port} is taken on the host; the nginx images listen on fixed ports")


@pytest.mark.e2e
@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_migrated_app_answers_the_same(
    name: str,
    tmp_path: Path,
    engine: Any,
    engine_images: Any,
    built: list[str],
    catalog_dir_real: Path | None,
) -> None:
    spec = EXPECTED[name]
    context = tmp_path / name
    shutil.copytree(APPS_DIR / name, context)
    shutil.copyfile(HOST_CA_BUNDLE, context / "ca-bundle.crt")
    assert from_images(context / "Dockerfile") == spec.standard
    engine_images(spec.standard)

    tag = uuid.uuid4().hex[:10]
    original = f"hardbake-test/e2e-{name}:original-{tag}"
    built.append(original)
    build(engine, context, original)
    port = spec.ports[0] if spec.ports else free_port()
    if spec.ports:
        port_is_free(port)
    env = {} if spec.ports else {"PORT": str(port), "HOST": "127.0.0.1"}
    before = answer(engine, original, port, env)
    assert before[0] == 200, before

    args = ["migrate", "apply", str(context)] + (
        ["--catalog", str(catalog_dir_real)] if catalog_dir_real else []
    )
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("--- a/Dockerfile"), "the migration changed nothing"
    assert from_images(context / "Dockerfile") == spec.hardened
    engine_images(spec.hardened)

    migrated = f"hardbake-test/e2e-{name}:migrated-{tag}"
    built.append(migrated)
    image = build(engine, context, migrated)
    port = spec.ports[1] if spec.ports else free_port()
    if spec.ports:
        port_is_free(port)
    env = {} if spec.ports else {"PORT": str(port), "HOST": "127.0.0.1"}
    after = answer(engine, migrated, port, env)
    assert after == before

    assert str(image.attrs["Config"].get("User", "")).split(":")[0] == "65532"
    shell = engine.containers.create(migrated, entrypoint=["/bin/sh", "-c", "true"], network_mode="none")
    try:
        with pytest.raises(docker.errors.APIError, match="no such file"):  # no shell in the runtime image
            shell.start()
    finally:
        shell.remove(force=True)


@pytest.fixture()
def catalog_dir_real() -> Path | None:
    """The catalog the migration maps against: None means the shipped one (the images the lead builds)."""
    return None
