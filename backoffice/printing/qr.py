"""QR codes (ISO/IEC 18004 Model 2, byte mode) fast enough to print 100,000 tickets in one file.

segno makes the same symbols in 10-50 ms each, nearly all of it spent choosing the data mask
(eight full matrices built and scored module by module in Python): 100,000 tickets would take
longer than anyone waits for a PDF. Here everything that depends only on the version (function
patterns, where each codeword bit goes, the eight mask patterns, the windows the penalty rules
look at) is computed once per version, and a symbol is a few dozen operations on one Python
integer holding the whole matrix, one bit per module (row-major, the top-left module the most
significant bit). Scoring a mask is then shifts, ANDs and `bit_count()` (docs/adr/0027).

What is the standard's and what is a choice:
- error correction level M, raised to Q or H when the data still fits the same version (segno's
  `boost_error` default): a bigger symbol is never chosen for the sake of correction;
- the smallest version that holds the data; byte mode only (every payload we print is ASCII:
  signed codes and pairing URLs);
- the mask with the lowest penalty (N1-N4 of ISO/IEC 18004:2015 7.8.3.1), the first on a tie,
  scored before the format and version information are placed, as segno does; a finder-like
  pattern counts as segno counts it (`_n3_sequential`).
tests/backoffice/test_print_qr.py checks every rule against segno's own scoring function and
decodes the symbols with ZXing."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import chain, zip_longest
from operator import itemgetter

from segno import consts

from backoffice.printing.qr_layout import LEVEL_H, LEVEL_M, LEVEL_Q, _layout, penalty, stride_of

_BOOST_ORDER = (LEVEL_M, LEVEL_Q, LEVEL_H)
_MODE_BYTE = 0b0100
_PAD = b"\xec\x11"


@dataclass(frozen=True)
class Symbol:
    """A QR symbol without its quiet zone: `size` x `size` modules in `bits`, row after row with
    the top-left module as the most significant bit (1 = dark), each row padded with zeros to a
    whole byte (`stride_of(size)` bits), which is already the sample layout of a 1-bit image."""

    version: int
    level: int
    mask: int
    size: int
    bits: int

    def rows(self) -> list[str]:
        """The matrix as strings of "0"/"1", one per row (for tests and debugging)."""
        n, stride = self.size, stride_of(self.size)
        text = format(self.bits, f"0{n * stride}b")
        return [text[i:i + n] for i in range(0, len(text), stride)]

    def packed_rows(self) -> bytes:
        """Rows packed 8 modules a byte, most significant bit first, each row padded to a whole
        byte: the sample layout of a 1-bit PDF image."""
        return self.bits.to_bytes(self.size * stride_of(self.size) // 8, "big")


# --------------------------------------------------------------------------- Reed-Solomon
_EXP = [0] * 512
_LOG = [0] * 256
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


def _mul(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else _EXP[_LOG[a] + _LOG[b]]


@cache
def _rs_table(ec_len: int) -> tuple[int, ...]:
    """For each feedback byte, the generator polynomial's low coefficients times that byte, packed
    into one integer of `ec_len` bytes: one table lookup per data byte instead of `ec_len`."""
    gen = [1]
    for i in range(ec_len):  # (x - a^0)(x - a^1)...(x - a^(ec_len-1)), highest degree first
        nxt = gen + [0]
        for j, coef in enumerate(gen):
            nxt[j + 1] ^= _mul(coef, _EXP[i])
        gen = nxt
    low = gen[1:]
    return tuple(int.from_bytes(bytes(_mul(c, fb) for c in low), "big") for fb in range(256))


def _ec_bytes(data: bytes, ec_len: int) -> bytes:
    table = _rs_table(ec_len)
    shift, keep = 8 * (ec_len - 1), (1 << (8 * ec_len)) - 1
    rem = 0
    for byte in data:
        rem = ((rem << 8) & keep) ^ table[(rem >> shift) ^ byte]
    return rem.to_bytes(ec_len, "big")


# --------------------------------------------------------------------------- encoding
def _version_and_level(length: int) -> tuple[int, int]:
    for version in range(1, 41):
        count_bits = 8 if version < 10 else 16
        need = 4 + count_bits + 8 * length
        if consts.SYMBOL_CAPACITY[version][LEVEL_M] >= need:
            level = LEVEL_M
            for better in _BOOST_ORDER[1:]:
                if consts.SYMBOL_CAPACITY[version][better] >= need:
                    level = better
                else:
                    break
            return version, level
    raise ValueError(f"{length} bytes do not fit in a QR code")


def _data_codewords(data: bytes, version: int, level: int) -> bytes:
    """The data codewords (7.4): mode, count, the bytes, terminator, padding to the capacity."""
    capacity = consts.SYMBOL_CAPACITY[version][level]
    count_bits = 8 if version < 10 else 16
    value = (((_MODE_BYTE << count_bits) | len(data)) << (8 * len(data))) | int.from_bytes(data, "big")
    length = 4 + count_bits + 8 * len(data)
    terminator = min(4, capacity - length)
    length += terminator
    value <<= terminator
    pad = -length % 8
    value <<= pad
    length += pad
    body = value.to_bytes(length // 8, "big")
    missing = capacity // 8 - len(body)
    return body + (_PAD * (missing // 2 + 1))[:missing]


def _codewords(data: bytes, version: int, level: int) -> bytes:
    """The final message (7.6): data codewords and each block's error correction, interleaved."""
    body = _data_codewords(data, version, level)
    plan = _blocks(version, level)
    ec = b"".join(_ec_bytes(body[start:end], plan.ec_len[i]) for i, (start, end) in enumerate(plan.spans))
    return bytes(plan.data_order(body)) + bytes(plan.ec_order(ec))


@dataclass(frozen=True)
class _BlockPlan:
    spans: tuple[tuple[int, int], ...]  # each block's slice of the data codewords
    ec_len: tuple[int, ...]
    data_order: itemgetter  # data codewords, interleaved block by block (7.6)
    ec_order: itemgetter  # the blocks' error correction codewords, interleaved


@cache
def _blocks(version: int, level: int) -> _BlockPlan:
    spans, ec_len, at = [], [], 0
    for group in consts.ECC[version][level]:
        for _ in range(group.num_blocks):
            spans.append((at, at + group.num_data))
            ec_len.append(group.num_total - group.num_data)
            at += group.num_data
    data_index = [list(range(a, b)) for a, b in spans]
    ec_index, at = [], 0
    for length in ec_len:
        ec_index.append(list(range(at, at + length)))
        at += length

    def interleave(index):
        return itemgetter(*[i for i in chain.from_iterable(zip_longest(*index)) if i is not None])

    return _BlockPlan(spans=tuple(spans), ec_len=tuple(ec_len), data_order=interleave(data_index),
                      ec_order=interleave(ec_index))


def encode(payload: str | bytes, *, mask: int | None = None) -> Symbol:
    """The QR symbol of `payload` (ASCII text or bytes). `mask` forces a mask (tests only)."""
    data = payload.encode("ascii") if isinstance(payload, str) else bytes(payload)
    version, level = _version_and_level(len(data))
    layout = _layout(version)
    codewords = _codewords(data, version, level)
    bits = format(int.from_bytes(codewords, "big"), f"0{8 * len(codewords)}b")
    bits += "0" * (layout.data_modules - len(bits))  # remainder bits
    placed = layout.place(bits)
    base = layout.base
    if mask is None:
        best = None
        for candidate, pattern in enumerate(layout.mask_bits):
            score = penalty(layout, base | (placed ^ pattern))
            if best is None or score < best[0]:
                best = (score, candidate)
        mask = best[1]
    matrix = base | (placed ^ layout.mask_bits[mask])
    matrix |= layout.format_bits(level, mask) | layout.version_bits | layout.dark_module
    return Symbol(version=version, level=level, mask=mask, size=layout.size, bits=matrix)
