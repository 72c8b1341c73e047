"""The scanner's words in the language a test runs in, from the same catalogue the phone reads
(locale/<lang>/LC_MESSAGES/djangojs.mo, compiled by tests/scanner/conftest.py), so a test says
what it expects once and checks it in English and in Spanish:

    say = Speaker("es")
    assert shown["sentence"] == say("Exit recorded. They cannot come back in.")

In Spanish a msgid the catalogue does not translate is an error of the test run, not English on
the screen: `say` refuses it, so "the Spanish words appear" is what is checked.
`english_left_on(driver)` looks at every text of the page for English the catalogue knows."""
from __future__ import annotations

import gettext
import re
from functools import lru_cache

import pytest

from tests.i18n.completeness import browser_texts, load_catalogue
from ticketcore.management.commands.compile_catalogues import ROOT

LANGUAGES = ("en", "es")
# Parametrize a test with `language` in both: @in_both_languages
in_both_languages = pytest.mark.parametrize("language", LANGUAGES)
PLACEHOLDER = re.compile(r"%\(\w+\)s")


@lru_cache(maxsize=None)
def _translations(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation("djangojs", localedir=ROOT / "locale", languages=[language])


class Speaker:
    def __init__(self, language: str) -> None:
        self.language = language
        self._t = _translations(language)

    def _checked(self, found: str, msgid: str) -> str:
        if self.language != "en" and found == msgid and not load_catalogue(self.language).is_declared_same(msgid):
            raise AssertionError(f"no {self.language} translation for {msgid!r} in djangojs.po")
        return found

    def __call__(self, msgid: str, **values) -> str:
        """gettext(msgid), then %(name)s filled in as the app's interpolate() does."""
        text = self._checked(self._t.gettext(msgid), msgid)
        return text % values if values else text

    def p(self, context: str, msgid: str, **values) -> str:
        text = self._checked(self._t.pgettext(context, msgid), msgid)
        return text % values if values else text

    def n(self, singular: str, plural: str, count: int, **values) -> str:
        text = self._t.ngettext(singular, plural, count)
        if self.language != "en" and text in (singular, plural):
            raise AssertionError(f"no {self.language} translation for {singular!r} in djangojs.po")
        return text % {"count": count, **values}


@lru_cache(maxsize=None)
def _english_fragments(language: str) -> tuple[str, ...]:
    """The English pieces of every translated msgid (the words between its placeholders) that
    its translation does not share: found on a page in `language`, nothing translated them."""
    catalogue = load_catalogue(language)
    pieces = set()
    for msgid, msgstr in catalogue.translated.items():
        for piece in PLACEHOLDER.split(msgid):
            piece = piece.strip(" .,:;“”")
            if len(piece) >= 12 and re.search(r"[A-Za-z]{3}", piece) and piece not in msgstr:
                pieces.add(piece)
    return tuple(sorted(pieces))


def english_left_on(driver, language: str) -> list[str]:
    """The texts of the page (visible or not) that carry English words of the catalogue; [] in
    English, and [] in a Spanish page with every text translated."""
    if language == "en":
        return []
    fragments = _english_fragments(language)
    return [text for text in browser_texts(driver) if any(f in text for f in fragments)]
