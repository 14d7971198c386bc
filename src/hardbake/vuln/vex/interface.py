"""VEX statements in one shape, whatever document format they came from.

OpenVEX, CycloneDX VEX and CSAF VEX are each read into `Statement`s: a vulnerability (with
aliases), a status in OpenVEX's vocabulary, the products it is about, who said it and when.
A product is either a package (purl) or a scope — an image or product identified by purl
and/or digest — with the packages inside it as subcomponents. A statement about a scope
applies only to a target that *is* that scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hardbake.errors import InputError

STATUSES = ("not_affected", "affected", "fixed", "under_investigation")
JUSTIFICATIONS = (
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
)


class VexError(InputError):
    """A VEX document that cannot be read (exit 2)."""


@dataclass(frozen=True)
class Product:
    purl: str | None = None
    digests: tuple[str, ...] = ()  # "sha256:<hex>" of the product (image digest)
    subcomponents: tuple[str, ...] = ()  # package purls inside this product


@dataclass(frozen=True)
class Statement:
    vulnerability: str
    aliases: tuple[str, ...]
    status: str
    products: tuple[Product, ...]
    author: str
    timestamp: datetime
    document: str
    justification: str | None = None
    impact_statement: str | None = None
    action_statement: str | None = None
    status_notes: str | None = None
    statement_id: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise VexError(f"{self.document}: unknown VEX status {self.status!r}", hint=f"one of {STATUSES}")
        if self.justification is not None and self.justification not in JUSTIFICATIONS:
            raise VexError(f"{self.document}: unknown justification {self.justification!r}")

    @property
    def ids(self) -> frozenset[str]:
        return frozenset((self.vulnerability, *self.aliases))


def parse_time(text: object, where: str) -> datetime | None:
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise VexError(f"{where}: timestamp {text!r} is not a string")
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as e:
        raise VexError(f"{where}: timestamp {text!r} is not RFC 3339") from e
    if t.tzinfo is None:
        raise VexError(f"{where}: timestamp {text!r} has no time zone")
    return t
