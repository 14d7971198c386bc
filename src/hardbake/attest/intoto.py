"""in-toto Attestation Framework Statement v1 (in-toto/attestation spec/v1/statement.md)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hardbake.errors import InputError

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"


class Subject(BaseModel):
    """A ResourceDescriptor naming what the statement is about, by digest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    digest: dict[str, str]

    @field_validator("digest")
    @classmethod
    def _nonempty(cls, v: dict[str, str]) -> dict[str, str]:
        if not v:
            raise ValueError("a subject needs at least one digest")
        return v

    @classmethod
    def for_digest(cls, name: str, digest: str) -> Subject:
        """`sha256:<hex>` -> {name, digest: {sha256: <hex>}}."""
        algo, _, hexpart = digest.partition(":")
        if not hexpart:
            raise InputError(f"subject digest {digest!r} is not ALGO:HEX")
        return cls(name=name, digest={algo: hexpart})

    def matches(self, digest: str) -> bool:
        algo, _, hexpart = digest.partition(":")
        return self.digest.get(algo) == hexpart


class Statement(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    type_: str = Field(STATEMENT_TYPE, alias="_type")
    subject: tuple[Subject, ...]
    predicate_type: str = Field(alias="predicateType")
    predicate: dict[str, Any]

    @field_validator("type_")
    @classmethod
    def _v1(cls, v: str) -> str:
        if v != STATEMENT_TYPE:
            raise ValueError(f"expected _type {STATEMENT_TYPE}, found {v!r}")
        return v

    @field_validator("subject")
    @classmethod
    def _subjects(cls, v: tuple[Subject, ...]) -> tuple[Subject, ...]:
        if not v:
            raise ValueError("a statement needs at least one subject")
        return v

    @classmethod
    def new(cls, subjects: tuple[Subject, ...], predicate_type: str, predicate: dict[str, Any]) -> Statement:
        return cls.model_validate(
            {
                "_type": STATEMENT_TYPE,
                "subject": subjects,
                "predicateType": predicate_type,
                "predicate": predicate,
            }
        )

    def to_bytes(self) -> bytes:
        return json.dumps(
            self.model_dump(by_alias=True, mode="json"), sort_keys=True, separators=(",", ":")
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Statement:
        try:
            return cls.model_validate_json(data)
        except ValidationError as e:
            raise InputError(f"not an in-toto v1 statement: {e.errors()[0]['msg']}") from e

    def about(self, digest: str) -> bool:
        return any(s.matches(digest) for s in self.subject)
