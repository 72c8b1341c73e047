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

# segno's numbering of the levels (consts.ERROR_LEVEL_*), which indexes its tables.
LEVEL_L, LEVEL_M, LEVEL_Q, LEVEL_H = consts.ERROR_LEVEL_L, consts.ERROR_LEVEL_M, consts.ERROR_LEVEL_Q, consts.ERROR_LEVEL_H
_BOOST_ORDER = (LEVEL_M, LEVEL_Q, LEVEL_H)
_MODE_BYTE = 0b0100
_PAD = b"\xec\x11"


def stride_of(size: int) -> int:
    """Bits per row in a symbol's integer: the row's modules, then zeros to a whole byte."""
    return (size + 7) // 8 * 8


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


# --------------------------------------------------------------------------- one version's layout
class _Layout:
    """Everything about one version that does not depend on the data."""

    def __init__(self, version: int):
        n = self.size = version * 4 + 17
        w = self.stride = stride_of(n)
        self.version = version
        total = self.total = n * w
        grid = [[None] * n for _ in range(n)]  # None = data module; 0/1 = function module

        def put(r, c, v):
            grid[r][c] = v

        # Finder patterns with their separators (6.3.3, 6.3.4).
        for top, left in ((0, 0), (0, n - 7), (n - 7, 0)):
            for dr in range(-1, 8):
                for dc in range(-1, 8):
                    r, c = top + dr, left + dc
                    if 0 <= r < n and 0 <= c < n:
                        ring = max(abs(dr - 3), abs(dc - 3))
                        put(r, c, 1 if ring in (0, 1, 3) else 0)
        # Format information areas and the dark module: 0 while the masks are scored.
        for i in range(9):
            put(i, 8, 0)
            put(8, i, 0)
        for i in range(8):
            put(n - 1 - i, 8, 0)
            put(8, n - 1 - i, 0)
        # Version information areas (version 7 and up).
        if version >= 7:
            for i in range(6):
                for j in range(3):
                    put(n - 11 + j, i, 0)
                    put(i, n - 11 + j, 0)
        # Timing patterns (6.3.5).
        for i in range(8, n - 8):
            put(6, i, 1 - i % 2)
            put(i, 6, 1 - i % 2)
        # Alignment patterns (6.3.6).
        if version >= 2:
            positions = consts.ALIGNMENT_POS[version - 2]
            corners = {(positions[0], positions[0]), (positions[0], positions[-1]), (positions[-1], positions[0])}
            for cy in positions:
                for cx in positions:
                    if (cy, cx) in corners:
                        continue
                    for dr in range(-2, 3):
                        for dc in range(-2, 3):
                            put(cy + dr, cx + dc, 1 if max(abs(dr), abs(dc)) != 1 else 0)

        def bit(r, c):
            return 1 << (total - 1 - (r * w + c))

        self.bit = bit
        self.full = sum(bit(r, c) for r in range(n) for c in range(n))  # every module, no padding
        self.base = sum(bit(r, c) for r in range(n) for c in range(n) if grid[r][c] == 1)
        region = [(r, c) for r in range(n) for c in range(n) if grid[r][c] is None]
        self.region = sum(bit(r, c) for r, c in region)

        # Codeword placement (7.7.3): two-module columns from the right, up then down, skipping
        # the vertical timing column.
        order = []
        right = n - 1
        upwards = True
        while right > 0:
            if right == 6:
                right -= 1
            rows = range(n - 1, -1, -1) if upwards else range(n)
            for r in rows:
                for c in (right, right - 1):
                    if grid[r][c] is None:
                        order.append((r, c))
            upwards = not upwards
            right -= 2
        self.data_modules = len(order)
        position = {rc: k for k, rc in enumerate(order)}
        sentinel = len(order)  # index of the "0" appended to the bit string for function modules
        self._place = itemgetter(*[position.get((r, c), sentinel) for r in range(n) for c in range(w)])

        masks = (
            lambda i, j: (i + j) % 2 == 0,
            lambda i, j: i % 2 == 0,
            lambda i, j: j % 3 == 0,
            lambda i, j: (i + j) % 3 == 0,
            lambda i, j: (i // 2 + j // 3) % 2 == 0,
            lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
            lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
            lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
        )
        self.mask_bits = tuple(sum(bit(r, c) for r, c in region if fn(r, c)) for fn in masks)

        self.version_bits = 0
        if version >= 7:
            info = consts.VERSION_INFO[version - 7]
            for i in range(6):
                for j in range(3):
                    if (info >> (i * 3 + j)) & 1:
                        self.version_bits |= bit(n - 11 + j, i) | bit(i, n - 11 + j)
        self.dark_module = bit(n - 8, 8)

        # Windows for the penalty rules: positions where a window of `w` modules starting there
        # stays inside its row (horizontal) or its column (vertical).
        def starts(w, vertical):
            return sum(bit(r, c) for r in range(n) for c in range(n) if (r if vertical else c) + w <= n)

        self.h5, self.v5 = starts(5, False), starts(5, True)
        self.h7, self.v7 = starts(7, False), starts(7, True)
        self.rows = tuple(sum(bit(r, c) for c in range(n)) for r in range(n))
        self.cols = tuple(sum(bit(r, c) for r in range(n)) for c in range(n))
        self.block = sum(bit(r, c) for r in range(n - 1) for c in range(n - 1))
        # For the finder-like rule, which counts the quiet zone beyond the edge as light: what the
        # four modules before a match read when they fall off the row's start (the previous
        # row's last four bit columns, or the bits above the first row), and the four after it
        # when they fall off the row's end (the padding, or the next row's first four columns).
        # A match starts at least seven modules before the row's end, so its own row's reads
        # never touch those columns.
        last4 = sum(bit(r, c) for r in range(n) for c in range(w - 4, w))
        pad_first4 = sum(bit(r, c) for r in range(n) for c in (*range(4), *range(n, w)))
        self.before_fill = {1: last4 | (0b1111 << total), w: ((1 << 4 * w) - 1) << total}
        self.after_fill = {1: pad_first4, w: 0}


    def place(self, bits: str) -> int:
        """The data bit string (MSB first) laid into the matrix, function modules 0."""
        return int("".join(self._place(bits + "0")), 2)

    @cache  # noqa: B019 (layouts live as long as the process, like the cache)
    def format_bits(self, level: int, mask: int) -> int:
        """Format information (7.9.1) for `level` and `mask`, in both copies."""
        fmt = mask + {LEVEL_M: 0x00, LEVEL_L: 0x08, LEVEL_H: 0x10, LEVEL_Q: 0x18}[level]
        info = consts.FORMAT_INFO[fmt]
        n, bit, out = self.size, self.bit, 0
        for i in range(8):
            vbit, hbit = (info >> i) & 1, (info >> (14 - i)) & 1
            skip = 1 if i >= 6 else 0  # step over the timing pattern
            if vbit:
                out |= bit(i + skip, 8) | bit(8, n - 1 - i)
            if hbit:
                out |= bit(8, i + skip) | bit(n - 1 - i, 8)
        return out


@cache
def _layout(version: int) -> _Layout:
    return _Layout(version)


# --------------------------------------------------------------------------- penalty (7.8.3.1)
def _n3_sequential(line: str) -> int:
    """segno's finder-like count for one row or column ("0"/"1" text): a match that begins
    inside an earlier counted match is not searched for. Only run where two matches overlap."""
    size, count, idx = len(line), 0, line.find("1011101")
    while idx != -1:
        offset = idx + 7
        if idx in (0, size - 7) or "1" not in line[max(idx - 4, 0):idx] or "1" not in line[offset:offset + 4]:
            count += 40
        else:
            offset = idx + 4
        idx = line.find("1011101", offset)
    return count


def penalty(layout: _Layout, m: int) -> int:
    """The mask penalty N1 + N2 + N3 + N4 of matrix `m` (format and version areas blank)."""
    n, w, full = layout.size, layout.stride, layout.full
    light = m ^ full
    score = 0
    same = {}
    for step, w5, w7 in ((1, layout.h5, layout.h7), (w, layout.v5, layout.v7)):
        # N1: a run of 5 + i same-coloured modules scores 3 + i, that is one per window of five
        # plus 2 per run. `eq`: the module is the colour of the next one along this direction.
        eq = same[step] = m ^ (m << step) ^ full
        eq2 = eq & (eq << step)
        win = eq2 & (eq2 << 2 * step) & w5
        score += win.bit_count() + 2 * (win ^ (win & (win >> step))).bit_count()
        # N3: dark-light-dark-dark-dark-light-dark with four light modules before or after
        # (the quiet zone beyond the edge counts as light).
        found = (m & (light << step) & (m << 2 * step) & (m << 3 * step) & (m << 4 * step)
                 & (light << 5 * step) & (m << 6 * step) & w7)
        if found:
            # Light at 1-4 modules before: four shifted copies ANDed in two steps.
            lit = light | layout.before_fill[step]
            pair = lit & (lit >> step)
            before = (pair & (pair >> 2 * step)) >> step
            # Light at 7-10 modules after; below the last module, ten virtual light ones.
            tail = 10 * step
            lit = ((light | layout.after_fill[step]) << tail) | ((1 << tail) - 1)
            pair = lit & (lit << step)
            after = (pair & (pair << 2 * step)) >> 3 * step
            counted = found & (before | after)
            score += 40 * counted.bit_count()
            overlapping = found & ((counted >> 4 * step) | (counted >> 6 * step))
            if overlapping:  # rare: count those lines as segno's search does
                score += _n3_lines(layout, m, counted, overlapping, vertical=step != 1)
    # N2: each 2x2 block of one colour scores 3.
    across, down = same[1], same[w]
    score += 3 * (across & (across << w) & down & layout.block).bit_count()
    # N4: 10 per 5 % the dark share strays from 50 % (segno's arithmetic, to tie-break alike).
    percent = float(m.bit_count()) / (n * n)
    return score + 10 * int(abs(percent * 100 - 50) / 5)


def _n3_lines(layout: _Layout, m: int, counted: int, overlapping: int, *, vertical: bool) -> int:
    """The correction for the rows (or columns) where a finder-like match begins inside another:
    their count by segno's sequential search minus what the bitwise count gave them."""
    n, w, total = layout.size, layout.stride, layout.total
    text = format(m, f"0{total}b")
    lines = set()
    while overlapping:
        idx = total - overlapping.bit_length()  # the first bit (row-major) still set
        lines.add(idx % w if vertical else idx // w)
        overlapping &= ~(1 << (total - 1 - idx))
    correction = 0
    for line in lines:
        line_mask = layout.cols[line] if vertical else layout.rows[line]
        correction -= 40 * (counted & line_mask).bit_count()
        correction += _n3_sequential(text[line::w] if vertical else text[line * w:line * w + n])
    return correction


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
