"""Profiles, the configuration file, and the signature rule's injected verifier."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hardbake.errors import InputError, ToolMissing
from hardbake.oci.reference import RegistryRef
from hardbake.policy.check import build_policy, check_docker_run, check_kubernetes
from hardbake.policy.config import PolicyConfig, load_config, normalise_prefix
from hardbake.policy.rules import BY_ID, RULES, Profile, SignatureResult

POD = """apiVersion: v1
kind: Pod
metadata: {name: p, namespace: NS}
spec:
  containers: [{name: c, image: "nginx:1.27"}]
"""


def _ids(text: str, **kw: object) -> set[str]:
    return {f.rule_id for f in check_kubernetes(text, **kw).findings if f.severity.name != "info"}  # type: ignore[arg-type]


def test_profiles_are_a_progression() -> None:
    prod = _ids(POD.replace("NS", "x"), profile="production")
    staging = _ids(POD.replace("NS", "x"), profile="staging")
    dev = _ids(POD.replace("NS", "x"), profile="dev")
    assert dev < staging <= prod
    for r in RULES:
        sevs = [r.severity_for(p) for p in (Profile.dev, Profile.staging, Profile.production)]
        ranks = [-1 if s is None else int(s) for s in sevs]
        assert ranks == sorted(ranks), f"{r.id} is stricter in a laxer profile"


def test_namespace_map_selects_profile(tmp_path: Path) -> None:
    cfg = tmp_path / "policy.yaml"
    cfg.write_text("namespaces: {'team-*-dev': dev, prod: production}\nprofile: staging\n")
    pol = build_policy(cfg)
    dev = check_kubernetes(POD.replace("NS", "team-a-dev"), policy=pol).findings
    other = check_kubernetes(POD.replace("NS", "misc"), policy=pol).findings
    assert {f.profile for f in dev} == {"dev"} and {f.profile for f in other} == {"staging"}
    # an explicit profile wins over the map
    forced = check_kubernetes(POD.replace("NS", "team-a-dev"), policy=pol, profile="production").findings
    assert {f.profile for f in forced} == {"production"}


def test_rule_overrides_and_fail_on(tmp_path: Path) -> None:
    cfg = tmp_path / "policy.yaml"
    cfg.write_text(
        "fail_on: medium\nallowed_registries: [docker.io/library/]\n"
        "rules:\n  HB-IMG-002: {enabled: false}\n  HB-RES-001: {severity: critical}\n"
        "profiles:\n  production: {rules: {HB-RES-001: {severity: low}}}\n"
    )
    pol = build_policy(cfg)
    r = check_kubernetes(POD.replace("NS", "x"), policy=pol)
    by = {f.rule_id: f for f in r.findings}
    assert "HB-IMG-002" not in by and "HB-IMG-001" not in by  # nginx is under the allowed prefix
    assert by["HB-RES-001"].severity.name == "low"  # the profile's override comes last
    assert pol.config.fail_on.name == "medium"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("rules: {HB-NOPE: {enabled: false}}\n", "unknown rule ids"),
        ("profile: prod\n", "profile"),
        ("fail_on: severe\n", "unknown severity"),
        ("allowed_registries: ['UPPER/']\n", "allowed registry prefix"),
        ("typo_key: 1\n", "typo_key"),
        ("- a list\n", "must be a mapping"),
        ("signature: {command: [cosign, verify]}\n", "{image}"),
    ],
)
def test_bad_config_refused(tmp_path: Path, text: str, match: str) -> None:
    cfg = tmp_path / "policy.yaml"
    cfg.write_text(text)
    with pytest.raises(InputError, match=match):
        load_config(cfg)


def test_prefix_normalisation() -> None:
    assert normalise_prefix("hardbake/") == "docker.io/hardbake/"
    assert normalise_prefix("index.docker.io/hardbake") == "docker.io/hardbake/"
    assert normalise_prefix("127.0.0.1:5000") == "127.0.0.1:5000/"
    assert normalise_prefix("ghcr.io/acme/hardened/") == "ghcr.io/acme/hardened/"
    assert PolicyConfig().allowed_registries == ["docker.io/hardbake/"]


def test_signature_rule_is_off_by_default_and_pluggable() -> None:
    line = "docker run hardbake/python:3.13 python3\n"
    assert "HB-IMG-004" not in {f.rule_id for f in check_docker_run(line).findings}
    assert BY_ID["HB-IMG-004"].enabled_by_default is False
    on = PolicyConfig.model_validate({"rules": {"HB-IMG-004": {"enabled": True}}})
    with pytest.raises(ToolMissing, match="no signature verifier"):
        build_policy(on)
    seen: list[RegistryRef] = []

    def verifier(ref: RegistryRef) -> SignatureResult:
        seen.append(ref)
        return SignatureResult(ref.tag == "signed", "no signature found")

    bad = check_docker_run(line, config=on, verifier=verifier)
    good = check_docker_run("docker run hardbake/python:signed\n", config=on, verifier=verifier)
    [f] = [f for f in bad.findings if f.rule_id == "HB-IMG-004"]
    assert "no signature found" in f.message and f.severity.name == "high"
    assert "HB-IMG-004" not in {f.rule_id for f in good.findings}
    assert [r.canonical for r in seen] == [
        "docker.io/hardbake/python:3.13",
        "docker.io/hardbake/python:signed",
    ]


def test_signature_command_verifier(tmp_path: Path) -> None:
    script = tmp_path / "verify.py"
    script.write_text(
        "import sys\nok = sys.argv[1].endswith(':good')\nprint('bad sig', file=sys.stderr)\n"
        "sys.exit(0 if ok else 1)\n"
    )
    cfg = PolicyConfig.model_validate(
        {
            "rules": {"HB-IMG-004": {"enabled": True}},
            "signature": {"command": [sys.executable, str(script), "{image}"]},
        }
    )
    r = check_docker_run("docker run hardbake/a:good\ndocker run hardbake/a:evil\n", config=cfg)
    sig = [(f.line, f.message) for f in r.findings if f.rule_id == "HB-IMG-004"]
    assert sig == [(2, "image hardbake/a:evil has no valid signature: bad sig")]


def test_path_map_selects_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "deploy" / "dev").mkdir(parents=True)
    (tmp_path / "deploy" / "dev" / "run.sh").write_text("docker run nginx:1.27\n")
    (tmp_path / "deploy" / "prod.sh").write_text("docker run nginx:1.27\n")
    cfg = PolicyConfig.model_validate({"paths": {"deploy/dev/**": "dev"}})
    monkeypatch.chdir(tmp_path)
    from hardbake.policy.check import check_paths

    for root in (Path("deploy"), tmp_path / "deploy"):  # relative or absolute, same answer
        profiles = {Path(f.file).name: f.profile for f in check_paths([root], config=cfg).findings}
        assert profiles == {"run.sh": "dev", "prod.sh": "production"}
