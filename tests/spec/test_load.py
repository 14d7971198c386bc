"""Spec loading: every error names the file, the line and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.spec import catalog
from hardbake.spec.load import SpecError, load, parse
from hardbake.spec.model import ImageSpec

GOOD = """\
name: demo
distro: debian-13
packages:
  - python3
accounts:
  run-as: nonroot
paths:
  - {path: /etc/demo.conf, type: file, content: "x=1\\n", mode: "0640"}
tests:
  - name: runs
    args: [python3, -c, "print(1)"]
    output: "1"
"""


def test_good_spec() -> None:
    s = parse(GOOD, Path("demo.yaml"))
    assert s.spec.paths[0].mode == 0o640 and s.spec.tests[0].read_only
    assert s.line_of("paths", 0, "mode") == 8
    assert s.digest.startswith("sha256:") and s.digest == parse(GOOD + "\n# comment\n", Path("x.yaml")).digest


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: d\ndistro: debian-13\npackagez: [a]\n", "bad.yaml:3: packagez: unknown field"),
        (
            "name: d\ndistro: debian-14\n",
            "bad.yaml:2: distro: Value error, must be one of debian-12, debian-13",
        ),
        (
            "name: d\ndistro: debian-13\naccounts:\n  users:\n    - {name: x, uid: lots}\n",
            "bad.yaml:5: accounts.users[0].uid",
        ),
        (
            "name: d\ndistro: debian-13\ndrop:\n  - {package: x}\n",
            "bad.yaml:4: drop[0].reason: required field is missing",
        ),
        (
            "name: d\ndistro: debian-13\npaths:\n  - {path: etc/x, type: file, content: y}\n",
            "bad.yaml:4: paths[0].path",
        ),
        ("name: d\nname: e\n", "bad.yaml:2: duplicate key 'name'"),
        ("name: [\n", "bad.yaml:2: not valid YAML"),
        ("- a\n- b\n", "bad.yaml:1: a spec must be a mapping"),
        ("distro: debian-13\n", "name: required field is missing"),
        ("name: Demo\ndistro: debian-13\n", "bad.yaml:1: name: Value error, lowercase"),
    ],
)
def test_errors_name_file_line_and_field(text: str, expected: str) -> None:
    with pytest.raises(SpecError) as e:
        parse(text, Path("bad.yaml"))
    assert expected in e.value.message


def test_non_utf8_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_bytes(b"name: \xff\n")
    with pytest.raises(SpecError, match="not UTF-8"):
        load(tmp_path / "b.yaml")
    with pytest.raises(SpecError, match="does not exist"):
        load(tmp_path / "none.yaml")


def test_schema_is_generated_from_the_model() -> None:
    r = CliRunner().invoke(app, ["spec", "schema"])
    assert r.exit_code == 0
    schema = json.loads(r.stdout)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"name", "distro"}
    assert "run-as" in json.dumps(schema) and "allowed-programs" in schema["properties"]
    assert schema == {
        **ImageSpec.model_json_schema(by_alias=True),
        "$schema": schema["$schema"],
        "title": schema["title"],
    }


def test_every_catalog_spec_loads_and_validates_against_the_schema() -> None:
    import jsonschema
    import yaml

    schema = ImageSpec.model_json_schema(by_alias=True)
    entries = catalog.entries()
    assert entries
    for e in entries:
        jsonschema.validate(yaml.safe_load(e.path.read_text()), schema)
        assert e.load().spec.name == e.family


def test_catalog_names() -> None:
    assert catalog.find("base:debian12").distro == "debian-12"
    assert catalog.find("static:latest").distro == "debian-13"
    with pytest.raises(Exception, match=r"\.NET is not in Debian"):
        catalog.find("dotnet")
    with pytest.raises(Exception, match="no catalog image") as e:
        catalog.find("base:debian99")
    assert "debian12" in str(getattr(e.value, "hint", ""))
