"""Finding English left on a Spanish screen (issue 16 item 4, docs/adr/0029).

A page (or an API answer) is rendered twice, with `Accept-Language: en` and with
`Accept-Language: es`, and every text a person can read is collected from both: text nodes and
the attributes people see or hear (title, alt, placeholder, aria-label, button values). A text of
the Spanish rendering is a failure when
- it is a msgid of our catalogues whose Spanish is missing or fuzzy ("untranslated"), or
- the English rendering has the very same text ("same as English"): nothing translated it, so
  either it was never marked for translation or it is English text the catalogue does not know.
  A word that really is the same in both languages ("Total", "OK") is declared by translating it
  to itself in the .po; the data a page shows (event and gate names, codes, numbers) is passed
  as `data`, and texts without letters never count.

Nothing here is an allowlist of English words: the catalogue decides, and a text nobody marked
is caught because marking is what makes the two renderings differ. Texts that only JavaScript
writes are read from a real browser (`browser_texts`) with the same rule.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale"
SPANISH = "es"
# Product names (and the logo's initials), the same in every language.
NAMES = frozenset({"TicketCore", "TC"})
# Parts of a text that are the same in every language: UTC offsets (core/localtime.py writes
# "21:30 (UTC+01:00)") and words with a digit in them (codes, references, seats: K7QH2MX9RA, A-12).
_NEUTRAL = re.compile(r"\bUTC(?:[+-]\d{1,2}(?::\d\d)?)?\b|\w*\d\w*")

# Attributes whose text people read or hear.
_SEEN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "aria-description", "label")
_BUTTON_INPUTS = ("button", "submit", "reset")
_NOT_TEXT = ("script", "style", "template", "noscript", "svg")
_LETTER = re.compile(r"[^\W\d_]")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class Catalogue:
    """One language's catalogues (every domain), as the .po files say."""

    translated: dict[str, str]  # msgid -> msgstr, for entries with a non-fuzzy translation
    untranslated: frozenset[str]  # msgids without one (empty or fuzzy)

    def is_declared_same(self, text: str) -> bool:
        """A msgid translated to itself: the same word in both languages, on purpose."""
        return self.translated.get(text) == text


def load_catalogue(language: str = SPANISH, locale: Path = LOCALE) -> Catalogue:
    translated, untranslated = {}, set()
    for po in sorted((locale / language / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            catalog = read_po(f, locale=language)
        for message in catalog:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
            strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
            done = not message.fuzzy and all(strings)
            for i, msgid in enumerate(ids):
                if done:
                    translated[normalise(msgid)] = normalise(strings[min(i, len(strings) - 1)])
                else:
                    untranslated.add(normalise(msgid))
    return Catalogue(translated=translated, untranslated=frozenset(untranslated))


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in _NOT_TEXT:
            self._skip += 1
            return
        values = dict(attrs)
        for name in _SEEN_ATTRIBUTES:
            if values.get(name):
                self.texts.append(values[name])
        if tag == "input" and (values.get("type") or "").lower() in _BUTTON_INPUTS and values.get("value"):
            self.texts.append(values["value"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in _NOT_TEXT:
            self._skip -= 1

    def handle_endtag(self, tag):
        if tag in _NOT_TEXT and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.texts.append(data)


def html_texts(html: str) -> list[str]:
    """What a person can read on a server-rendered page, hidden sections included (scripts show
    them later): text nodes, the <title>, and the attributes above; scripts and styles are not
    text."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return [t for t in (normalise(t) for t in collector.texts) if t]


def json_texts(body, keys=("message",)) -> list[str]:
    """The human texts of a JSON answer: the values of `keys` and every string in `fields`."""
    found: list[str] = []

    def walk(value, in_fields=False):
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, str) and (k in keys or in_fields):
                    found.append(v)
                else:
                    walk(v, in_fields or k == "fields")
        elif isinstance(value, list):
            for v in value:
                if isinstance(v, str) and in_fields:
                    found.append(v)
                else:
                    walk(v, in_fields)

    walk(json.loads(body) if isinstance(body, (str, bytes)) else body)
    return [t for t in (normalise(t) for t in found) if t]


# A page's visible texts in a real browser, after its scripts ran: text nodes under <body> (also
# in hidden sections: scripts show them later) and the attributes people read or hear.
BROWSER_TEXTS_JS = """
const seen = %s, out = [document.title];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
for (let node = walker.currentNode; node; node = walker.nextNode()) {
  if (node.nodeType === Node.TEXT_NODE) {
    if (!node.parentElement.closest("script,style,template,noscript,svg")) out.push(node.data);
    continue;
  }
  for (const name of seen) if (node.getAttribute(name)) out.push(node.getAttribute(name));
  if (node.tagName === "INPUT" && ["button", "submit", "reset"].includes(node.type) && node.value) out.push(node.value);
}
return out;
""" % json.dumps(list(_SEEN_ATTRIBUTES))


def browser_texts(driver) -> list[str]:
    return [t for t in (normalise(t) for t in driver.execute_script(BROWSER_TEXTS_JS)) if t]


@dataclass
class Finding:
    text: str
    why: str

    def __str__(self) -> str:
        return f"{self.text!r}: {self.why}"


@dataclass
class Report:
    page: str
    findings: list[Finding] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.findings)

    def __str__(self) -> str:
        lines = [f"{self.page}: {len(self.findings)} text(s) still in English on the Spanish page:"]
        lines += [f"  - {f}" for f in self.findings]
        lines.append("Mark them for translation ({% translate %}, gettext, gettext.js), run `make messages`, "
                     "write the Spanish in locale/es/LC_MESSAGES/*.po (a word that is the same in Spanish: "
                     "translate it to itself); data shown by the page goes in the page's `data`.")
        return "\n".join(lines)


def _whole_words(values) -> re.Pattern | None:
    values = sorted({v for v in values if v}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, values)) + r")(?!\w)") if values else None


def _has_words(text: str, neutral: re.Pattern | None) -> bool:
    """Whether anything is left in `text` but data, names, words the catalogue declares the same
    in both languages, UTC offsets, digits and punctuation."""
    if neutral is not None:  # first: data may have digits in it (a user "i18n-manager")
        text = neutral.sub(" ", text)
    text = _NEUTRAL.sub(" ", text)
    return bool(_LETTER.search(text))


def english_left(page: str, spanish: list[str], english: list[str], *, catalogue: Catalogue,
                 data: frozenset[str] | set[str] = frozenset()) -> Report:
    """The texts of the Spanish rendering that are still English (module docstring)."""
    report = Report(page)
    in_english = set(english)
    neutral = _whole_words([normalise(d) for d in (*NAMES, *data)]
                           + [msgid for msgid, msgstr in catalogue.translated.items() if msgid == msgstr])
    for text in dict.fromkeys(spanish):  # each text once, in page order
        if not _has_words(text, neutral):
            continue
        if text in catalogue.untranslated:
            report.findings.append(Finding(text, "untranslated in the catalogue (empty or fuzzy msgstr)"))
        elif text in in_english and not catalogue.is_declared_same(text):
            known = "a msgid of the catalogue, rendered without translating it" if text in catalogue.translated \
                else "not in the catalogue: never marked for translation"
            report.findings.append(Finding(text, f"the same as on the English page ({known})"))
    return report
