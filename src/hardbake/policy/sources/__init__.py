"""Policy sources: the explicit dispatch from a source kind to its loader, and file discovery.

Discovery (what `hardbake policy check DIR` looks at), by file name first:

- Dockerfiles: `Dockerfile`, `Containerfile`, `Dockerfile.*`, `Containerfile.*`, `*.Dockerfile`,
  `*.dockerfile`, `*.containerfile`;
- YAML (`*.yaml`, `*.yml`): each document is a Kubernetes object (has `apiVersion` and `kind`)
  or a Compose file (has a `services` mapping); other documents are ignored;
- docker run lines: shell scripts (`*.sh`, `*.bash`, `*.zsh`), `Makefile`, `*.mk`, and files
  named `docker-run`, `docker-run.txt`, `*.docker-run`, `*.dockerrun`.

A file named explicitly on the command line with none of these names is sniffed: YAML with
workloads, else `docker run` lines, else a Dockerfile (first instruction FROM/ARG), else it
is refused. Directories named `.git`, `node_modules` and other hidden ones are skipped.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from hardbake.errors import InputError
from hardbake.policy.model import SourceKind, Workload
from hardbake.policy.positions import load_documents
from hardbake.policy.sources import compose, docker_run, dockerfile, kubernetes
from hardbake.policy.sources.interface import DocContext, Source

#: explicit, exhaustive dispatch: one loader per source kind
SOURCES: dict[SourceKind, Source] = {
    SourceKind.kubernetes: kubernetes.load,
    SourceKind.compose: compose.load,
    SourceKind.dockerfile: dockerfile.load,
    SourceKind.docker_run: docker_run.load,
}
assert set(SOURCES) == set(SourceKind)

DOCKERFILE_GLOBS = (
    "Dockerfile",
    "Containerfile",
    "Dockerfile.*",
    "Containerfile.*",
    "*.Dockerfile",
    "*.dockerfile",
    "*.containerfile",
)
YAML_GLOBS = ("*.yaml", "*.yml")
RUN_GLOBS = (
    "*.sh",
    "*.bash",
    "*.zsh",
    "Makefile",
    "*.mk",
    "docker-run",
    "docker-run.txt",
    "*.docker-run",
    "*.dockerrun",
)
_SKIP_DIRS = {"node_modules", "__pycache__", "vendor"}


def load_yaml(text: str, file: str) -> list[Workload]:
    """Kubernetes objects and Compose files from one YAML stream, parsed once."""
    out: list[Workload] = []
    for doc, positions in load_documents(text, file):
        ctx = DocContext(file, positions)
        if kubernetes.is_kubernetes(doc):
            out.extend(kubernetes.workloads_from_document(doc, ctx))
        elif compose.is_compose(doc):
            out.extend(compose.workloads_from_document(doc, ctx))
    return out


def _matches(name: str, globs: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, g) for g in globs)


def classify(path: Path) -> Callable[[str, str], list[Workload]] | None:
    """The loader for a file by its name, or None when the name says nothing."""
    name = path.name
    if _matches(name, DOCKERFILE_GLOBS):
        return SOURCES[SourceKind.dockerfile]
    if _matches(name, YAML_GLOBS):
        return load_yaml
    if _matches(name, RUN_GLOBS):
        return SOURCES[SourceKind.docker_run]
    return None


def sniff(text: str, file: str) -> list[Workload]:
    """Guess the kind of a file named explicitly: YAML workloads, docker run lines, a Dockerfile."""
    try:
        found = load_yaml(text, file)
    except InputError:
        found = []
    if found:
        return found
    runs = SOURCES[SourceKind.docker_run](text, file)
    if runs:
        return runs
    first = next(
        (ln.split()[0].upper() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")),
        "",
    )
    if first in ("FROM", "ARG"):
        return SOURCES[SourceKind.dockerfile](text, file)
    raise InputError(
        f"{file}: found no Kubernetes workload, Compose service, docker run line or Dockerfile in it",
        hint="name Dockerfiles Dockerfile*, YAML *.yaml, scripts *.sh; see docs/policy.md (discovery)",
    )


def discover(paths: list[Path]) -> Iterator[tuple[Path, Callable[[str, str], list[Workload]], bool]]:
    """(file, loader, named explicitly) to check; directories are walked in sorted order."""
    for p in paths:
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(x for x in dirs if not x.startswith(".") and x not in _SKIP_DIRS)
                for f in sorted(files):
                    fp = Path(root) / f
                    loader = classify(fp)
                    if loader is not None:
                        yield fp, loader, False
        elif p.is_file():
            yield p, classify(p) or sniff, True
        else:
            raise InputError(f"{p}: no such file or directory", hint="pass files or directories to check")


__all__ = ["SOURCES", "classify", "discover", "load_yaml", "sniff"]
