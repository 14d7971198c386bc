"""DSSE: PAE bytes, envelopes checked by securesystemslib's independent implementation."""

from __future__ import annotations

import base64
import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from securesystemslib.dsse import Envelope as SslEnvelope
from securesystemslib.exceptions import VerificationError as SslVerificationError
from securesystemslib.signer import SSlibKey

from hardbake.attest import dsse
from hardbake.attest.keys import SigningKey
from hardbake.errors import InputError


def test_pae_matches_the_spec_example() -> None:
    # DSSE protocol.md: PAE("http://example.com/HelloWorld", "hello world")
    assert dsse.pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    assert dsse.pae("", b"") == b"DSSEv1 0  0 "
    assert dsse.pae("t", "é".encode()) == b"DSSEv1 1 t 2 \xc3\xa9"  # lengths in bytes


def _ssl_key(key: SigningKey) -> SSlibKey:
    return SSlibKey.from_crypto(key.key.public_key(), keyid=key.keyid)


@settings(max_examples=25, deadline=None)
@given(payload=st.binary(max_size=300), ptype=st.text(max_size=40))
def test_securesystemslib_verifies_our_envelopes(key: SigningKey, payload: bytes, ptype: str) -> None:
    env = dsse.sign(payload, ptype, key)
    ssl_env = SslEnvelope.from_dict(json.loads(env.to_bytes()))
    assert ssl_env.pae() == dsse.pae(ptype, payload)
    assert key.keyid in ssl_env.verify([_ssl_key(key)], 1)
    again = dsse.Envelope.from_bytes(env.to_bytes())
    assert again == env and again.verify(key.public)


def test_securesystemslib_rejects_tampering(key: SigningKey, other_key: SigningKey) -> None:
    env = dsse.sign(b'{"a":1}', dsse.INTOTO_PAYLOAD_TYPE, key)
    doc = json.loads(env.to_bytes())
    doc["payload"] = base64.b64encode(b'{"a":2}').decode()
    with pytest.raises(SslVerificationError):
        SslEnvelope.from_dict(copy.deepcopy(doc)).verify([_ssl_key(key)], 1)  # from_dict consumes its input
    assert not dsse.Envelope.from_bytes(json.dumps(doc).encode()).verify(key.public)
    # a changed payload type changes PAE: the signature no longer holds
    doc = json.loads(env.to_bytes())
    doc["payloadType"] = "application/json"
    assert not dsse.Envelope.from_bytes(json.dumps(doc).encode()).verify(key.public)
    assert not env.verify(other_key.public)


def test_malformed_envelopes() -> None:
    for bad in (b"[]", b"{}", b'{"payload":"!!","payloadType":"x","signatures":[]}', b"not json"):
        with pytest.raises(InputError, match="not a DSSE envelope"):
            dsse.Envelope.from_bytes(bad)
