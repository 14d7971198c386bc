"""The corpus: manifests, Compose files, Dockerfiles and docker run lines with expected findings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hardbake.policy.check import check_paths

CORPUS = Path(__file__).parent / "corpus"
EXPECTED: dict[str, list[str]] = yaml.safe_load((CORPUS / "expected.yaml").read_text())


def test_every_corpus_file_has_expectations() -> None:
    files = {
        f"{p.parent.name}/{p.name}"
        for k in ("kubernetes", "compose", "dockerfile", "docker-run")
        for p in (CORPUS / k).iterdir()
    }
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_findings(name: str) -> None:
    result = check_paths([CORPUS / name], profile="production")
    got = sorted(f"{f.rule_id}@{f.line} {f.severity.name}" for f in result.findings)
    assert got == EXPECTED[name]
    for f in result.findings:
        assert f.fix and f.message and f.line >= 1 and f.file.endswith(name.split("/")[1])


def test_good_inputs_pass_production() -> None:
    good = [
        CORPUS / n
        for n in (
            "kubernetes/good-deployment.yaml",
            "compose/good-compose.yaml",
            "dockerfile/Dockerfile.good",
            "dockerfile/Dockerfile.inherit",
        )
    ]
    result = check_paths(good, profile="production")
    assert [f for f in result.findings if f.severity.name != "info"] == []


def test_directory_discovery_finds_all_four_sources() -> None:
    result = check_paths([CORPUS], profile="production")
    assert {f.source for f in result.findings} == {"kubernetes", "compose", "dockerfile", "docker-run"}
    assert not any(f.file.endswith("expected.yaml") for f in result.findings)  # YAML, but no workload
    assert not any(f.endswith("regen.py") for f in result.files)


def test_kubernetes_json_paths_point_at_the_field() -> None:
    result = check_paths([CORPUS / "kubernetes/bad-pod.yaml"])
    by_rule = {f.rule_id: f for f in result.findings}
    assert by_rule["HB-ID-001"].path == "$.spec.containers[0].securityContext.runAsUser"
    assert by_rule["HB-PRIV-005"].path == "$.spec.hostNetwork"
    assert by_rule["HB-PRIV-008"].path == "$.spec.volumes[0].hostPath.path"
    assert by_rule["HB-IMG-003"].path == "$.spec.containers[0].image"


def test_docs_rules_table_matches_the_code() -> None:
    from hardbake.policy.rules import RULES, Profile

    docs = (Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text()
    for r in RULES:
        sev = [
            (s.name if (s := r.severity_for(p)) is not None else "off")
            for p in (Profile.production, Profile.staging, Profile.dev)
        ]
        if not r.enabled_by_default:
            sev = [f"{x} (opt-in)" for x in sev]
        assert f"| {r.id} | {r.title} | {' | '.join(sev)} |" in docs, r.id


def test_unparseable_files_in_a_walk_are_reported_not_fatal(tmp_path: Path) -> None:
    from hardbake.errors import InputError

    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "deploy.yaml").write_text(
        "kind: Deployment\nspec:\n  replicas: {{ .Values.n }}\n  x: [\n"
    )
    (tmp_path / "Dockerfile").write_text("RUN true\n")
    (tmp_path / "ok.sh").write_text("docker run --privileged alpine:3\n")
    result = check_paths([tmp_path])
    by_file = {Path(f.file).name: f for f in result.findings if f.rule_id == "HB-SRC-001"}
    assert set(by_file) == {"deploy.yaml", "Dockerfile"}
    assert by_file["deploy.yaml"].line >= 3 and "not valid YAML" in by_file["deploy.yaml"].message
    assert any(f.rule_id == "HB-PRIV-004" for f in result.findings)  # the rest was still checked
    with pytest.raises(InputError, match="not valid YAML"):
        check_paths([tmp_path / "templates" / "deploy.yaml"])  # named explicitly: an input error
