"""Envelope encryption of the signing keys' private halves (docs/adr/0019).

Each signing key row holds its Ed25519 private key encrypted (AES-256-GCM) under a data key of
its own, and that data key encrypted under a key-encryption key (KEK) from the environment
(`SIGNING_KEYS_KEK`: one or more base64 32-byte keys, the first one current), with the KEK's id.
A database dump alone therefore signs nothing. Rotating the KEK re-wraps the 60-byte data keys
only (`manage.py rotate_signing_kek`); the private keys and every printed code stay the same.
Both ciphertexts are bound to the key id (associated data), so rows cannot be swapped.

Decrypted keys are cached per process by key id: codes are computed on read, and a signing key
never changes once created (re-wrapping changes its envelope, not the key)."""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12
# nonce + 32-byte secret + GCM tag: the length of both stored ciphertexts (a CHECK constraint).
SEALED_BYTES = NONCE_BYTES + 32 + 16


class KeyUnavailable(Exception):
    """The row's KEK is not configured, or the envelope does not decrypt with it."""


@dataclass(frozen=True)
class Envelope:
    private_key_sealed: bytes
    data_key_wrapped: bytes
    kek_id: str


def kek_id_of(kek: bytes) -> str:
    # Names a KEK without revealing it: 64 bits of a hash of a 256-bit random key.
    return hashlib.sha256(b"ticketcore-kek-id:" + kek).hexdigest()[:16]


def parse_keks(values: list[str]) -> list[tuple[str, bytes]]:
    """[(kek_id, key)] from SIGNING_KEYS_KEK, current first. Refuses anything not 32 bytes."""
    ring = []
    for i, value in enumerate(values):
        try:
            raw = base64.urlsafe_b64decode(value.strip().replace("+", "-").replace("/", "_"))
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise ImproperlyConfigured(
                f"SIGNING_KEYS_KEK entry {i + 1} is not a base64-encoded 32-byte key. Generate one with: "
                "python -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'")
        ring.append((kek_id_of(raw), raw))
    if not ring:
        raise ImproperlyConfigured("SIGNING_KEYS_KEK is empty.")
    return ring


_ring_cache: tuple[tuple[str, ...], list[tuple[str, AESGCM]]] | None = None
decrypted: dict[str, bytes] = {}  # key_id -> raw private key, this process
_lock = threading.Lock()


def _ring() -> list[tuple[str, AESGCM]]:
    global _ring_cache
    values = tuple(settings.SIGNING_KEYS_KEK)
    cached = _ring_cache
    if cached is None or cached[0] != values:
        cached = _ring_cache = (values, [(kid, AESGCM(raw)) for kid, raw in parse_keks(list(values))])
    return cached[1]


def current_kek_id() -> str:
    return _ring()[0][0]


def _aad(key_id: str, kek_id: str | None = None) -> bytes:
    return f"ticketcore-signing-key:{key_id}".encode() + (f":{kek_id}".encode() if kek_id else b"")


def _wrap(key_id: str, data_key: bytes) -> tuple[bytes, str]:
    kek_id, kek = _ring()[0]
    nonce = os.urandom(NONCE_BYTES)
    return nonce + kek.encrypt(nonce, data_key, _aad(key_id, kek_id)), kek_id


def _unwrap(key_id: str, wrapped: bytes, kek_id: str) -> bytes:
    kek = dict(_ring()).get(kek_id)
    if kek is None:
        raise KeyUnavailable(f"signing key {key_id} is wrapped by KEK {kek_id}, which SIGNING_KEYS_KEK does not hold")
    wrapped = bytes(wrapped)
    try:
        return kek.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _aad(key_id, kek_id))
    except InvalidTag:
        raise KeyUnavailable(f"signing key {key_id}: its data key does not decrypt with KEK {kek_id}") from None


def seal(key_id: str, private_key: bytes) -> Envelope:
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + AESGCM(data_key).encrypt(nonce, bytes(private_key), _aad(key_id))
    wrapped, kek_id = _wrap(key_id, data_key)
    return Envelope(private_key_sealed=sealed, data_key_wrapped=wrapped, kek_id=kek_id)


def unseal(key_id: str, envelope: Envelope) -> bytes:
    data_key = _unwrap(key_id, envelope.data_key_wrapped, envelope.kek_id)
    sealed = bytes(envelope.private_key_sealed)
    try:
        return AESGCM(data_key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _aad(key_id))
    except InvalidTag:
        raise KeyUnavailable(f"signing key {key_id}: the private key does not decrypt with its data key") from None


def rewrap(key_id: str, envelope: Envelope) -> Envelope:
    """The same sealed private key, its data key wrapped under the current KEK."""
    wrapped, kek_id = _wrap(key_id, _unwrap(key_id, envelope.data_key_wrapped, envelope.kek_id))
    return Envelope(private_key_sealed=bytes(envelope.private_key_sealed), data_key_wrapped=wrapped, kek_id=kek_id)


def private_key(key_id: str, envelope: Envelope) -> bytes:
    """The raw private key of `key_id`, decrypted once per process."""
    raw = decrypted.get(key_id)
    if raw is None:
        raw = unseal(key_id, envelope)
        with _lock:
            decrypted[key_id] = raw
    return raw


def forget_cached_keys() -> None:
    """Drop decrypted keys from this process (tests that change the KEK use it)."""
    with _lock:
        decrypted.clear()
