"""Custom Rego v1 policies: the article's example, old syntax refused, input.hardbake."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardbake.policy.check import build_policy, check_compose, check_kubernetes
from hardbake.policy.rego import RegoPolicies, RegoRefused, find_v0_rules

# The article's policy, written in Rego v1 (its original uses `deny[msg] {` and `starts_with`).
ARTICLE_V1 = """package container.security

# Require Docker Hardened Images for production
deny contains msg if {
    input.kind == "Deployment"
    input.metadata.namespace == "production"
    container := input.spec.template.spec.containers[_]
    not startswith(container.image, "docker.io/docker/")
    msg := "Production containers must use Docker Hardened Images"
}
"""
ARTICLE_V0 = """package container.security
deny[msg] {
    input.kind == "Deployment"
    input.metadata.namespace == "production"
    container := input.spec.template.spec.containers[_]
    not starts_with(container.image, "docker.io/docker/")
    msg := "Production containers must use Docker Hardened Images"
}
"""


def _deployment(ns: str, image: str) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}}}
spec:
  template:
    spec:
      containers:
      - {{name: web, image: "{image}"}}
"""


def test_article_policy_in_v1(tmp_path: Path) -> None:
    (tmp_path / "article.rego").write_text(ARTICLE_V1)
    pol = build_policy(rego=tmp_path)
    bad = check_kubernetes(_deployment("production", "node:20"), policy=pol)
    good = check_kubernetes(_deployment("production", "docker.io/docker/node:20-alpine-hardened"), policy=pol)
    other_ns = check_kubernetes(_deployment("dev", "node:20"), policy=pol)
    rego_ids = "REGO.container.security.deny"
    [hit] = [f for f in bad.findings if f.rule_id == rego_ids]
    assert hit.message == "Production containers must use Docker Hardened Images"
    assert hit.severity.name == "high" and hit.line == 1
    assert not [f for f in good.findings if f.rule_id == rego_ids]
    assert not [f for f in other_ns.findings if f.rule_id == rego_ids]


def test_old_syntax_is_refused_with_the_v1_form(tmp_path: Path) -> None:
    (tmp_path / "old.rego").write_text(ARTICLE_V0)
    with pytest.raises(RegoRefused) as e:
        RegoPolicies.load(tmp_path)
    assert "deny contains msg if {" in e.value.message and "old.rego:2" in e.value.message
    assert e.value.exit_code == 2


@pytest.mark.parametrize(
    ("src", "v1"),
    [
        ("allow {\n true\n}\n", "allow if {"),
        ("f(x) = y {\n y := x\n}\n", "f(x) := y if {"),
        ("p = true { true }\n", "p := true if {"),
        ('deny[{"msg": m}] {\n m := 1\n}\n', 'deny contains {"msg": m} if {'),
    ],
)
def test_v0_heads_detected(src: str, v1: str) -> None:
    [(line, _, got)] = find_v0_rules("package p\n" + src)
    assert line == 2 and got == v1


def test_v1_constructs_are_not_mistaken_for_v0() -> None:
    text = """package p
import rego.v1
allowed := {
    "a",  # a comment with { brace
}
obj := {"k": [1, 2]}
deny contains {"msg": "x {"} if { true }
warn contains msg if {
    x := {"a": 1}
    every k in ["a"] { x[k] }
    msg := "w"
}
default allow := false
allow if { input.a == 1 } else := true if { true }
"""
    assert find_v0_rules(text) == []
    RegoPolicies({"p.rego": text})  # and regopy compiles it


def test_unsupported_builtins_refused() -> None:
    with pytest.raises(RegoRefused, match=r"http\.send"):
        RegoPolicies({"h.rego": 'package h\ndeny contains m if { m := http.send({"url": "x"}) }\n'})
    with pytest.raises(RegoRefused, match="%q"):
        RegoPolicies({"q.rego": 'package q\ndeny contains m if { m := sprintf("%q", ["a"]) }\n'})
    with pytest.raises(RegoRefused, match="does not compile") as e:
        RegoPolicies({"e.rego": "package e\ndeny contains m if { m := }\n"})
    # regopy's own readable report (printed by its C++ core) ends up in the message, not on stdout
    assert "Invalid assignment operator" in e.value.message and "e.rego:2" in e.value.message


def test_compose_input_is_the_service_with_hardbake_view() -> None:
    pol = build_policy(
        rego=RegoPolicies(
            {
                "c.rego": """package compose.rules
deny contains {"msg": sprintf("%s: no memory limit written", [input.hardbake.workload]), "id": "ORG-MEM",
                "severity": "medium"} if {
    not input.deploy.resources.limits.memory
    not input.mem_limit
}
warn contains msg if {
    c := input.hardbake.containers[_]
    not c.hardened
    msg := sprintf("%s is not hardened (%s)", [c.name, c.image_ref.canonical])
}
"""
            }
        )
    )
    r = check_compose("services:\n  web:\n    image: nginx:1.27\n", policy=pol)
    by_id = {f.rule_id: f for f in r.findings}
    assert by_id["ORG-MEM"].message == "service web: no memory limit written"
    assert by_id["ORG-MEM"].severity.name == "medium"
    warn = by_id["REGO.compose.rules.warn"]
    assert warn.severity.name == "low" and "docker.io/library/nginx:1.27" in warn.message
