"""Ticket references: the short code a person reads off a ticket and types (printed under the QR,
keyed in by a supervisor for a ticket whose code will not scan).

Eight characters from an alphabet without look-alikes: of each confusable group only one member
at most is kept (no 0, O or Q; no 1, I or L; no 2 or Z; no 5 or S; no 8 or B; no G; no U), and
no vowels, so no words appear by chance. 20 symbols, 8
places: 20^8 = 2.56e10 codes, so a 100,000-seat event uses one in 256,000 and a guessed reference
almost never names a real ticket (it is not a secret anyway: the signed QR code is; a reference
only finds the ticket for a supervisor, who sees its seat). Unique per event by the database
(`ticket_reference_unique_per_event`); the format is a CHECK (`ticket_reference_format`).
docs/adr/0024."""
from __future__ import annotations

import re
import secrets

ALPHABET = "34679CDFHJKMNPRTVWXY"
LENGTH = 8
MAX_LENGTH = 10  # the contract allows 8 to 10 characters; the column and CHECK allow as much
REFERENCE_REGEX = rf"^[{ALPHABET}]{{{LENGTH},{MAX_LENGTH}}}$"

# Random bytes map to symbols through a table; bytes from 240 up are dropped so each of the 20
# symbols is equally likely (240 = 12 x 20). One C-level translate for a whole batch keeps
# 100,000 references well under a tenth of a second.
_USABLE = 256 - 256 % len(ALPHABET)
_TABLE = bytes(ord(ALPHABET[b % len(ALPHABET)]) if b < _USABLE else 0 for b in range(256))
_DROP = bytes(range(_USABLE, 256))

_SEPARATORS = re.compile(r"[\s\-_.]+")
_VALID = re.compile(REFERENCE_REGEX)


def _symbols(count: int) -> str:
    out = bytearray()
    while len(out) < count:
        out += secrets.token_bytes(count - len(out) + count // 8 + 8).translate(_TABLE, _DROP)
    return out[:count].decode("ascii")


def new_reference() -> str:
    """One reference (a ticket created one at a time; the database refuses a duplicate)."""
    return _symbols(LENGTH)


def new_references(count: int, *, taken: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """`count` distinct references, none of them in `taken` (an event's existing references)."""
    seen: set[str] = set(taken)
    out: list[str] = []
    while len(out) < count:
        need = count - len(out)
        text = _symbols(need * LENGTH)
        for i in range(0, len(text), LENGTH):
            ref = text[i:i + LENGTH]
            if ref not in seen:
                seen.add(ref)
                out.append(ref)
    return out


def normalize(text) -> str | None:
    """What a person typed, as a reference: case and separators ignored (`kd7h-x3rf` reads as
    `KD7HX3RF`); None if it cannot be one."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    candidate = _SEPARATORS.sub("", text).upper()
    return candidate if _VALID.match(candidate) else None


def grouped(reference: str) -> str:
    """For print: `KD7H X3RF`, easier to read aloud and to type back."""
    half = (len(reference) + 1) // 2
    return f"{reference[:half]} {reference[half:]}"
