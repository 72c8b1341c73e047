"""Signed QR payloads for tickets and credentials.

Format: `<kind>.<object_id>.<key_id>.<signature>` where kind is `T` (ticket) or `C` (credential)
and the signature is Ed25519 over `<kind>.<object_id>.<key_id>`, base64url without padding.
Ed25519 signatures are deterministic, so a ticket's code is computed when it is read and never
stored; the key id lets keys rotate while old printed codes stay valid. A scanner can verify a
code offline with the event's public keys alone (see docs/adr/0003).

Signing uses `cryptography` (OpenSSL); verification, which every scan pays for, uses libsodium
through PyNaCl: about 53 us instead of 104 us here, and cffi releases the GIL during the call, so
the other request threads of a worker keep running (docs/adr/0016). Both implement RFC 8032
Ed25519 over the same raw 32-byte keys."""
from __future__ import annotations

import base64
import binascii
import re
import threading
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

KIND_TICKET = "T"
KIND_CREDENTIAL = "C"
# A 64-byte signature is 86 base64url characters: 516 bits for 512, so the last character carries
# four spare bits that decoders ignore. Only the canonical spelling (spare bits zero: A, Q, g or w)
# is accepted, so a code has exactly one valid spelling (static/scanner/offline.js does the same).
_CODE_RE = re.compile(r"^([TC])\.([A-Za-z0-9-]{1,64})\.([A-Za-z0-9]{1,12})\.([A-Za-z0-9_-]{85}[AQgw])$")
MAX_CODE_LENGTH = 200

# Keys never change once created, so caching them per process is safe (revocation is not a key
# concept here: devices and credentials are revoked, not keys).
_public_cache: dict[str, tuple[str, VerifyKey]] = {}
_private_cache: dict[str, Ed25519PrivateKey] = {}
_lock = threading.Lock()


class CodeInvalid(Exception):
    """The code is malformed, signed by an unknown key, or its signature does not verify."""


@dataclass(frozen=True)
class VerifiedCode:
    kind: str
    object_id: str
    key_id: str
    event_id: str


def new_keypair() -> tuple[bytes, bytes]:
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw_private, raw_public


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(*, key_id: str, private_key: bytes, kind: str, object_id: str) -> str:
    with _lock:
        signer = _private_cache.get(key_id)
        if signer is None:
            signer = _private_cache[key_id] = Ed25519PrivateKey.from_private_bytes(bytes(private_key))
    message = f"{kind}.{object_id}.{key_id}"
    return f"{message}.{b64url(signer.sign(message.encode()))}"


def _public_key(key_id: str) -> tuple[str, VerifyKey] | None:
    cached = _public_cache.get(key_id)
    if cached is not None:
        return cached
    from events.models import SigningKey

    row = SigningKey.objects.filter(key_id=key_id).values_list("event_id", "public_key").first()
    if row is None:
        return None
    entry = (row[0], VerifyKey(bytes(row[1])))
    with _lock:
        _public_cache[key_id] = entry
    return entry


def verify(code: str) -> VerifiedCode:
    """Verify a code's signature. Touches no ticket or credential row."""
    if not isinstance(code, str) or len(code) > MAX_CODE_LENGTH:
        raise CodeInvalid("malformed")
    match = _CODE_RE.match(code.strip())
    if not match:
        raise CodeInvalid("malformed")
    kind, object_id, key_id, signature = match.groups()
    key = _public_key(key_id)
    if key is None:
        raise CodeInvalid("unknown key")
    event_id, public = key
    try:
        public.verify(f"{kind}.{object_id}.{key_id}".encode(), _unb64url(signature))
    except (BadSignatureError, binascii.Error, ValueError):
        raise CodeInvalid("bad signature")
    return VerifiedCode(kind=kind, object_id=object_id, key_id=key_id, event_id=event_id)


def active_key(event_id: str):
    from events.models import SigningKey

    # The private key is decrypted from these once per process (events/keyring.py).
    return SigningKey.objects.only("key_id", "private_key_sealed", "data_key_wrapped", "kek_id").get(
        event_id=event_id, active=True)


def ticket_code(ticket, key=None) -> str:
    key = key or active_key(ticket.event_id)
    return sign(key_id=key.key_id, private_key=key.private_key, kind=KIND_TICKET, object_id=ticket.ticket_id)
