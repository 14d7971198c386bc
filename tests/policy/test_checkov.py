"""hardbake against Checkov on the same Kubernetes manifests and Dockerfiles.

Checkov runs once per session over a copy of the corpus (both frameworks in one process: it
is slow to start), from the separate `.venv-peers` that scripts/peers-venv makes. Where both
tools have a rule for the same control they must agree, workload by workload; every
disagreement is listed in DISAGREEMENTS and has its own test showing why hardbake is right.
Checkov is told not to download anything (`--skip-download`) and its proxies point at a
closed loopback port, so it makes no traffic off this machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tarfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from hardbake.policy.check import check_paths
from hardbake.policy.findings import CheckResult

pytestmark = [pytest.mark.xdist_group("checkov"), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "corpus"
PEERS = Path(os.environ.get("HARDBAKE_PEERS_VENV", ROOT / ".venv-peers"))

#: Checkov check -> the hardbake rules for the same control
CONTROLS: dict[str, tuple[str, ...]] = {
    "CKV_K8S_8": ("HB-OPS-001",),
    "CKV_K8S_9": ("HB-OPS-002",),
    "CKV_K8S_10": ("HB-RES-004",),
    "CKV_K8S_11": ("HB-RES-002",),
    "CKV_K8S_12": ("HB-RES-003",),
    "CKV_K8S_13": ("HB-RES-001",),
    "CKV_K8S_14": ("HB-IMG-003",),
    "CKV_K8S_16": ("HB-PRIV-004",),
    "CKV_K8S_17": ("HB-PRIV-006",),
    "CKV_K8S_18": ("HB-PRIV-007",),
    "CKV_K8S_19": ("HB-PRIV-005",),
    "CKV_K8S_20": ("HB-PRIV-001",),
    "CKV_K8S_22": ("HB-FS-001",),
    "CKV_K8S_23": ("HB-ID-001", "HB-ID-002"),
    "CKV_K8S_25": ("HB-PRIV-003",),
    "CKV_K8S_27": ("HB-PRIV-008",),
    "CKV_K8S_31": ("HB-PRIV-009",),
    "CKV_K8S_37": ("HB-PRIV-002",),
    "CKV_K8S_43": ("HB-IMG-002",),
    "CKV_DOCKER_2": ("HB-OPS-001",),
    "CKV_DOCKER_3": ("HB-ID-002",),
    "CKV_DOCKER_7": ("HB-IMG-003",),
    "CKV_DOCKER_8": ("HB-ID-001",),
}

#: (file, workload, check) where the tools disagree, and why hardbake is right (tests below)
DISAGREEMENTS: dict[tuple[str, str, str], str] = {
    (
        "dockerfile/Dockerfile.user0",
        "Dockerfile",
        "CKV_DOCKER_8",
    ): "USER 0 is root; Checkov only knows 'root'",
    ("dockerfile/Dockerfile.zero-zero", "Dockerfile", "CKV_DOCKER_8"): "USER 0:0 is root",
    ("dockerfile/Dockerfile.rootroot", "Dockerfile", "CKV_DOCKER_8"): "USER root:root is root",
    ("dockerfile/Dockerfile.evidence", "Dockerfile", "CKV_DOCKER_8"): "USER 0:0 is root (built and run)",
    (
        "dockerfile/Dockerfile.zero-zero",
        "Dockerfile",
        "CKV_DOCKER_7",
    ): "FROM ${BASE} takes the ARG default's tag",
    (
        "dockerfile/Dockerfile.evidence",
        "Dockerfile",
        "CKV_DOCKER_7",
    ): "FROM ${BASE} takes the ARG default's tag",
    ("dockerfile/Dockerfile.rootroot", "Dockerfile", "CKV_DOCKER_2"): "HEALTHCHECK NONE disables the check",
    ("dockerfile/Dockerfile.evidence", "Dockerfile", "CKV_DOCKER_2"): "HEALTHCHECK NONE disables the check",
    (
        "kubernetes/good-deployment.yaml",
        "Deployment/api",
        "CKV_K8S_25",
    ): "PSS restricted allows NET_BIND_SERVICE",
    ("kubernetes/list.yaml", "DaemonSet/agent", "CKV_K8S_31"): "the seccomp annotation is no longer applied",
    (
        "kubernetes/pod-inherits.yaml",
        "Pod/inherit",
        "CKV_K8S_23",
    ): "a container's runAsUser 0 overrides the pod's",
    (
        "kubernetes/pod-inherits.yaml",
        "Pod/inherit",
        "CKV_K8S_31",
    ): "a container's Unconfined overrides the pod's",
}

EVIDENCE_BASE = f"hb-policy-evidence-{os.getpid()}"
EVIDENCE = f"""# Built and run by test_root_user_and_disabled_healthcheck_for_real
ARG BASE={EVIDENCE_BASE}:1.0
FROM ${{BASE}}
USER 0:0
HEALTHCHECK NONE
ENTRYPOINT ["/uid"]
"""

Verdicts = dict[tuple[str, str], dict[str, bool]]  # (file, workload) -> check -> failed


def _checkov(tree: Path) -> list[dict[str, Any]]:
    exe = PEERS / "bin" / "checkov"
    assert exe.is_file(), f"{exe} missing: run scripts/peers-venv (scripts/setup does) to install the peers"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(
        HTTPS_PROXY="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
        NO_PROXY="",
        BC_SKIP_MAPPING="TRUE",
        CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false",
        LOG_LEVEL="ERROR",
    )
    proc = subprocess.run(
        [
            str(exe),
            "-d",
            str(tree),
            "--framework",
            "kubernetes",
            "dockerfile",
            "-o",
            "json",
            "--compact",
            "--skip-download",
            "--check",
            ",".join(CONTROLS),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=tree,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    return doc if isinstance(doc, list) else [doc]


def _workload(resource: str, file: str) -> str:
    if file.startswith("dockerfile/"):
        return "Dockerfile"
    kind, _, rest = resource.partition(".")
    return f"{kind}/{rest.split('.', 1)[1] if '.' in rest else rest}"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    t = tmp_path_factory.mktemp("checkov-corpus")
    for kind in ("kubernetes", "dockerfile"):
        shutil.copytree(CORPUS / kind, t / kind)
    (t / "dockerfile" / "Dockerfile.evidence").write_text(EVIDENCE)
    return t


@pytest.fixture(scope="module")
def checkov(tree: Path) -> Verdicts:
    verdicts: Verdicts = defaultdict(dict)
    for run in _checkov(tree):
        for key, failed in (("failed_checks", True), ("passed_checks", False)):
            for c in run["results"].get(key, []):
                parts = Path(c["file_path"]).parts
                start = max(i for i, p in enumerate(parts) if p in ("kubernetes", "dockerfile"))
                file = "/".join(parts[start:])
                cell = verdicts[(file, _workload(c["resource"], file))]
                cell[c["check_id"]] = cell.get(c["check_id"], False) or failed
    return dict(verdicts)


@pytest.fixture(scope="module")
def hardbake(tree: Path) -> CheckResult:
    return check_paths([tree / "kubernetes", tree / "dockerfile"], profile="production")


def _hardbake_verdicts(result: CheckResult, tree: Path) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for f in result.findings:
        out[(str(Path(f.file).relative_to(tree)), f.workload)].add(f.rule_id)
    return out


def test_checkov_saw_the_corpus(checkov: Verdicts) -> None:
    assert ("kubernetes/bad-pod.yaml", "Pod/debug") in checkov
    assert ("dockerfile/Dockerfile.user0", "Dockerfile") in checkov
    assert len(checkov) >= 16


def test_agreement_where_both_have_the_control(checkov: Verdicts, hardbake: CheckResult, tree: Path) -> None:
    ours = _hardbake_verdicts(hardbake, tree)
    compared = 0
    disagreements: set[tuple[str, str, str]] = set()
    for (file, workload), checks in sorted(checkov.items()):
        for check, ck_failed in sorted(checks.items()):
            hb_failed = bool(ours.get((file, workload), set()) & set(CONTROLS[check]))
            compared += 1
            if hb_failed != ck_failed:
                disagreements.add((file, workload, check))
    assert compared > 150
    unexplained = disagreements - set(DISAGREEMENTS)
    assert not unexplained, (
        f"hardbake and Checkov disagree without a documented reason: {sorted(unexplained)}"
    )
    stale = set(DISAGREEMENTS) - disagreements
    assert not stale, f"documented disagreements that no longer happen: {sorted(stale)}"


def _ck(checkov: Verdicts, file: str, workload: str, check: str) -> bool:
    return checkov[(file, workload)][check]


def _rules(hardbake: CheckResult, tree: Path, file: str) -> dict[str, str]:
    return {f.rule_id: f.severity.name for f in hardbake.findings if f.file == str(tree / file)}


def test_user_0_is_root(checkov: Verdicts, hardbake: CheckResult, tree: Path) -> None:
    """`USER 0`, `USER 0:0` and `USER root:root` all run as uid 0; CKV_DOCKER_8 matches `root` only."""
    for name in ("Dockerfile.user0", "Dockerfile.zero-zero", "Dockerfile.rootroot"):
        assert _ck(checkov, f"dockerfile/{name}", "Dockerfile", "CKV_DOCKER_8") is False
        assert _rules(hardbake, tree, f"dockerfile/{name}")["HB-ID-001"] == "high"


def test_arg_base_is_resolved(checkov: Verdicts, hardbake: CheckResult, tree: Path) -> None:
    """`ARG BASE=node:20.11-bookworm` + `FROM ${BASE}` builds node:20.11-bookworm, not `latest`."""
    assert _ck(checkov, "dockerfile/Dockerfile.zero-zero", "Dockerfile", "CKV_DOCKER_7") is True
    assert "HB-IMG-003" not in _rules(hardbake, tree, "dockerfile/Dockerfile.zero-zero")


def test_healthcheck_none_is_no_healthcheck(checkov: Verdicts, hardbake: CheckResult, tree: Path) -> None:
    """`HEALTHCHECK NONE` disables the base image's check (Dockerfile reference); Checkov counts it as one."""
    assert _ck(checkov, "dockerfile/Dockerfile.rootroot", "Dockerfile", "CKV_DOCKER_2") is False
    assert "HB-OPS-001" in _rules(hardbake, tree, "dockerfile/Dockerfile.rootroot")


def test_net_bind_service_is_allowed(checkov: Verdicts, hardbake: CheckResult, tree: Path) -> None:
    """PSS restricted: capabilities.add may contain only NET_BIND_SERVICE, so adding it is allowed."""
    assert _ck(checkov, "kubernetes/good-deployment.yaml", "Deployment/api", "CKV_K8S_25") is True
    assert "HB-PRIV-003" not in _rules(hardbake, tree, "kubernetes/good-deployment.yaml")
    # and anything else added is caught by both
    assert _ck(checkov, "kubernetes/list.yaml", "DaemonSet/agent", "CKV_K8S_25") is True
    assert "HB-PRIV-003" in _rules(hardbake, tree, "kubernetes/list.yaml")


def test_seccomp_annotation_does_not_count(checkov: Verdicts, hardbake: CheckResult, tree: Path) -> None:
    """The seccomp.security.alpha.kubernetes.io annotations were deprecated in 1.19 and their support
    removed (KEP-135); only securityContext.seccompProfile confines a container on current clusters."""
    assert _ck(checkov, "kubernetes/list.yaml", "DaemonSet/agent", "CKV_K8S_31") is False
    agent = [f for f in hardbake.findings if f.workload == "DaemonSet/agent" and f.rule_id == "HB-PRIV-009"]
    assert agent and "annotation" in agent[0].message


def test_container_overrides_pod(checkov: Verdicts, hardbake: CheckResult, tree: Path) -> None:
    """A container's securityContext wins over the pod's (Kubernetes API reference, PodSecurityContext):
    container `rooted` asks for uid 0 and Unconfined seccomp; PSS restricted rejects both."""
    assert _ck(checkov, "kubernetes/pod-inherits.yaml", "Pod/inherit", "CKV_K8S_23") is False
    assert _ck(checkov, "kubernetes/pod-inherits.yaml", "Pod/inherit", "CKV_K8S_31") is False
    rooted = {f.rule_id for f in hardbake.findings if f.container == "rooted"}
    ok = {f.rule_id for f in hardbake.findings if f.container == "ok"}
    assert {"HB-ID-001", "HB-PRIV-009"} <= rooted and not ({"HB-ID-001", "HB-PRIV-009"} & ok)


@pytest.mark.docker
def test_root_user_and_disabled_healthcheck_for_real(
    checkov: Verdicts, hardbake: CheckResult, tree: Path, docker_engine: Any, tmp_path: Path
) -> None:
    """Build the evidence Dockerfile on the real engine and run it: uid 0, no health check, tag 1.0."""
    for check, failed in (("CKV_DOCKER_8", False), ("CKV_DOCKER_2", False), ("CKV_DOCKER_7", True)):
        assert _ck(checkov, "dockerfile/Dockerfile.evidence", "Dockerfile", check) is failed
    ours = _rules(hardbake, tree, "dockerfile/Dockerfile.evidence")
    assert "HB-ID-001" in ours and "HB-OPS-001" in ours and "HB-IMG-003" not in ours

    src = tmp_path / "uid.go"
    src.write_text(
        'package main\nimport ("fmt"; "os")\nfunc main() { fmt.Printf("uid=%d gid=%d\\n", '
        "os.Getuid(), os.Getgid()) }\n"
    )
    env = {
        **os.environ,
        "CGO_ENABLED": "0",
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",
        "GOCACHE": str(tmp_path / "gocache"),
        "GOPATH": str(tmp_path / "gopath"),
    }
    subprocess.run(
        ["go", "build", "-o", str(tmp_path / "root" / "uid"), str(src)],
        check=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    with tarfile.open(tmp_path / "root.tar", "w") as tar:
        tar.add(tmp_path / "root" / "uid", arcname="uid")
    base = f"{EVIDENCE_BASE}:1.0"
    built = f"{EVIDENCE_BASE}-app:1"
    try:
        subprocess.run(
            ["docker", "import", str(tmp_path / "root.tar"), base], check=True, capture_output=True
        )
        ctx = tmp_path / "ctx"
        ctx.mkdir()
        (ctx / "Dockerfile").write_text(EVIDENCE)
        docker_engine.images.build(path=str(ctx), tag=built, rm=True, network_mode="none")
        config = docker_engine.images.get(built).attrs["Config"]
        assert config["User"] == "0:0"
        assert config["Healthcheck"]["Test"] == ["NONE"]
        out = docker_engine.containers.run(built, remove=True, network_mode="none")
        assert out.decode().strip() == "uid=0 gid=0"
        # the build resolved ${BASE} to :1.0 - there is no :latest of the base to have used
        assert not docker_engine.images.list(name=f"{EVIDENCE_BASE}:latest")
    finally:
        for ref in (built, base):
            with contextlib.suppress(Exception):  # best-effort cleanup
                docker_engine.images.remove(ref, force=True)
