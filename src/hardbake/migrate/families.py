"""What hardbake knows about the official images it replaces, family by family.

Which repositories map to which catalog family, the tag words each uses, and where the
hardened runtime image behaves differently from the official one (ports, users, programs,
entrypoint conventions). One table per fact, so each is easy to check and extend.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Docker Hub official repositories -> catalog family
OFFICIAL: dict[str, str] = {
    "node": "node",
    "python": "python",
    "openjdk": "java",
    "eclipse-temurin": "java",
    "amazoncorretto": "java",
    "nginx": "nginx",
    "httpd": "httpd",
    "postgres": "postgres",
    "mariadb": "mariadb",
    "redis": "redis",
    "debian": "cc",
    "ubuntu": "cc",
    "alpine": "cc",
}

#: repositories offered a substitute only (never rewritten automatically): repo -> (family, why)
SUBSTITUTES: dict[str, tuple[str, str]] = {
    "mysql": (
        "mariadb",
        "MariaDB is a substitute for MySQL, not the same server: authentication plugins "
        "(caching_sha2_password), JSON storage and replication differ; test before switching",
    ),
}

#: families whose data directory or on-disk format ties a deployment to a major version:
#: another version is only a suggestion (pg_upgrade / mariadb-upgrade first)
DATA_STORES = frozenset({"postgres", "mariadb", "redis"})

#: distroless images (gcr.io/distroless/NAME-debianN) -> (family, version or None)
DISTROLESS: dict[str, tuple[str, str | None]] = {
    "static": ("static", None),
    "base": ("base", None),
    "base-nossl": ("base", None),
    "cc": ("cc", None),
    "python3": ("python", None),
    "java17": ("java", "17"),
    "java21": ("java", "21"),
    "java11": ("java", "11"),
    "nodejs18": ("node", "18"),
    "nodejs20": ("node", "20"),
    "nodejs22": ("node", "22"),
    "nodejs24": ("node", "24"),
}

#: distribution words in tags -> hardbake distro name (or a foreign name, never in the catalog)
CODENAMES: dict[str, str] = {
    "bookworm": "debian-12",
    "trixie": "debian-13",
    "bullseye": "debian-11",
    "buster": "debian-10",
    "stretch": "debian-9",
    "jammy": "ubuntu-22.04",
    "focal": "ubuntu-20.04",
    "noble": "ubuntu-24.04",
    "al2": "amazonlinux-2",
    "al2023": "amazonlinux-2023",
}

#: Node.js LTS codenames -> major version
NODE_CODENAMES: dict[str, str] = {
    "argon": "4",
    "boron": "6",
    "carbon": "8",
    "dubnium": "10",
    "erbium": "12",
    "fermium": "14",
    "gallium": "16",
    "hydrogen": "18",
    "iron": "20",
    "jod": "22",
    "krypton": "24",
}

#: tag words that name no version: the newest catalog version is offered instead
MOVING_TAGS = frozenset({"latest", "lts", "current", "stable", "mainline", "testing", "rolling"})

#: tag words for platforms hardbake never builds
UNSUPPORTED_WORDS = ("windowsservercore", "nanoserver", "ltsc")


@dataclass(frozen=True)
class FamilyTraits:
    """Where the hardened runtime image of a family differs from the official one."""

    programs: frozenset[str] = frozenset()  # executables its runtime image has on PATH
    port_map: tuple[tuple[int, int], ...] = ()  # (official port, hardened port)
    conf_listen: str | None = None  # config directive that names the port (nginx `listen`)
    conf_dirs: tuple[str, ...] = ()  # where its configuration lives in the image
    official_paths: tuple[tuple[str, str], ...] = ()  # (path, what only the official image does with it)
    notes: tuple[str, ...] = ()


TRAITS: dict[str, FamilyTraits] = {
    "node": FamilyTraits(programs=frozenset({"node", "nodejs"})),
    "python": FamilyTraits(
        programs=frozenset({"python", "python3"}),
        notes=(
            "Debian's Python refuses `pip install` into the system (PEP 668): dependencies live in a venv",
        ),
    ),
    "java": FamilyTraits(programs=frozenset({"java"})),
    "nginx": FamilyTraits(
        programs=frozenset({"nginx"}),
        port_map=((80, 8080),),
        conf_listen="nginx",
        conf_dirs=("/etc/nginx",),
        official_paths=(
            (
                "/etc/nginx/templates",
                "the official entrypoint renders these templates with envsubst; the hardened image has no such entrypoint",
            ),
            (
                "/docker-entrypoint.d",
                "the official entrypoint runs these scripts; the hardened image has no such entrypoint",
            ),
        ),
    ),
    "httpd": FamilyTraits(
        programs=frozenset({"httpd", "apache2"}),
        port_map=((80, 8080),),
        conf_listen="httpd",
        conf_dirs=("/etc/apache2", "/usr/local/apache2/conf"),
        official_paths=(
            (
                "/usr/local/apache2",
                "the official httpd image's own layout; Debian's Apache reads /etc/apache2 and serves /var/www/html",
            ),
        ),
    ),
    "redis": FamilyTraits(
        programs=frozenset({"redis-server", "redis-cli"}),
        notes=(
            "existing data volumes are owned by the official image's uid 999; the hardened image runs as 65532",
        ),
    ),
    "postgres": FamilyTraits(
        programs=frozenset({"postgres", "initdb", "pg_ctl"}),
        official_paths=(
            (
                "/docker-entrypoint-initdb.d",
                "the official entrypoint runs these scripts on first start (POSTGRES_PASSWORD, initdb); the hardened image has no such entrypoint",
            ),
        ),
        notes=(
            "existing data volumes are owned by the official image's uid 999; the hardened image runs as 65532",
        ),
    ),
    "mariadb": FamilyTraits(
        programs=frozenset({"mariadbd", "mysqld", "mariadb"}),
        official_paths=(
            (
                "/docker-entrypoint-initdb.d",
                "the official entrypoint runs these scripts on first start; the hardened image has no such entrypoint",
            ),
        ),
        notes=(
            "existing data volumes are owned by the official image's uid 999; the hardened image runs as 65532",
        ),
    ),
    "base": FamilyTraits(),
    "cc": FamilyTraits(),
    "static": FamilyTraits(),
}

#: the numeric non-root user of every hardened runtime image
NONROOT_UID = 65532

#: programs that mean "this needs a shell" when a runtime image would run them
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})

#: programs official images carry that hardened runtime images do not
ABSENT_TOOLS = frozenset(
    {"curl", "wget", "nc", "netcat", "apt-get", "apk", "npm", "npx", "yarn", "pip", "pip3"}
)


#: what distroless images run CMD through (their ENTRYPOINT); hardened images have none
DISTROLESS_ENTRYPOINT: dict[str, tuple[str, ...]] = {
    "java": ("java", "-jar"),
    "python": ("python3",),
    "node": ("node",),
}
_SCRIPT_SUFFIXES = (".js", ".mjs", ".cjs")


def implicit_command(origin: str | None, family: str | None, argv: list[str]) -> list[str] | None:
    """The command the original image really ran for CMD `argv`, when its ENTRYPOINT added a
    program the hardened image does not add; None when argv runs as it is.

    - distroless java/python/nodejs: ENTRYPOINT ["java", "-jar"] / ["python3"] / ["node"]
    - the official node image's docker-entrypoint.sh runs `node` for a script or an option
    """
    if origin == "distroless" and family in DISTROLESS_ENTRYPOINT:
        prefix = DISTROLESS_ENTRYPOINT[family]
        return None if tuple(argv[: len(prefix)]) == prefix else [*prefix, *argv]
    if origin == "official" and family == "node" and argv and argv[0].endswith(_SCRIPT_SUFFIXES):
        return ["node", *argv]
    if origin == "official" and family == "node" and argv and argv[0].startswith("-"):
        return ["node", *argv]
    return None


def traits(family: str | None) -> FamilyTraits:
    return TRAITS.get(family or "", FamilyTraits())


def is_shell(program: str) -> bool:
    return program.rsplit("/", 1)[-1] in SHELLS
