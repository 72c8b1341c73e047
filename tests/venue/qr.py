"""Reading back the QR codes TicketCore draws, as module matrices (1 = dark), so a test can say
which text a printed or rendered code carries: compared with segno's matrix of the expected
text, the same matrix means the same text (one encoder, one mask choice)."""
from __future__ import annotations

import re

import segno

BORDER = 4


def matrix_of(text: str) -> list[list[int]]:
    """The matrix of `text` as the admin and the terminal draw it (error level M), with its quiet zone."""
    rows = [[int(bool(m)) for m in row] for row in segno.make(text, error="m", micro=False).matrix]
    width = len(rows[0]) + 2 * BORDER
    blank = [[0] * width for _ in range(BORDER)]
    return blank + [[0] * BORDER + r + [0] * BORDER for r in rows] + [row[:] for row in blank]


_SVG_STEP = re.compile(r"([Mmh])\s*(-?[\d.]+)(?:[\s,]+(-?[\d.]+))?")


def matrix_from_svg(svg: str) -> list[list[int]]:
    """segno's SVG draws each row of dark modules as horizontal strokes at y + 0.5 in module units
    (`M4 4.5h7m2 0h3...`, under a scale() transform): replay the path."""
    path = re.search(r'<path[^>]*\sd="([^"]+)"', svg)
    assert path, svg[:200]
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for cmd, a, b in _SVG_STEP.findall(path.group(1)):
        if cmd == "M":
            x, y = float(a), float(b)
        elif cmd == "m":
            x, y = x + float(a), y + float(b)
        else:  # h: a run of dark modules on this row
            for col in range(round(x), round(x + float(a))):
                dark.add((int(y), col))
            x += float(a)
    size = int(re.search(r'width="(\d+)"', svg).group(1)) // int(re.search(r"scale\((\d+)\)", svg).group(1))
    return [[int((r, c) in dark) for c in range(size)] for r in range(size)]


_SGR = re.compile(r"\x1b\[([\d;]*)m")


def matrix_from_terminal(lines: list[str]) -> list[list[int]]:
    """The terminal QR of scripts/run.py: each character cell is an upper half block whose
    foreground is the upper module and background the lower one (30/40 black, 97/107 white)."""
    rows: list[list[int]] = []
    for line in lines:
        top, bottom = [], []
        fg = bg = None
        pos = 0
        for m in _SGR.finditer(line + "\x1b[m"):
            for ch in line[pos:m.start()]:
                assert ch == "\u2580", repr(ch)
                assert fg in ("30", "97") and bg in ("40", "107"), (fg, bg)
                top.append(int(fg == "30"))
                bottom.append(int(bg == "40"))
            for code in (m.group(1) or "0").split(";"):
                if code in ("30", "97"):
                    fg = code
                elif code in ("40", "107"):
                    bg = code
                elif code == "0":
                    fg = bg = None
            pos = m.end()
        rows += [top, bottom]
    return rows
