from __future__ import annotations

from pathlib import Path

import pytest

from hardbake.errors import InputError
from hardbake.runtime.profile import BUILTIN, Profile, TmpfsMount
from hardbake.runtime.profile_load import (
    apply_overrides,
    load_profile,
    overrides_from_flags,
    parse_set,
)
from hardbake.runtime.units import GiB, MiB


def test_builtin_profiles_carry_the_articles_values() -> None:
    dev, staging, prod, maxsec = (BUILTIN[n] for n in ("dev", "staging", "production", "max-security"))
    assert (dev.memory, dev.cpus) == (GiB, 2.0)
    assert (staging.memory, staging.cpus) == (512 * MiB, 1.0)
    assert (prod.memory, prod.cpus, prod.restart) == (512 * MiB, 0.5, "unless-stopped")
    assert prod.log is not None and (prod.log.max_size, prod.log.max_file) == (10 * MiB, 3)
    assert (maxsec.memory, maxsec.cpus, maxsec.pids) == (256 * MiB, 0.25, 50)
    assert maxsec.read_only and maxsec.network == "none" and maxsec.storage == GiB
    assert maxsec.tmpfs == (TmpfsMount(path="/tmp", size=50 * MiB),)
    assert maxsec.tmpfs[0].docker_options() == "size=50m,noexec,nosuid,nodev"
    assert maxsec.no_new_privileges and maxsec.cap_drop == ("ALL",)
    # The article's Compose/Kubernetes examples: requests 256 MiB / 250m, pids 100.
    assert (prod.memory_request, prod.cpu_request, prod.pids) == (256 * MiB, 0.25, 100)


@pytest.mark.parametrize("name", list(BUILTIN))
def test_every_profile_turns_swap_off_and_drops_privileges(name: str) -> None:
    p = BUILTIN[name]
    assert p.memory_swap == p.memory
    assert p.no_new_privileges and "ALL" in p.cap_drop and not p.cap_add
    assert p.pids is not None


def test_swap_is_not_a_setting() -> None:
    with pytest.raises(ValueError, match="swap equal to memory"):
        Profile.model_validate({"name": "x", "memory": "1g", "cpus": 1, "memory_swap": "2g"})


def test_tmpfs_text_defaults_to_dockers_noexec_nosuid_nodev() -> None:
    t = TmpfsMount.model_validate("/cache:size=64m")
    assert (t.noexec, t.nosuid, t.nodev) == (True, True, True)
    t = TmpfsMount.model_validate("/cache:size=64m,exec")
    assert t.noexec is False and t.docker_options() == "size=64m,nosuid,nodev,exec"
    with pytest.raises(ValueError, match="no size"):
        TmpfsMount.model_validate("/cache:noexec")


@pytest.mark.parametrize(
    ("user", "message"),
    [("0", "root"), ("0:0", "root"), ("nonroot", "numeric"), ("root", "numeric")],
)
def test_user_must_be_numeric_and_not_root(user: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Profile.model_validate({"name": "x", "memory": "1g", "cpus": 1, "user": user})


def test_profile_file_extends_a_builtin(tmp_path: Path) -> None:
    f = tmp_path / "api.yaml"
    f.write_text("extends: production\nmemory: 768m\ntmpfs: ['/tmp:size=64m', '/var/cache:size=32m']\n")
    p = load_profile(str(f))
    assert p.name == "api" and p.memory == 768 * MiB and p.cpus == 0.5
    assert [t.path for t in p.tmpfs] == ["/tmp", "/var/cache"]


def test_unknown_keys_are_refused_with_file_line_and_field(tmp_path: Path) -> None:
    f = tmp_path / "typo.yaml"
    f.write_text(
        "extends: production\nmemory: 768m\nmemroy: 1g\n"
        "tmpfs:\n  - path: /tmp\n    size: 64m\n    noexce: true\n"
    )
    with pytest.raises(InputError) as e:
        load_profile(str(f))
    text = e.value.message
    assert f"{f}:3: field 'memroy': unknown key" in text
    assert f"{f}:7: field 'tmpfs.0.noexce': unknown key" in text
    assert "noexec" in text  # the known keys are listed


def test_bad_values_name_the_field(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("name: bad\nmemory: lots\ncpus: 1\n")
    with pytest.raises(InputError, match=r"bad.yaml:2: field 'memory'"):
        load_profile(str(f))
    with pytest.raises(InputError, match="not a built-in profile"):
        load_profile(str(tmp_path / "missing.yaml"))
    g = tmp_path / "ext.yaml"
    g.write_text("extends: huge\n")
    with pytest.raises(InputError, match="extends"):
        load_profile(str(g))


def test_overrides_validate_like_files_and_pull_requests_down() -> None:
    prod = BUILTIN["production"]
    p = apply_overrides(prod, {"memory": "64m"})
    assert p.memory == 64 * MiB and p.memory_request == 64 * MiB  # request follows the lowered limit
    p = apply_overrides(prod, parse_set(["read_only=false", "pids=300", "user=1000:1000", "storage="]))
    assert (p.read_only, p.pids, p.user, p.storage, p.storage_request) == (
        False,
        300,
        "1000:1000",
        None,
        None,
    )
    with pytest.raises(InputError, match="--set pids=0"):
        apply_overrides(prod, parse_set(["pids=0"]), raw=["--set pids=0"])
    with pytest.raises(InputError, match="unknown key"):
        apply_overrides(prod, parse_set(["colour=blue"]))
    with pytest.raises(InputError, match="FIELD=VALUE"):
        parse_set(["memory"])


def test_flag_overrides() -> None:
    overrides, raw = overrides_from_flags(
        memory="1g",
        cpus="1.5",
        pids=64,
        tmpfs=["/tmp:size=10m"],
        devices=["/dev/vda"],
        healthcheck="/app --health",
    )
    p = apply_overrides(BUILTIN["dev"], overrides, raw=raw)
    assert p.memory == GiB and p.cpus == 1.5 and p.pids == 64 and p.devices == ("/dev/vda",)
    assert p.healthcheck is not None and p.healthcheck.test == ("/app", "--health")
    with pytest.raises(InputError, match="CMD-SHELL"):
        apply_overrides(BUILTIN["dev"], {"healthcheck": {"test": ["CMD-SHELL", "curl x"]}})
