"""Multi-stage builds with the real Docker engine from hardbake's images, as a user writes them:
build in the `-dev` image, copy the result into the runtime image, serve requests.

pip and npm inside containers reach their registries through a TLS-intercepting proxy whose
CA is in this host's bundle (see ../shared/ENVIRONMENT.md): the tests do what a user behind a
corporate proxy does with hardbake - extend the dev image with the extra CA (`certificates:`).
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.testing.net import free_port

pytestmark = [pytest.mark.online, pytest.mark.docker]
runner = CliRunner()
HOST_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("multistage-cache")


def _build(args: list[str], cache: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("HARDBAKE_CACHE", str(cache))
    r = runner.invoke(app, ["build", *args, "--arch", "amd64", "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def _dev_with_corporate_ca(
    parent: str, tag: str, tmp: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    family = parent.split(":")[0]
    distro = "debian-13" if parent in ("python:3.13-dev", "node:20-dev", "java:21-dev") else "debian-12"
    spec = tmp / f"{family}-dev-corp.yaml"
    spec.write_text(
        f"name: {family}\ndistro: {distro}\nvariant: dev\nextends: {parent}\ncertificates: [{HOST_BUNDLE}]\n"
    )
    _build([str(spec), "-o", f"docker-daemon:{tag}"], cache, monkeypatch)


def _docker_build(context: Path, tag: str, **args: str) -> None:
    cmd = ["docker", "build", "--network", "host", "-t", tag]
    for k, v in args.items():
        cmd += ["--build-arg", f"{k}={v}"]
    r = subprocess.run([*cmd, str(context)], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


def _serve_and_get(tag: str, path: str = "/") -> httpx.Response:
    port = free_port()
    name = f"hb-ms-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["docker", "run", "-d", "--name", name, "--network", "host", "--read-only", "--cap-drop", "ALL",
         "--security-opt", "no-new-privileges", "--tmpfs", "/tmp", "-e", f"PORT={port}", tag],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2)
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True)
                    raise AssertionError(
                        f"no answer from {tag}: {logs.stdout[-2000:]}{logs.stderr[-2000:]}"
                    ) from None
                time.sleep(0.3)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def _cleanup(*tags: str) -> None:
    subprocess.run(["docker", "rmi", "-f", *tags], capture_output=True)


PY_APP = """\
import os
from bottle import Bottle, run
app = Bottle()
@app.route("/")
def index():
    import bottle, os
    return f"hello from bottle {bottle.__version__} as uid {os.getuid()}"
run(app, host="127.0.0.1", port=int(os.environ["PORT"]), quiet=True)
"""

PY_DOCKERFILE = """\
FROM {dev} AS build
RUN python3 -m venv /venv && /venv/bin/pip install --no-cache-dir bottle==0.13.2
COPY app.py /app/app.py
FROM {runtime}
COPY --from=build /venv /venv
COPY --from=build /app /app
CMD ["/venv/bin/python", "/app/app.py"]
"""


def test_python_venv_from_dev_into_runtime(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev, runtime, app_tag = (f"hardbake-test/{n}-{uuid.uuid4().hex[:6]}" for n in ("pydev", "py", "pyapp"))
    try:
        _dev_with_corporate_ca("python:3.13-dev", dev, tmp_path, cache, monkeypatch)
        _build(["python:3.13", "-o", f"docker-daemon:{runtime}"], cache, monkeypatch)
        ctx = tmp_path / "pyapp"
        ctx.mkdir()
        (ctx / "app.py").write_text(PY_APP)
        (ctx / "Dockerfile").write_text(PY_DOCKERFILE.format(dev=dev, runtime=runtime))
        _docker_build(ctx, app_tag)
        r = _serve_and_get(app_tag)
        assert r.status_code == 200 and r.text == "hello from bottle 0.13.2 as uid 65532"
    finally:
        _cleanup(dev, runtime, app_tag)


NODE_APP = """\
const express = require('express');
const app = express();
app.get('/', (req, res) => res.send(`hello from express ${require('express/package.json').version} as uid ${process.getuid()}`));
app.listen(Number(process.env.PORT), '127.0.0.1');
"""

NODE_DOCKERFILE = """\
FROM {dev} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY server.js ./
FROM {runtime}
COPY --from=build /app /app
CMD ["node", "/app/server.js"]
"""


def test_node_npm_ci_from_dev_into_runtime(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev, runtime, app_tag = (
        f"hardbake-test/{n}-{uuid.uuid4().hex[:6]}" for n in ("nodedev", "node", "nodeapp")
    )
    ctx = tmp_path / "nodeapp"
    ctx.mkdir()
    (ctx / "server.js").write_text(NODE_APP)
    (ctx / "package.json").write_text(
        json.dumps(
            {"name": "app", "version": "1.0.0", "private": True, "dependencies": {"express": "4.21.2"}}
        )
    )
    try:
        _dev_with_corporate_ca("node:20-dev", dev, tmp_path, cache, monkeypatch)
        _build(["node:20", "-o", f"docker-daemon:{runtime}"], cache, monkeypatch)
        # the lock file, made the way a developer makes it: npm in the dev image
        lock = subprocess.run(
            ["docker", "run", "--rm", "--network", "host", "-v", f"{ctx}:/app", "-w", "/app", dev,
             "npm", "install", "--package-lock-only", "--no-audit", "--no-fund"],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert lock.returncode == 0, lock.stderr[-2000:]
        (ctx / "Dockerfile").write_text(NODE_DOCKERFILE.format(dev=dev, runtime=runtime))
        _docker_build(ctx, app_tag)
        r = _serve_and_get(app_tag)
        assert r.status_code == 200 and r.text == "hello from express 4.21.2 as uid 65532"
    finally:
        _cleanup(dev, runtime, app_tag)


JAVA_APP = """\
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

public class Hello {
    public static void main(String[] args) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        int anchors = ((X509TrustManager) tmf.getTrustManagers()[0]).getAcceptedIssuers().length;
        int port = Integer.parseInt(System.getenv("PORT"));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", ex -> {
            byte[] body = ("hello from java " + Runtime.version().feature() + " trusting " + (anchors > 100) + " as " + System.getProperty("user.name")).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
    }
}
"""

JAVA_DOCKERFILE = """\
FROM {dev} AS build
WORKDIR /src
COPY Hello.java .
RUN javac Hello.java && jar --create --file app.jar --main-class Hello *.class
FROM {runtime}
COPY --from=build /src/app.jar /app/app.jar
CMD ["java", "-jar", "/app/app.jar"]
"""


def test_java_jar_from_jdk_into_jre(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dev, runtime, app_tag = (f"hardbake-test/{n}-{uuid.uuid4().hex[:6]}" for n in ("jdk", "jre", "javaapp"))
    try:
        _build(["java:21-dev", "-o", f"docker-daemon:{dev}"], cache, monkeypatch)
        _build(["java:21", "-o", f"docker-daemon:{runtime}"], cache, monkeypatch)
        ctx = tmp_path / "javaapp"
        ctx.mkdir()
        (ctx / "Hello.java").write_text(JAVA_APP)
        (ctx / "Dockerfile").write_text(JAVA_DOCKERFILE.format(dev=dev, runtime=runtime))
        _docker_build(ctx, app_tag)
        r = _serve_and_get(app_tag)
        assert r.status_code == 200 and r.text == "hello from java 21 trusting true as nonroot"
    finally:
        _cleanup(dev, runtime, app_tag)
