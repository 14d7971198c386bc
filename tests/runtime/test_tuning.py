from __future__ import annotations

from typing import Any

import pytest

from hardbake.runtime.image import ImageFacts, Pin
from hardbake.runtime.profile import BUILTIN
from hardbake.runtime.profile_load import apply_overrides
from hardbake.runtime.tuning import Runtime, detect_runtime, tune


def facts(reference: str = "example/app:1", **kw: Any) -> ImageFacts:
    return ImageFacts(reference, Pin.none, reference, reference, "test", inspected=True, **kw)


@pytest.mark.parametrize(
    ("f", "runtime", "evidence"),
    [
        (facts(labels={"dev.hardbake.runtime": "go"}), Runtime.go, "label"),
        (
            facts("hb/app:1", labels={"org.opencontainers.image.title": "java"}),
            Runtime.java,
            "image.title=java",
        ),
        (facts(env={"NODE_VERSION": "20.11.0"}), Runtime.node, "NODE_VERSION"),
        (facts(env={"JAVA_HOME": "/usr/lib/jvm/java-17"}), Runtime.java, "JAVA_HOME"),
        (facts(entrypoint=("/usr/bin/python3.11",), cmd=("app.py",)), Runtime.python, "python3.11"),
        (facts(cmd=("gunicorn", "app:app")), Runtime.python, "gunicorn"),
        (facts("docker.io/docker/node:20-alpine-hardened"), Runtime.node, "name"),
        (facts("eclipse-temurin:21-jre"), Runtime.java, "name"),
        (facts("registry.example/team/service:3"), Runtime.none, "no runtime"),
    ],
)
def test_runtime_detection_says_why(f: ImageFacts, runtime: Runtime, evidence: str) -> None:
    got, why = detect_runtime(f)
    assert got is runtime
    assert evidence in why


def test_node_heap_matches_the_articles_512m_example() -> None:
    t = tune(BUILTIN["production"], facts(env={"NODE_VERSION": "20"}))
    assert t.env == {"NODE_OPTIONS": "--max-old-space-size=256 --max-semi-space-size=32"}
    assert "256" in t.settings[0].reason and "512 MiB" in t.settings[0].reason


def test_node_keeps_the_images_other_flags_and_replaces_heap_flags() -> None:
    f = facts(env={"NODE_VERSION": "20", "NODE_OPTIONS": "--enable-source-maps --max-old-space-size=4096"})
    t = tune(BUILTIN["max-security"], f)
    assert t.env["NODE_OPTIONS"] == "--enable-source-maps --max-old-space-size=128 --max-semi-space-size=16"
    assert any("replaced" in n for n in t.notes)


def test_java_percentage_and_xmx_removal() -> None:
    t = tune(
        BUILTIN["dev"], facts(env={"JAVA_HOME": "/j", "JAVA_TOOL_OPTIONS": "-Xmx2g -Dfile.encoding=UTF-8"})
    )
    assert (
        t.env["JAVA_TOOL_OPTIONS"]
        == "-Dfile.encoding=UTF-8 -XX:MaxRAMPercentage=75.0 -XX:+ExitOnOutOfMemoryError"
    )
    small = tune(BUILTIN["production"], facts(env={"JAVA_HOME": "/j"}))
    assert "-XX:MaxRAMPercentage=50.0" in small.env["JAVA_TOOL_OPTIONS"]


def test_go_and_python_workers() -> None:
    go = tune(BUILTIN["production"], facts(), runtime="go")
    assert go.env == {"GOMEMLIMIT": "460MiB", "GOMAXPROCS": "1"}
    web = tune(apply_overrides(BUILTIN["dev"], {"memory": "2g"}), facts(cmd=("gunicorn", "app:app")))
    assert web.env == {"WEB_CONCURRENCY": "5"}  # min(2 x 2 + 1, 2048 / 128)
    tight = tune(BUILTIN["max-security"], facts(cmd=("uvicorn", "app:app")))
    assert tight.env == {"WEB_CONCURRENCY": "1"}
    plain = tune(BUILTIN["production"], facts(env={"PYTHON_VERSION": "3.11"}))
    assert plain.env == {} and "python-web" in plain.notes[0]
    forced = tune(BUILTIN["production"], facts(env={"PYTHON_VERSION": "3.11"}), runtime="python-web")
    assert forced.env == {"WEB_CONCURRENCY": "2"}


def test_user_environment_wins_and_tuning_can_be_off() -> None:
    t = tune(
        BUILTIN["production"],
        facts(env={"NODE_VERSION": "20"}),
        user_env={"NODE_OPTIONS": "--max-old-space-size=300"},
    )
    assert t.env == {} and "left as you set it" in t.notes[0]
    assert tune(BUILTIN["production"], facts(env={"NODE_VERSION": "20"}), runtime="none").env == {}
    off = apply_overrides(BUILTIN["production"], {"tune": False})
    assert tune(off, facts(env={"NODE_VERSION": "20"})).env == {}
