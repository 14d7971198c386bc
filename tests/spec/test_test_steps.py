"""The typed test steps: probes, client commands, variants and stops validate on construction
and appear in the generated JSON Schema."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.spec.model import Probe, Variant
from hardbake.spec.model import TestStep as Step


def test_one_probe_or_several() -> None:
    one = Step.model_validate({"name": "a", "probe": {"kind": "tcp"}})
    many = Step.model_validate({"name": "b", "probe": [{"kind": "tcp"}, {"kind": "http", "status": 404}]})
    none = Step.model_validate({"name": "c"})
    assert [p.kind for p in one.probes] == ["tcp"]
    assert [p.status for p in many.probes] == [200, 404]
    assert none.probes == []


def test_a_command_probe_needs_args_and_only_it_takes_them() -> None:
    assert Probe.model_validate({"kind": "command", "args": ["pg_isready"]}).args == ["pg_isready"]
    with pytest.raises(ValidationError, match="args"):
        Probe.model_validate({"kind": "command"})
    with pytest.raises(ValidationError, match="args"):
        Probe.model_validate({"kind": "http", "args": ["curl"]})


def test_client_commands_variant_and_stop() -> None:
    s = Step.model_validate(
        {
            "name": "db",
            "variant": "dev",
            "stop": "graceful",
            "client": [{"args": ["psql", "-c", "select 1"], "exit-code": 2, "output": "x"}],
        }
    )
    assert s.variant == Variant.dev and s.stop == "graceful" and s.client[0].exit_code == 2
    with pytest.raises(ValidationError):
        Step.model_validate({"name": "x", "client": [{"args": []}]})
    with pytest.raises(ValidationError):
        Step.model_validate({"name": "x", "stop": "nicely"})
    with pytest.raises(ValidationError):
        Step.model_validate({"name": "x", "client": [{"args": ["a"], "typo": 1}]})


def test_the_schema_documents_the_new_fields() -> None:
    r = CliRunner().invoke(app, ["spec", "schema"])
    assert r.exit_code == 0
    schema = json.loads(r.stdout)
    step = schema["$defs"]["TestStep"]["properties"]
    assert {"client", "stop", "variant", "probe"} <= set(step)
    assert "command" in json.dumps(schema["$defs"]["Probe"])
    assert "HostCommand" in schema["$defs"]
