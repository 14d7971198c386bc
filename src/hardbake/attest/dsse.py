"""DSSE v1 envelopes (secure-systems-lab/dsse, "protocol.md").

The signature covers PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body,
lengths as ASCII decimal byte counts. The envelope is JSON with the body base64 encoded.
Verification answers with a value saying what failed, never by printing.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from hardbake.attest.keys import SigningKey, VerifyingKey
from hardbake.errors import InputError

INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    """Pre-Authentication Encoding of DSSE v1."""
    t = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(t), t, len(payload), payload)


@dataclass(frozen=True)
class Signature:
    keyid: str
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "payloadType": self.payload_type,
            "payload": base64.b64encode(self.payload).decode(),
            "signatures": [
                {"keyid": s.keyid, "sig": base64.b64encode(s.sig).decode()} for s in self.signatures
            ],
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Envelope:
        """Parse an envelope; raises InputError naming the malformed part."""
        try:
            doc = json.loads(data)
            sigs = tuple(
                Signature(str(s.get("keyid", "")), base64.b64decode(s["sig"], validate=True))
                for s in doc["signatures"]
            )
            return cls(str(doc["payloadType"]), base64.b64decode(doc["payload"], validate=True), sigs)
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as e:
            raise InputError(f"not a DSSE envelope: {type(e).__name__}: {e}") from e

    def verify(self, key: VerifyingKey) -> bool:
        """True if any signature is by `key` over PAE(payloadType, payload)."""
        message = pae(self.payload_type, self.payload)
        return any(key.verify(s.sig, message) for s in self.signatures)


def sign(payload: bytes, payload_type: str, key: SigningKey) -> Envelope:
    """A one-signature envelope over `payload`."""
    return Envelope(payload_type, payload, (Signature(key.keyid, key.sign(pae(payload_type, payload))),))
