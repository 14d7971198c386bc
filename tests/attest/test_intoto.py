"""in-toto Statement v1, cross-checked with the in-toto attestation library's v1 model."""

from __future__ import annotations

import json

import pytest
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement as RefStatement

from hardbake.attest import intoto
from hardbake.errors import InputError

DIGEST = "sha256:" + "ab" * 32


def test_statement_shape_and_reference_library() -> None:
    st = intoto.Statement.new(
        (intoto.Subject.for_digest("reg/app", DIGEST),), "https://x.test/p", {"k": [1, 2]}
    )
    doc = json.loads(st.to_bytes())
    assert doc == {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "reg/app", "digest": {"sha256": "ab" * 32}}],
        "predicateType": "https://x.test/p",
        "predicate": {"k": [1, 2]},
    }
    pb = json_format.Parse(st.to_bytes(), statement_pb2.Statement())
    RefStatement.copy_from_pb(pb).validate()  # raises on an invalid statement
    assert st.about(DIGEST) and not st.about("sha256:" + "cd" * 32)
    assert intoto.Statement.from_bytes(st.to_bytes()) == st


@pytest.mark.parametrize(
    "doc",
    [
        {"_type": "https://in-toto.io/Statement/v0.1", "subject": [], "predicateType": "x", "predicate": {}},
        {"_type": intoto.STATEMENT_TYPE, "subject": [], "predicateType": "x", "predicate": {}},
        {
            "_type": intoto.STATEMENT_TYPE,
            "subject": [{"name": "a", "digest": {}}],
            "predicateType": "x",
            "predicate": {},
        },
        {"_type": intoto.STATEMENT_TYPE, "predicateType": "x", "predicate": {}},
    ],
)
def test_invalid_statements(doc: dict[str, object]) -> None:
    with pytest.raises(InputError, match="not an in-toto v1 statement"):
        intoto.Statement.from_bytes(json.dumps(doc).encode())
