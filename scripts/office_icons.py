"""Draws the box-office terminal's PNG icons (static/office/icon-192.png, icon-512.png) from the
same shapes as static/office/icon.svg: a ticket on the app's dark tile. Installable web apps
need PNG icons of 192 and 512 px (Android, desktop Chromium); the SVG stays for browsers that
take it. Run: .venv/bin/python scripts/office_icons.py (Pillow; the output is committed)."""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "office"
INK, TICKET = "#0f172a", "#fbbf24"
SUPERSAMPLE = 4


def draw(size: int) -> Image.Image:
    scale = size * SUPERSAMPLE / 64  # the SVG's viewBox is 64 units wide

    def u(*values: float) -> list[float]:
        return [v * scale for v in values]

    image = Image.new("RGBA", (size * SUPERSAMPLE,) * 2, (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle(u(0, 0, 64, 64), radius=14 * scale, fill=INK)
    pen.rectangle(u(14, 22, 50, 42), fill=TICKET)
    for cx in (14, 50):  # the ticket's two notches, radius 4 at mid-height
        pen.ellipse(u(cx - 4, 28, cx + 4, 36), fill=INK)
    for y in range(24, 40, 6):  # the tear-off line, dashes of 3 every 6
        pen.line(u(36, y, 36, min(y + 3, 40)), fill=INK, width=round(2 * scale))
    for x2, y in ((30, 30), (27, 35)):  # two lines of print
        pen.line(u(20, y, x2, y), fill=INK, width=round(2.5 * scale))
        for x in (20, x2):  # round caps
            pen.ellipse(u(x - 1.25, y - 1.25, x + 1.25, y + 1.25), fill=INK)
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    for size in (192, 512):
        draw(size).save(OUT / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
