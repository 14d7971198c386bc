"""`hardbake run` against the real engine: limits applied, filesystem rules enforced."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from hardbake.errors import EnvError, InputError
from hardbake.runtime.engine import engine_facts
from hardbake.runtime.image import inspect_image
from hardbake.runtime.launch import create_kwargs, start
from hardbake.runtime.plan import build_plan
from hardbake.runtime.profile import BUILTIN
from hardbake.runtime.profile_load import apply_overrides

pytestmark = pytest.mark.docker


def whole_disk_of(path: str) -> str:
    """The block device (whole disk) that holds `path` on the host, e.g. /dev/vda."""
    st = os.stat(path)
    sys_dev = Path(f"/sys/dev/block/{os.major(st.st_dev)}:{os.minor(st.st_dev)}").resolve()
    if (sys_dev / "partition").exists():
        sys_dev = sys_dev.parent
    return f"/dev/{sys_dev.name}"


def run_plan(client: Any, image: str, profile: str, name: str, command: list[str], **overrides: Any) -> Any:
    p = apply_overrides(BUILTIN[profile], overrides)
    plan = build_plan(
        p,
        inspect_image(image, client),
        name=name,
        command=command,
        labels={"hardbake.test": "1"},
        engine=engine_facts(client),
    )
    return plan, start(client, plan)


def wait_logs(client: Any, cid: str) -> str:
    c = client.containers.get(cid)
    assert c.wait(timeout=60)["StatusCode"] == 0
    return str(c.logs().decode())


def test_max_security_read_only_root_and_noexec_tmpfs(docker_engine: Any, hbtest: Any, unique: Any) -> None:
    name = unique("fs")
    try:
        _plan, started = run_plan(docker_engine, hbtest.tag, "max-security", name, ["fscheck"], restart="no")
        result = json.loads(wait_logs(docker_engine, started.id))
        assert "read-only file system" in result["root_write"]
        assert result["tmp_write"] == "ok"
        assert "permission denied" in result["tmp_exec"]
        # This engine cannot limit storage; with a read-only root that is a warning, not a failure.
        if engine_facts(docker_engine).storage_quota is False:
            assert any("storage limit 1g not applied" in w for w in started.warnings)
    finally:
        docker_engine.api.remove_container(name, force=True)


def test_the_noexec_check_can_fail(docker_engine: Any, hbtest: Any, unique: Any) -> None:
    """Control: the same program with an `exec` tmpfs does run its copy, so noexec is what stopped it."""
    name = unique("fsx")
    try:
        _, started = run_plan(
            docker_engine,
            hbtest.tag,
            "max-security",
            name,
            ["fscheck"],
            restart="no",
            tmpfs=["/tmp:size=50m,exec"],
        )
        assert json.loads(wait_logs(docker_engine, started.id))["tmp_exec"] == "ok"
    finally:
        docker_engine.api.remove_container(name, force=True)


def test_the_engine_applies_every_setting(docker_engine: Any, hbtest: Any, unique: Any) -> None:
    name = unique("cfg")
    device = whole_disk_of(docker_engine.info()["DockerRootDir"])
    try:
        _plan, started = run_plan(
            docker_engine,
            hbtest.tag,
            "production",
            name,
            ["sleep", "60"],
            network="none",
            devices=[device],
            healthcheck={"test": ["/usr/local/bin/hbtest", "exit", "0"], "interval": "2s"},
        )
        attrs = docker_engine.api.inspect_container(started.id)
        host = attrs["HostConfig"]
        assert host["Memory"] == host["MemorySwap"] == 512 * 1024 * 1024
        assert host["MemoryReservation"] == 256 * 1024 * 1024
        assert host["NanoCpus"] == 500_000_000 and host["PidsLimit"] == 100
        assert host["ReadonlyRootfs"] and host["CapDrop"] == ["ALL"]
        assert host["SecurityOpt"] == ["no-new-privileges:true"]
        assert host["Tmpfs"] == {"/tmp": "size=100m,noexec,nosuid,nodev"}
        assert host["RestartPolicy"]["Name"] == "unless-stopped"
        assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-file": "3", "max-size": "10m"}}
        assert host["BlkioDeviceReadBps"] == [{"Path": device, "Rate": 10 * 1024 * 1024}]
        assert host["BlkioDeviceWriteIOps"] == [{"Path": device, "Rate": 500}]
        assert attrs["Config"]["User"] == "65532:65532"
        assert attrs["Config"]["Healthcheck"]["Test"] == ["CMD", "/usr/local/bin/hbtest", "exit", "0"]
        assert attrs["Config"]["Labels"]["dev.hardbake.profile"] == "production"
    finally:
        docker_engine.api.remove_container(name, force=True)


def test_refusals_are_hardbake_errors(docker_engine: Any, hbtest: Any, unique: Any) -> None:
    facts = inspect_image(hbtest.tag, docker_engine)
    engine = engine_facts(docker_engine)
    plan = build_plan(
        BUILTIN["max-security"], facts, name=unique("dup"), labels={"hardbake.test": "1"}, engine=engine
    )
    started = start(docker_engine, plan)
    try:
        with pytest.raises(InputError, match="already exists"):
            start(docker_engine, plan)
    finally:
        docker_engine.api.remove_container(started.id, force=True)
    missing = build_plan(BUILTIN["dev"], inspect_image("registry.invalid/none:1", docker_engine))
    with pytest.raises(InputError, match="not in the local engine"):
        start(docker_engine, missing)
    writable = apply_overrides(BUILTIN["production"], {"read_only": False})
    if engine.storage_quota is False:
        with pytest.raises(EnvError, match="cannot limit"):
            create_kwargs(build_plan(writable, facts, engine=engine))
