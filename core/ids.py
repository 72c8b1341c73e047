import os
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
# Bytes 0..247 map evenly onto the 62 characters (248 = 4 * 62); larger bytes are dropped.
_TABLE = bytes(ord(_ALPHABET[b % 62]) for b in range(256))
_DROP = bytes(range(248, 256))


def firestore_id(length: int = 20) -> str:
    """A random id shaped like Firestore's auto ids (20 characters of [A-Za-z0-9])."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def firestore_ids(count: int, length: int = 20) -> list[str]:
    """`count` Firestore-like ids at once (ticket generation makes 100,000 in a few ms)."""
    need = count * length
    out = bytearray()
    while len(out) < need:
        out += os.urandom(need - len(out) + need // 30 + 16).translate(None, _DROP)
    text = bytes(out[:need]).translate(_TABLE).decode()
    return [text[i : i + length] for i in range(0, need, length)]


def short_id(length: int = 8) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
