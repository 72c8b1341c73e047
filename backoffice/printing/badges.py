"""Credential badges: four per A4 sheet (95 x 138.5 mm each, for a lanyard pocket), with cut
marks. Each shows the kind on a coloured band, the holder's name, the zones it admits (by name,
with their colours), the gates, the validity window in the event's time, and a large QR code of
the credential's signed code."""
from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from reportlab.lib.colors import white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from access.models import Credential
from access.services import credential_code
from access.vocabulary import CredentialKind
from backoffice.printing import qr, words
from backoffice.printing.drawing import (
    BOLD,
    GREY,
    REGULAR,
    cut_marks,
    draw_fitted,
    draw_lines,
    draw_qr,
    label,
    new_canvas,
    notice,
    swatch,
)
from core.localtime import format_local
from events.models import Checkpoint, Event, Zone

KIND_COLORS = {CredentialKind.STAFF: "#1F3A5F", CredentialKind.VIP: "#8A6D1C"}
MAX_ZONE_LINES = 7


class BadgeSheet:
    page_size = A4
    margin = 10 * mm
    columns, rows = 2, 2

    def __init__(self):
        width, height = self.page_size
        self.cell = ((width - 2 * self.margin) / self.columns, (height - 2 * self.margin) / self.rows)
        cw, ch = self.cell
        self.origins = [(self.margin + col * cw, height - self.margin - (row + 1) * ch)
                        for row in range(self.rows) for col in range(self.columns)]
        self.xs = [self.margin + col * cw for col in range(self.columns + 1)]
        self.ys = [self.margin + row * ch for row in range(self.rows + 1)]


def render_badges(*, event: Event, credentials: Iterable[Credential], out: BinaryIO,
                  language: str | None = None) -> int:
    sheet = BadgeSheet()
    zones = {z.zone_id: z for z in Zone.objects.filter(event=event).order_by("position", "id")}
    gates = dict(Checkpoint.objects.filter(event=event).values_list("checkpoint_id", "name"))
    count = 0
    with words.in_print_language(event, language):
        c = new_canvas(out, page_size=sheet.page_size, title=f"{event.name} — {words.BADGES_TITLE}")
        for credential in credentials:
            slot = count % len(sheet.origins)
            if slot == 0 and count:
                cut_marks(c, sheet.page_size, sheet.xs, sheet.ys)
                c.showPage()
            x, y = sheet.origins[slot]
            c.saveState()
            c.translate(x, y)
            _badge(c, sheet.cell, event, credential, zones, gates)
            c.restoreState()
            count += 1
        if count:
            cut_marks(c, sheet.page_size, sheet.xs, sheet.ys)
        else:  # a page that says so: the set-up page links this document before anyone has a badge
            notice(c, sheet.page_size, event, str(words.BADGES_TITLE), str(words.NO_BADGES))
        c.save()
    return count


def _badge(c, cell, event: Event, credential: Credential, zones: dict[str, Zone], gates: dict[str, str]) -> None:
    w, h = cell
    pad = 5 * mm
    inner = w - 2 * pad
    # Band with the kind.
    band = 20 * mm
    swatch(c, 0, h - band, w, band, KIND_COLORS.get(credential.kind, "#333333"))
    c.saveState()
    c.setFillColor(white)
    draw_fitted(c, pad, h - band + 6.5 * mm, str(words.KINDS.get(credential.kind, credential.kind)).upper(), BOLD, 24,
                inner, min_size=12, align="center")
    c.restoreState()
    # Event and its date.
    draw_lines(c, pad, h - band - 3 * mm, event.name, BOLD, 10, inner, 2, min_size=7, align="center")
    draw_fitted(c, pad, h - band - 13.5 * mm, format_local(event.date_start, event.timezone), REGULAR, 8, inner,
                min_size=6, align="center")
    # The holder.
    draw_lines(c, pad, h - band - 18 * mm, credential.name, BOLD, 20, inner, 2, min_size=11, align="center")
    # Below the name: the QR code on the right, zones and gates on its left; validity under both.
    box = 52 * mm
    symbol = qr.encode(credential_code(credential))
    box_x, box_y = w - 3 * mm - box, h - band - 40 * mm - box
    draw_qr(c, symbol, box_x, box_y, box)
    col = box_x - pad
    y = box_y + box - 5 * mm
    label(c, pad, y, words.ALLOWED_ZONES, size=6.5, width=col)
    y -= 5 * mm
    allowed = [zones[z] for z in zones if z in credential.zones] if credential.zones else []
    if not allowed:
        draw_fitted(c, pad, y, str(words.ALL_ZONES), BOLD, 9, col, min_size=6)
        y -= 5 * mm
    else:
        shown = allowed if len(allowed) <= MAX_ZONE_LINES else allowed[:MAX_ZONE_LINES - 1]
        for zone in shown:
            swatch(c, pad, y - 0.6 * mm, 3.2 * mm, 3.2 * mm, zone.color)
            draw_fitted(c, pad + 4.5 * mm, y, zone.name, BOLD, 9, col - 4.5 * mm, min_size=6)
            y -= 4.6 * mm
        if len(shown) < len(allowed):
            rest = ", ".join(z.name for z in allowed[len(shown):])
            draw_fitted(c, pad, y, f"+ {rest}", REGULAR, 7, col, min_size=5)
            y -= 4.6 * mm
    y -= 1.5 * mm
    label(c, pad, y, words.GATES, size=6.5, width=col)
    names = [gates[g] for g in credential.checkpoints if g in gates]
    text = ", ".join(sorted(names)) if names else str(words.ALL_GATES)
    draw_lines(c, pad, y - 1.5 * mm, text, REGULAR, 8, col, 3, min_size=6)
    y = box_y - 6 * mm
    for caption, when in ((words.VALID_FROM, credential.valid_from), (words.VALID_UNTIL, credential.valid_until)):
        if when is None:
            continue
        label(c, pad, y, caption, size=6.5, width=28 * mm)
        draw_fitted(c, pad + 28 * mm, y, format_local(when, event.timezone), REGULAR, 8, inner - 28 * mm, min_size=6)
        y -= 5 * mm
    c.saveState()
    c.setFillColor(GREY)
    draw_fitted(c, pad, 4 * mm, str(words.BADGE_NOTE), REGULAR, 6.5, inner, min_size=5, align="center")
    c.restoreState()
