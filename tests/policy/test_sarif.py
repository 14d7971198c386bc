"""SARIF 2.1.0 as GitHub code scanning reads it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from hardbake.policy.check import check_paths
from hardbake.policy.sarif import to_sarif

CORPUS = Path(__file__).parent / "corpus"

# The parts of the SARIF 2.1.0 schema GitHub's upload checks (required properties, types,
# enums); the full OASIS schema is not shipped with any installed package.
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "rules"],
                                "properties": {
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id", "shortDescription", "properties"],
                                            "properties": {
                                                "properties": {
                                                    "type": "object",
                                                    "required": ["security-severity"],
                                                    "properties": {
                                                        "security-severity": {
                                                            "type": "string",
                                                            "pattern": r"^\d+\.\d$",
                                                        }
                                                    },
                                                }
                                            },
                                        },
                                    }
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["ruleId", "message", "locations"],
                            "properties": {
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {"type": "object", "required": ["text"]},
                                "locations": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation", "region"],
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "required": ["uri"],
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "required": ["startLine"],
                                                        "properties": {
                                                            "startLine": {"type": "integer", "minimum": 1}
                                                        },
                                                    },
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_sarif_document() -> None:
    result = check_paths([CORPUS], profile="production")
    doc = json.loads(json.dumps(to_sarif(result, root=CORPUS.parent)))
    jsonschema.validate(doc, SARIF_SUBSET)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith("corpus/") and not uri.startswith("/")
    fps = [r["partialFingerprints"]["hardbakeFinding/v1"] for r in run["results"]]
    assert len(set(fps)) == len(fps)
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["HB-PRIV-004"] == "error" and levels["HB-OPS-001"] == "note"
