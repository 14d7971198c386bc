"""Benchmark: time from `docker run` to the first successful request/connection, for each
server of the catalog, hardened image vs the standard one (mmdebstrap minbase + the same
Debian package, `hardbake.testing.standard`), in the same run, on the same engine.

    PYTHONPATH=src python bench/servers_startup.py [--runs 9] [--all] [NAME...]

Default: the newest image of each family (nginx:debian13, httpd:debian13, postgres:17,
mariadb:11.8, redis:debian13); --all adds the debian-12 ones. Each side is started the way
its user would start it, on a free 127.0.0.1 port (`--network host`):

* hardened: as docs/catalog.md says (--read-only, its tmpfs mounts, --cap-drop ALL,
  --security-opt no-new-privileges, uid 65532); the databases serve a data directory that
  their -dev image initialised once before timing;
* standard: plain `docker run` as root, or `--user postgres|mysql|redis` for the databases
  (their package's postinst made the cluster / datadir), with a --tmpfs for the socket
  directory that systemd would have made; nginx with `-g 'daemon off;'`, apache2 through
  `apache2ctl -D FOREGROUND` (it needs /etc/apache2/envvars).

Readiness is checked in-process at the protocol level, the same way for both sides: an HTTP
200, a Redis +PONG, a PostgreSQL startup answer that is not "starting up" (57P03), a MariaDB
handshake. Prints medians and the ratio hardened / standard (below 1: hardened is faster).
"""

from __future__ import annotations

import argparse
import http.client
import secrets
import socket
import statistics
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker

from hardbake.build.pipeline import BuildOptions, build
from hardbake.cli import archive_options as ao
from hardbake.imagetest.runner import free_port
from hardbake.oci.reference import DaemonRef, RegistryRef
from hardbake.testing.standard import CATALOG_STANDARDS, ensure

HARDENED = ["--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"]
NEWEST = ["nginx:debian13", "httpd:debian13", "postgres:17", "mariadb:11.8", "redis:debian13"]
OLDER = ["nginx:debian12", "httpd:debian12", "postgres:15", "mariadb:10.11", "redis:debian12"]


# -- readiness, at the protocol level -------------------------------------------------------


def http_ready(port: int) -> bool:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        c.request("GET", "/")
        return c.getresponse().status == 200
    finally:
        c.close()


def redis_ready(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        s.sendall(b"PING\r\n")
        return s.recv(64).startswith(b"+PONG")


def postgres_ready(port: int) -> bool:
    """A StartupMessage (protocol 3.0): any answer but 57P03 "starting up" means ready."""
    body = struct.pack("!I", 196608) + b"user\0bench\0database\0bench\0\0"
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        s.sendall(struct.pack("!I", len(body) + 4) + body)
        answer = s.recv(512)
    return bool(answer) and answer[:1] in (b"R", b"E") and b"57P03" not in answer


def mariadb_ready(port: int) -> bool:
    """The server's handshake packet (protocol version 10) arrives once it takes connections."""
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        packet = s.recv(256)
    return len(packet) > 4 and packet[4] in (10, 0xFF)


# -- one case per family --------------------------------------------------------------------

Args = Callable[[int, Path], list[str]]  # docker run options, from the port and a config dir
Cmd = Callable[[int], list[str]]


@dataclass(frozen=True)
class Side:
    image: str
    args: Args
    cmd: Cmd


@dataclass(frozen=True)
class Case:
    name: str
    hardened: Side
    standard: Side
    ready: Callable[[int], bool]


def _mounted(template: str, target: str, extra: list[str]) -> Args:
    """Options that mount a one-line config (with the port) at `target`."""

    def args(port: int, conf: Path) -> list[str]:
        f = conf / f"{port}-{Path(target).name}"
        f.write_text(template.format(port=port))
        return [*extra, "-v", f"{f}:{target}:ro"]

    return args


def _fixed(*options: str) -> Args:
    return lambda port, conf: list(options)


def _server(*argv: str) -> Cmd:
    return lambda port: [a.replace("{port}", str(port)) for a in argv]


def nginx(name: str, hardened: str, standard: str, volume: str | None) -> Case:
    site = "server {{ listen 127.0.0.1:{port}; location / {{ root %s; index index.html index.nginx-debian.html; }} }}\n"
    return Case(
        name,
        Side(
            hardened,
            _mounted(
                site % "/usr/share/nginx/html",
                "/etc/nginx/conf.d/default.conf",
                [*HARDENED, "--tmpfs", "/tmp"],
            ),
            _server(),
        ),
        Side(
            standard,
            _mounted(site % "/var/www/html", "/etc/nginx/sites-enabled/default", []),
            _server("nginx", "-g", "daemon off;"),
        ),
        http_ready,
    )


def httpd(name: str, hardened: str, standard: str, volume: str | None) -> Case:
    def env(port: int, conf: Path) -> list[str]:
        return [*HARDENED, "--tmpfs", "/tmp", "-e", f"HTTPD_LISTEN=127.0.0.1:{port}"]

    return Case(
        name,
        Side(hardened, env, _server()),
        Side(
            standard,
            _mounted("Listen 127.0.0.1:{port}\n", "/etc/apache2/ports.conf", []),
            _server("apache2ctl", "-D", "FOREGROUND"),
        ),
        http_ready,
    )


def postgres(name: str, hardened: str, standard: str, volume: str | None) -> Case:
    v = name.split(":")[1]
    flags = ("-c", "listen_addresses=127.0.0.1", "-p", "{port}")
    return Case(
        name,
        Side(
            hardened,
            _fixed(*HARDENED, "--tmpfs", "/run/postgresql", "-v", f"{volume}:/var/lib/postgresql/data"),
            _server("postgres", *flags),
        ),
        Side(
            standard,
            _fixed("--user", "postgres", "--tmpfs", "/run/postgresql"),
            _server(
                f"/usr/lib/postgresql/{v}/bin/postgres",
                "-D",
                f"/var/lib/postgresql/{v}/main",
                "-c",
                f"config_file=/etc/postgresql/{v}/main/postgresql.conf",
                *flags,
            ),
        ),
        postgres_ready,
    )


def mariadb(name: str, hardened: str, standard: str, volume: str | None) -> Case:
    server = _server("mariadbd", "--bind-address=127.0.0.1", "--port={port}")
    return Case(
        name,
        Side(
            hardened,
            _fixed(*HARDENED, "--tmpfs", "/run/mysqld", "--tmpfs", "/tmp", "-v", f"{volume}:/var/lib/mysql"),
            server,
        ),
        Side(standard, _fixed("--user", "mysql", "--tmpfs", "/run/mysqld"), server),
        mariadb_ready,
    )


def redis(name: str, hardened: str, standard: str, volume: str | None) -> Case:
    flags = ("--bind", "127.0.0.1", "--port", "{port}")
    return Case(
        name,
        Side(hardened, _fixed(*HARDENED), _server("redis-server", "/etc/redis/redis.conf", *flags)),
        Side(standard, _fixed("--user", "redis", "-w", "/var/lib/redis"), _server("redis-server", *flags)),
        redis_ready,
    )


CASES = {"nginx": nginx, "httpd": httpd, "postgres": postgres, "mariadb": mariadb, "redis": redis}


# -- running --------------------------------------------------------------------------------


def start_to_ready(side: Side, ready: Callable[[int], bool], conf: Path, timeout: float = 90) -> float:
    port = free_port()
    name = f"hardbake-bench-{secrets.token_hex(4)}"
    argv = ["docker", "run", "-d", "--name", name, "--network", "host", *side.args(port, conf), side.image, *side.cmd(port)]  # fmt: skip
    t0 = time.perf_counter()
    try:
        subprocess.run(argv, check=True, capture_output=True)
        while True:
            try:
                if ready(port):
                    return time.perf_counter() - t0
            except OSError:
                pass
            if time.perf_counter() - t0 > timeout:
                logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True)
                raise SystemExit(f"{side.image} never answered on {port}:\n{logs.stdout}{logs.stderr}")
            time.sleep(0.005)
    finally:
        # a graceful stop (each image's STOPSIGNAL): a killed database would make the next start
        # on the same volume pay for crash recovery, which the standard side never sees
        subprocess.run(["docker", "stop", "-t", "30", name], capture_output=True)
        subprocess.run(["docker", "rm", "-f", "-v", name], capture_output=True)


def prepare(name: str, engine: docker.DockerClient) -> tuple[str, str, str | None]:
    """Build the hardened image (and for a database, initialise a volume with its -dev image)."""
    client = ao.make_client(None, None, None, None, False)
    family, _, tag = name.partition(":")
    hardened = f"hardbake-bench/{family}:{tag}"
    build(name, client, BuildOptions(outputs=[DaemonRef(RegistryRef.parse(hardened))], archs=["amd64"]))
    standard = ensure(CATALOG_STANDARDS[name], engine)
    if family not in ("postgres", "mariadb"):
        return hardened, standard, None
    dev = f"hardbake-bench/{family}:{tag}-dev"
    build(f"{name}-dev", client, BuildOptions(outputs=[DaemonRef(RegistryRef.parse(dev))], archs=["amd64"]))
    volume = f"hardbake-bench-{family}-{secrets.token_hex(4)}"
    mount = "/var/lib/postgresql/data" if family == "postgres" else "/var/lib/mysql"
    env = ["-e", "POSTGRES_PASSWORD=bench", "-e", "MARIADB_ROOT_PASSWORD=bench"]
    subprocess.run(["docker", "run", "--rm", "--user", "65532", "--network", "none", "-v", f"{volume}:{mount}", *env, dev, "init"],
                   check=True, capture_output=True)  # fmt: skip
    return hardened, standard, volume


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="catalog names (default: the newest of each family)")
    ap.add_argument("--runs", type=int, default=9, help="timed starts per side (after one warm-up)")
    ap.add_argument("--all", action="store_true", help="also the debian-12 images")
    a = ap.parse_args()
    names = a.names or (NEWEST + OLDER if a.all else NEWEST)
    engine = docker.from_env(timeout=600)
    rows = []
    with tempfile.TemporaryDirectory(prefix="hardbake-bench-") as tmp:
        conf = Path(tmp)
        conf.chmod(0o755)
        for name in names:
            hardened, standard, volume = prepare(name, engine)
            c = CASES[name.split(":")[0]](name, hardened, standard, volume)
            try:
                ours: list[float] = []
                theirs: list[float] = []
                start_to_ready(c.hardened, c.ready, conf)  # warm-up: page cache, engine
                start_to_ready(c.standard, c.ready, conf)
                for i in range(a.runs):  # alternate which side goes first
                    pair = [(c.hardened, ours), (c.standard, theirs)]
                    for side, out in pair if i % 2 == 0 else pair[::-1]:
                        out.append(start_to_ready(side, c.ready, conf))
            finally:
                if volume:
                    subprocess.run(["docker", "volume", "rm", "-f", volume], capture_output=True)
            h, s = statistics.median(ours), statistics.median(theirs)
            rows.append((name, h, s))
            print(
                f"{name:16} hardened {h * 1000:7.0f} ms   standard {s * 1000:7.0f} ms   ratio {h / s:5.2f}",
                flush=True,
            )
    print(f"\nmedian of {a.runs} starts each, `docker run` to first successful request/connection")
    print(f"{'image':16} {'hardened':>10} {'standard':>10} {'ratio':>7}")
    for name, h, s in rows:
        print(f"{name:16} {h * 1000:8.0f}ms {s * 1000:8.0f}ms {h / s:7.2f}")


if __name__ == "__main__":
    main()
