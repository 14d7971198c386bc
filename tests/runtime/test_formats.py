"""Generated configurations: valid for their format (compose-spec schema, kubernetes models, the
docker CLI itself) and shaped as the article's policy rules (issue 11) demand."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from typing import Any

import jsonschema
import pytest
import yaml
from kubernetes.client import ApiClient

from hardbake.runtime.formats import compose, docker, kubernetes
from hardbake.runtime.formats.interface import OutputFormat, render
from hardbake.runtime.image import ImageFacts, Pin
from hardbake.runtime.plan import RunPlan, build_plan
from hardbake.runtime.profile import BUILTIN
from hardbake.runtime.profile_load import apply_overrides
from hardbake.runtime.units import k8s_bytes, parse_cpus, parse_size
from hardbake.testing.compose_schema import compose_schema

SCHEMA = compose_schema()
DIGEST = "sha256:" + "ab" * 32
PINNED = f"registry.example/team/api:1.4@{DIGEST}"
NUMERIC_NON_ROOT = re.compile(r"^[1-9]\d*(:\d+)?$")


def pinned_facts(**kw: Any) -> ImageFacts:
    return ImageFacts(
        "registry.example/team/api:1.4", Pin.digest, PINNED, PINNED, "test pin", inspected=True, **kw
    )


def plan_for(profile: str, **overrides: Any) -> RunPlan:
    p = apply_overrides(BUILTIN[profile], overrides)
    return build_plan(p, pinned_facts(env={"NODE_VERSION": "20.11"}))


ALL = list(BUILTIN)
STRICT = ["staging", "production", "max-security"]
HEALTHY = {"healthcheck": {"test": ["/usr/local/bin/app", "health"]}, "devices": ["/dev/vda"]}


def strip_comments(text: str) -> str:
    return "".join(line + "\n" for line in text.splitlines() if not line.startswith("#"))


# -- Compose ---------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ALL)
def test_compose_validates_against_the_compose_spec_schema(profile: str) -> None:
    for plan in (plan_for(profile), plan_for(profile, **HEALTHY)):
        doc = yaml.safe_load(render(plan, OutputFormat.compose))
        jsonschema.Draft201909Validator(SCHEMA).validate(doc)


def test_the_schema_check_can_fail() -> None:
    doc = compose.document(plan_for("production"))
    doc["services"]["api"]["deploy"]["resources"]["limits"]["swap"] = "1g"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft201909Validator(SCHEMA).validate(doc)


def check_compose_service(svc: dict[str, Any], profile: str) -> None:
    """The article's rules (issue 11) as a policy checker would apply them to a Compose service."""
    p = BUILTIN[profile]
    assert "@sha256:" in svc["image"]
    assert NUMERIC_NON_ROOT.match(svc["user"])
    assert "no-new-privileges:true" in svc["security_opt"]
    assert svc["cap_drop"] == ["ALL"] and "cap_add" not in svc
    limits = svc["deploy"]["resources"]["limits"]
    assert parse_cpus(limits["cpus"]) == p.cpus and parse_size(limits["memory"]) == p.memory
    assert limits["pids"] == p.pids
    assert parse_size(svc["memswap_limit"]) == parse_size(limits["memory"])  # swap == memory
    if profile in STRICT:
        assert svc["read_only"] is True
        for t in svc["tmpfs"]:
            opts = t.split(":", 1)[1].split(",")
            assert {"noexec", "nosuid", "nodev"} <= set(opts) and any(o.startswith("size=") for o in opts)
        assert svc["restart"] == "unless-stopped"
        assert svc["logging"]["options"] == {"max-size": "10m", "max-file": "3"}


@pytest.mark.parametrize("profile", ALL)
def test_compose_follows_the_policy_rules(profile: str) -> None:
    svc = compose.service(plan_for(profile, **HEALTHY))
    check_compose_service(svc, profile)
    assert svc["healthcheck"]["test"] == ["CMD", "/usr/local/bin/app", "health"]
    assert svc["environment"]["NODE_OPTIONS"].startswith("--max-old-space-size=")
    if profile in STRICT:
        assert svc["blkio_config"]["device_read_bps"] == [{"path": "/dev/vda", "rate": "10m"}]
        assert svc["blkio_config"]["device_write_iops"] == [{"path": "/dev/vda", "rate": 500}]


# -- Kubernetes ------------------------------------------------------------------------------


def roundtrip(obj: dict[str, Any], model: str) -> Any:
    """Deserialize into the kubernetes client's model; every field must survive the round trip."""
    api = ApiClient()
    try:
        typed = api.deserialize(json.dumps(obj), model, "application/json")
        assert api.sanitize_for_serialization(typed) == obj, f"fields lost in {model}"
        return typed
    finally:
        api.close()


@pytest.mark.parametrize("profile", ALL)
@pytest.mark.parametrize("kind", ["deployment", "pod"])
def test_kubernetes_output_deserializes_into_the_client_models(profile: str, kind: str) -> None:
    plan = plan_for(profile, **HEALTHY)
    doc = yaml.safe_load(render(plan, OutputFormat.k8s, k8s_kind=kind))
    typed = roundtrip(doc, "V1Deployment" if kind == "deployment" else "V1Pod")
    spec = typed.spec.template.spec if kind == "deployment" else typed.spec
    pod_spec = doc["spec"]["template"]["spec"] if kind == "deployment" else doc["spec"]
    roundtrip(pod_spec, "V1PodSpec")
    container = roundtrip(pod_spec["containers"][0], "V1Container")
    assert spec.containers[0].name == container.name == "api"


def test_the_kubernetes_round_trip_can_fail() -> None:
    c = kubernetes.container(plan_for("production"))
    c["securityContext"]["readOnlyRootFilesytem"] = True  # a typo a real manifest might carry
    with pytest.raises(AssertionError, match="fields lost"):
        roundtrip(c, "V1Container")


@pytest.mark.parametrize("profile", ALL)
def test_kubernetes_follows_the_policy_rules(profile: str) -> None:
    p = BUILTIN[profile]
    plan = plan_for(profile, **HEALTHY)
    doc = kubernetes.document(plan)
    pod = doc["spec"]["template"]["spec"]
    c = pod["containers"][0]
    sc = c["securityContext"]
    assert "@sha256:" in c["image"]
    assert sc["runAsNonRoot"] is True and sc["runAsUser"] != 0 and isinstance(sc["runAsUser"], int)
    assert sc["allowPrivilegeEscalation"] is False and sc["privileged"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    limits, requests = c["resources"]["limits"], c["resources"]["requests"]
    assert parse_cpus(limits["cpu"]) == p.cpus and k8s_bytes(limits["memory"]) == p.memory
    assert set(requests) >= {"cpu", "memory"}
    assert c["livenessProbe"]["exec"]["command"] == ["/usr/local/bin/app", "health"]
    if profile in STRICT:
        assert sc["readOnlyRootFilesystem"] is True
        mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
        for v in pod["volumes"]:
            assert v["emptyDir"]["medium"] == "Memory" and v["emptyDir"]["sizeLimit"]
            assert v["name"] in mounts
    if p.storage:
        assert k8s_bytes(limits["ephemeral-storage"]) == p.storage
    text = render(plan, OutputFormat.k8s)
    assert "podPidsLimit" in text and "NodeSwap" in text  # what Kubernetes cannot say is said


def test_article_requests_in_production() -> None:
    c = kubernetes.container(plan_for("production"))
    assert c["resources"] == {
        "requests": {"cpu": "250m", "memory": "256Mi", "ephemeral-storage": "1Gi"},
        "limits": {"cpu": "500m", "memory": "512Mi", "ephemeral-storage": "2Gi"},
    }


# -- docker run ------------------------------------------------------------------------------


def command_tokens(text: str) -> list[str]:
    return shlex.split(strip_comments(text).replace("\\\n", " "))


def test_max_security_flags_are_the_articles() -> None:
    tokens = command_tokens(render(plan_for("max-security"), OutputFormat.docker))
    line = " ".join(tokens)
    for expected in (
        "--memory 256m --memory-swap 256m",
        "--cpus 0.25",
        "--pids-limit 50",
        "--read-only",
        "--tmpfs /tmp:size=50m,noexec,nosuid,nodev",
        "--storage-opt size=1g",
        "--security-opt no-new-privileges:true",
        "--cap-drop ALL",
        "--user 65532:65532",
        "--network none",
    ):
        assert expected in line
    assert tokens[:3] == ["docker", "run", "--detach"] and tokens[-1] == PINNED


def test_production_flags_are_the_articles() -> None:
    line = " ".join(command_tokens(render(plan_for("production"), OutputFormat.docker)))
    for expected in (
        "--memory 512m --memory-swap 512m",
        "--cpus 0.5",
        "--restart unless-stopped",
        "--log-opt max-size=10m --log-opt max-file=3",
        "--env 'NODE_OPTIONS=--max-old-space-size=256 --max-semi-space-size=32'".replace("'", ""),
    ):
        assert expected in line


def test_docker_healthcheck_from_a_profile_is_explained_not_faked() -> None:
    text = render(plan_for("production", **HEALTHY), OutputFormat.docker)
    assert "--health-cmd" not in command_tokens(text) and "exec-form healthcheck" in text
    assert "--device-read-bps /dev/vda:10m" in text and "--device-write-iops /dev/vda:500" in text


@pytest.mark.docker
def test_generated_docker_flags_run_on_the_engine(docker_engine: Any, hbtest: Any, unique: Any) -> None:
    """The flags are exact: the docker CLI accepts them and the engine applies every one."""
    p = apply_overrides(BUILTIN["max-security"], {"storage": None})  # this engine has no storage quota
    name = unique("flags")
    plan = build_plan(
        p,
        ImageFacts(hbtest.tag, Pin.image_id, hbtest.image_id, hbtest.tag, "test", inspected=True),
        name=name,
        labels={"hardbake.test": "1"},
        command=["sleep", "30"],
    )
    tokens = command_tokens(docker.render(plan))
    try:
        subprocess.run(tokens, check=True, capture_output=True, timeout=60)
        host = docker_engine.api.inspect_container(name)["HostConfig"]
        assert host["Memory"] == host["MemorySwap"] == 256 * 1024 * 1024
        assert host["NanoCpus"] == 250_000_000 and host["PidsLimit"] == 50
        assert host["ReadonlyRootfs"] is True and host["CapDrop"] == ["ALL"]
        assert host["Tmpfs"] == {"/tmp": "size=50m,noexec,nosuid,nodev"}
        assert host["SecurityOpt"] == ["no-new-privileges:true"] and host["NetworkMode"] == "none"
        assert host["RestartPolicy"]["Name"] == "unless-stopped"
        assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-file": "3", "max-size": "10m"}}
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)


def test_capabilities_beyond_net_bind_service_are_flagged() -> None:
    plan = plan_for("production", cap_add=["NET_BIND_SERVICE", "sys_admin"])
    assert any("SYS_ADMIN" in n and "only NET_BIND_SERVICE" in n for n in plan.notes)
    assert compose.service(plan)["cap_add"] == ["NET_BIND_SERVICE", "SYS_ADMIN"]
    assert not any("cap_add" in n for n in plan_for("production", cap_add=["NET_BIND_SERVICE"]).notes)
