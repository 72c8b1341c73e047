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


def test_the_compiled_catalogue_is_the_po_file():
    with (CATALOGUE / "django.po").open("rb") as po, (CATALOGUE / "django.mo").open("rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    def entries(catalogue):
        return {(m.context, m.id): m.string for m in catalogue if m.id}
    assert entries(source) == entries(compiled)
    assert {msgid for _, msgid in entries(source)} == printed_msgids()
