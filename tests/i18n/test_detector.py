"""The English-left detector itself (tests/i18n/completeness.py) finds what it must and only that:
a page test that can never fail would prove nothing."""
from __future__ import annotations

from tests.i18n.completeness import Catalogue, english_left, html_texts, json_texts

CATALOGUE = Catalogue(
    translated={"Pair this phone": "Vincular este teléfono", "Total": "Total", "Gate": "Puerta"},
    untranslated=frozenset({"Back to scanning"}),
)

ENGLISH = """<!doctype html><html lang="en"><head><title>Door scanner · TicketCore</title>
<style>.x { content: "Styles are not text" }</style></head><body>
<h1>Pair this phone</h1><p hidden>Back to scanning</p>
<input placeholder="Pairing code" value="typed by a person"><input type="submit" value="Pair">
<img src="x.png" alt="Event logo"><svg><title>Icon title</title></svg>
<script>const s = "Scripts are not text";</script>
<p>Total: 12</p><p>North gate</p><p>21:30 (UTC+01:00)</p><p>K7QH2MX9RA</p></body></html>"""

SPANISH = """<!doctype html><html lang="es"><head><title>Escáner de puerta · TicketCore</title></head><body>
<h1>Vincular este teléfono</h1><p hidden>Back to scanning</p>
<input placeholder="Código de vinculación"><input type="submit" value="Pair">
<img src="x.png" alt="Event logo"><p>Total: 12</p><p>Total</p><p>North gate</p><p>21:30 (UTC+01:00)</p>
<p>K7QH2MX9RA</p><p>Pair this phone</p></body></html>"""


def test_texts_are_what_people_read():
    texts = html_texts(ENGLISH)
    assert texts[:3] == ["Door scanner · TicketCore", "Pair this phone", "Back to scanning"]
    assert {"Pairing code", "Pair", "Event logo"} <= set(texts)
    assert not {"Styles are not text", "Scripts are not text", "Icon title", "typed by a person"} & set(texts)


def test_english_is_found_and_nothing_else():
    report = english_left("scanner", html_texts(SPANISH), html_texts(ENGLISH), catalogue=CATALOGUE,
                          data={"North gate"})
    found = {f.text: f.why for f in report.findings}
    assert set(found) == {"Back to scanning", "Pair", "Event logo", "Pair this phone"}, found
    assert "untranslated" in found["Back to scanning"]
    assert "never marked" in found["Pair"]
    assert "rendered without translating it" in found["Pair this phone"]
    # Not findings: a word translated to itself ("Total", also inside "Total: 12"), data ("North
    # gate"), codes and numbers, the UTC offset, the product name, texts only the English page has.
    assert "scanner" in str(report) and "make messages" in str(report)


def test_a_fully_spanish_page_passes():
    spanish = SPANISH.replace('value="Pair"', 'value="Vincular"').replace('alt="Event logo"', 'alt="Logo"') \
        .replace("<p hidden>Back to scanning</p>", "").replace("<p>Pair this phone</p>", "")
    assert not english_left("scanner", html_texts(spanish), html_texts(ENGLISH), catalogue=CATALOGUE,
                            data={"North gate"})


def test_json_texts_are_messages_and_field_problems():
    body = {"error": {"code": "invalid", "message": "Datos no válidos", "fields": {
        "name": ["This field is required."], "scans[0]": {"code": ["Too long."]}}, "tickets": ["E1-abc"]}}
    assert json_texts(body) == ["Datos no válidos", "This field is required.", "Too long."]
