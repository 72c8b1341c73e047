"""Every printed word has its Spanish, and the compiled catalogue Django reads is the .po file:
a word added to backoffice/printing/words.py without a translation would print in English on a
Spanish event's tickets."""
from __future__ import annotations

import ast
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.utils import translation
from django.utils.translation import pgettext

from backoffice.printing import words

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "backoffice" / "locale" / "es" / "LC_MESSAGES"
SAME_IN_SPANISH = {"VIP", "Supervisor"}


def printed_msgids() -> set[str]:
    tree = ast.parse((ROOT / "backoffice" / "printing" / "words.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("pgettext", "pgettext_lazy")
                and len(node.args) == 2 and isinstance(node.args[1], ast.Constant)):
            found.add(node.args[1].value)
    return found


def test_every_printed_word_is_translated_to_spanish():
    msgids = printed_msgids()
    assert len(msgids) > 30
    with translation.override("es"):
        untranslated = {m for m in msgids if pgettext(words.CONTEXT, m) == m} - SAME_IN_SPANISH
    assert untranslated == set()
    with translation.override("en"):
        assert all(pgettext(words.CONTEXT, m) == m for m in msgids)


def spanish_catalogues() -> list:
    """The Spanish catalogues that hold printed words: backoffice/locale/ on this branch, the
    project's locale/ once they move there (docs/adr/0029)."""
    found = []
    for base in (ROOT / "locale", ROOT / "backoffice" / "locale"):
        po = base / "es" / "LC_MESSAGES" / "django.po"
        if po.exists():
            with po.open("rb") as f:
                catalogue = read_po(f)
            if any(m.context == words.CONTEXT for m in catalogue if m.id):
                found.append((po, catalogue))
    return found


def entries(catalogue) -> dict:
    return {(m.context, m.id): m.string for m in catalogue if m.id and m.context == words.CONTEXT}


def test_the_catalogues_hold_exactly_the_printed_words_and_compile_to_what_django_reads():
    catalogues = spanish_catalogues()
    assert catalogues, "no Spanish catalogue holds the printed words"
    held = {}
    for po, catalogue in catalogues:
        held.update(entries(catalogue))
        mo = po.with_suffix(".mo")
        if mo.exists():  # a committed or compiled .mo must be this .po's
            with mo.open("rb") as f:
                assert entries(read_mo(f)) == entries(catalogue), f"{mo} is stale: compile {po}"
    assert {msgid for _, msgid in held} == printed_msgids()
