"""The Compose file JSON schema the tests validate generated Compose files against.

It is the schema published in the docker-compose 1.29.2 wheel on PyPI, unmodified, fetched
by scripts/peer-compose-schema (part of scripts/setup) into .tools/. It predates one property
the current compose-spec has, `deploy.resources.limits.pids` (an integer, added in 2022):
exactly that property is added here; everything else is validated as published.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).resolve().parents[3] / ".tools" / "compose-spec.json"


@cache
def compose_schema() -> dict[str, Any]:
    if not SCHEMA_FILE.exists():
        raise RuntimeError(f"{SCHEMA_FILE} is missing: run scripts/setup (scripts/peer-compose-schema)")
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text())
    limits = schema["definitions"]["deployment"]["properties"]["resources"]["properties"]["limits"]
    limits["properties"]["pids"] = {"type": "integer"}
    return schema
