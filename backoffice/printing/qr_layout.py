"""The version-dependent half of backoffice/printing/qr.py: where every module of a symbol of a
given version goes (function patterns, codeword placement, the eight masks) and the mask
penalty rules (ISO/IEC 18004:2015 7.8.3.1), computed once per version (docs/adr/0027)."""
from __future__ import annotations

from functools import cache
from operator import itemgetter

from segno import consts

# segno's numbering of the levels (consts.ERROR_LEVEL_*), which indexes its tables.
LEVEL_L, LEVEL_M, LEVEL_Q, LEVEL_H = consts.ERROR_LEVEL_L, consts.ERROR_LEVEL_M, consts.ERROR_LEVEL_Q, consts.ERROR_LEVEL_H

def stride_of(size: int) -> int:
    """Bits per row in a symbol's integer: the row's modules, then zeros to a whole byte."""
    return (size + 7) // 8 * 8


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
