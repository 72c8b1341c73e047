"""An event's printed outputs are in the event's language, whoever asks (core/i18n.py
`for_event`, docs/adr/0024 and 0029)."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from core.i18n import event_language, for_event, in_language
from tests.conftest import make_event

SOLD = "Sold"  # tickets/models.py TicketState.SOLD's label


@pytest.mark.django_db
def test_for_event_speaks_the_events_language_then_gives_the_request_its_own_back():
    spanish = make_event(name="Gala")
    english = make_event(name="Gala international")
    type(english).objects.filter(pk=english.pk).update(language="en")
    english.refresh_from_db()
    assert spanish.language == "es"  # the default (ADR 0024)
    with translation.override("en"):  # an English-speaking manager prints a Spanish event
        with for_event(spanish) as language:
            assert language == "es" and gettext(SOLD) == "Vendida"
        assert gettext(SOLD) == SOLD
    with translation.override("es"):
        with for_event(english) as language:
            assert language == "en" and gettext(SOLD) == SOLD
        assert gettext(SOLD) == "Vendida"


def test_an_explicit_choice_wins_over_the_events_language():
    spanish = SimpleNamespace(language="es")
    with for_event(spanish, language="en") as language:
        assert language == "en" and gettext(SOLD) == SOLD
    for ignored in (None, "", "fr", "ES"):
        with for_event(spanish, language=ignored) as language:
            assert language == "es" and gettext(SOLD) == "Vendida"


def test_an_unknown_language_prints_in_the_default():
    assert event_language(SimpleNamespace(language="fr")) == settings.LANGUAGE_CODE
    assert event_language(SimpleNamespace()) == settings.LANGUAGE_CODE
    with for_event(SimpleNamespace(language="fr")) as language:
        assert language == settings.LANGUAGE_CODE and gettext(SOLD) == SOLD
    with in_language("es-ES") as language:  # a code TicketCore does not list as such
        assert language == settings.LANGUAGE_CODE


def test_for_event_is_per_thread():
    """Two prints at once in two threads (an export and a PDF) do not change each other's words."""
    seen = {}
    barrier = threading.Barrier(2)

    def render(name, language):
        with for_event(SimpleNamespace(language=language)):
            barrier.wait(5)
            seen[name] = gettext(SOLD)
            barrier.wait(5)

    threads = [threading.Thread(target=render, args=("es", "es")), threading.Thread(target=render, args=("en", "en"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"es": "Vendida", "en": SOLD}
