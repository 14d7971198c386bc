"""The inventory: every file under PATH read by its source, every image reference mapped.

Dispatch from file kind to source is the explicit, exhaustive `ANALYSERS` mapping. A file
that cannot be read as what it claims (binary, unparsable, a YAML bomb) becomes a `Problem`
and contributes nothing else; the rest of the tree is still inventoried.
"""

from __future__ import annotations

from pathlib import Path

from yaml.nodes import Node

from hardbake.migrate import yamlsafe
from hardbake.migrate.catalogmap import Mapper
from hardbake.migrate.discover import discover
from hardbake.migrate.model import REWRITABLE, Confidence, FileKind, FileReport, Inventory, Problem
from hardbake.migrate.sources import compose, dockerfile, kubernetes
from hardbake.migrate.sources.interface import Source, SourceContext, SourceError
from hardbake.migrate.textfile import MAX_DOCKERFILE_BYTES, MAX_YAML_BYTES, NotText, read_text

ANALYSERS: dict[FileKind, Source] = {
    FileKind.dockerfile: dockerfile.analyse,
    FileKind.compose: compose.analyse,
    FileKind.kubernetes: kubernetes.analyse,
}
assert set(ANALYSERS) == set(FileKind), "every file kind needs a source"

_COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


def yaml_kind(docs: list[Node]) -> FileKind | None:
    if not docs:
        return None
    if compose.is_compose(docs):
        return FileKind.compose
    if kubernetes.is_kubernetes(docs):
        return FileKind.kubernetes
    return None


def scan(path: Path, mapper: Mapper, allowed: tuple[Confidence, ...] = REWRITABLE) -> Inventory:
    candidates, problems, skipped = discover(path)
    ctx = SourceContext(mapper, path, allowed)
    files: list[FileReport] = []
    for c in candidates:
        try:
            if c.kind == "dockerfile":
                tf = read_text(c.path, MAX_DOCKERFILE_BYTES, "Dockerfile")
                files.append(ANALYSERS[FileKind.dockerfile](tf, c.rel, ctx, []))
                continue
            tf = read_text(c.path, MAX_YAML_BYTES, "YAML file")
            try:
                docs = yamlsafe.load(tf.text)
            except yamlsafe.YamlInvalid as e:
                if c.path.name.lower() in _COMPOSE_NAMES or c.path.name.lower().startswith("docker-compose"):
                    problems.append(Problem(c.rel, str(e), e.line))
                else:  # templates (Helm) and other YAML dialects are not manifests to rewrite
                    skipped.append(Problem(c.rel, f"{e}: not read as Compose or Kubernetes", e.line))
                continue
            kind = yaml_kind(docs)
            if kind is not None:
                files.append(ANALYSERS[kind](tf, c.rel, ctx, docs))
        except NotText as e:
            problems.append(Problem(c.rel, str(e)))
        except yamlsafe.YamlRefused as e:
            problems.append(Problem(c.rel, str(e), e.line))
        except SourceError as e:
            problems.append(Problem(c.rel, e.message, e.line))
        except OSError as e:
            problems.append(Problem(c.rel, f"cannot read: {e.strerror or e}"))
    return Inventory(str(path), tuple(files), tuple(problems), tuple(skipped))
