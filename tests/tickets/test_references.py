"""Ticket references (issue 17, docs/adr/0024): short, typeable, no look-alikes, unique in the
event by the database, set for every ticket at generation, found again however a person types it."""
from collections import Counter

import pytest
from django.db import IntegrityError, connection, transaction

from tickets import references, selectors
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

LOOK_ALIKES_AND_VOWELS = set("0OQ1IL2Z5S8BGUAEIO")


def sql(statement, params=None):
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement, params or [])


# --------------------------------------------------------------------------- the generator

def test_alphabet_has_no_look_alikes_and_no_vowels():
    assert len(references.ALPHABET) == len(set(references.ALPHABET)) == 20
    assert not set(references.ALPHABET) & LOOK_ALIKES_AND_VOWELS
    assert set(references.ALPHABET) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def test_references_are_eight_symbols_distinct_and_avoid_taken_ones():
    taken = set(references.new_references(1000))
    fresh = references.new_references(20_000, taken=taken)
    assert len(fresh) == len(set(fresh)) == 20_000 and not set(fresh) & taken
    assert all(len(r) == 8 and set(r) <= set(references.ALPHABET) for r in fresh)
    assert references.normalize(references.new_reference()) is not None


def test_every_symbol_is_equally_likely():
    """240 of the 256 byte values are used (12 per symbol): no symbol is favoured. 160,000
    symbols, 8,000 expected each; a bias of 1/12 (the modulo bias this avoids) would be ~670 off."""
    counts = Counter("".join(references.new_references(20_000)))
    assert set(counts) == set(references.ALPHABET)
    assert all(abs(n - 8000) < 400 for n in counts.values()), counts  # > 4 standard deviations


@pytest.mark.parametrize("typed,expected", [
    ("KD7HX3RF", "KD7HX3RF"), ("kd7h-x3rf", "KD7HX3RF"), (" kd7h x3rf ", "KD7HX3RF"), ("KD7H.X3RF", "KD7HX3RF"),
    ("KD7HX3R", None), ("KD7HX3RF9C4", None), ("KD0HX3RF", None), ("KDOHX3RF", None), ("", None), (None, None),
    (12345678, None), ("A-12", None),
])
def test_normalize_reads_what_a_person_typed(typed, expected):
    assert references.normalize(typed) == expected


def test_grouped_for_print():
    assert references.grouped("KD7HX3RF") == "KD7H X3RF"


# --------------------------------------------------------------------------- generation and API

def test_generation_gives_every_ticket_a_reference_unique_in_the_event(api, generated_event):
    refs = list(Ticket.objects.filter(event=generated_event).values_list("reference", flat=True))
    assert len(refs) == 15 and len(set(refs)) == 15
    assert all(references.normalize(r) == r for r in refs)
    body = api.get(f"/api/v1/events/{generated_event.event_id}/tickets", {"page_size": 500}).json()
    assert sorted(t["reference"] for t in body["results"]) == sorted(refs)
    one = Ticket.objects.filter(event=generated_event).first()
    detail = api.get(f"/api/v1/events/{generated_event.event_id}/tickets/{one.ticket_id}").json()
    assert detail["reference"] == one.reference


def test_find_ticket_by_ticket_id_seat_or_reference(generated_event):
    t = Ticket.objects.get(event=generated_event, seat_id="B-3")
    event_id = generated_event.event_id
    typed = f"{t.reference[:4].lower()} - {t.reference[4:].lower()}"
    for q in (t.ticket_id, "B-3", t.reference, typed):
        assert selectors.find_ticket(event_id, q) == t, q
    assert selectors.find_ticket(event_id, "B-99") is None
    assert selectors.find_ticket(event_id, "") is None and selectors.find_ticket(event_id, "x" * 65) is None
    from tests.conftest import make_event

    other = make_event(name="Other")
    assert selectors.find_ticket(other.event_id, t.reference) is None  # only within the event


# --------------------------------------------------------------------------- database guards

def test_reference_is_unique_per_event_in_the_database(generated_event):
    a, b = Ticket.objects.filter(event=generated_event).order_by("id")[:2]
    with pytest.raises(IntegrityError, match="ticket_reference_unique_per_event"):
        sql("UPDATE tickets_ticket SET reference = %s WHERE id = %s", [a.reference, b.pk])


def test_the_same_reference_in_another_event_is_allowed(generated_event):
    from tests.conftest import make_event
    from tickets.services import generate_tickets

    other = make_event(name="Other")
    generate_tickets(event_id=other.event_id)
    mine = Ticket.objects.filter(event=generated_event).first()
    theirs = Ticket.objects.filter(event=other).first()
    sql("UPDATE tickets_ticket SET reference = %s WHERE id = %s", [mine.reference, theirs.pk])
    theirs.refresh_from_db()
    assert theirs.reference == mine.reference


@pytest.mark.parametrize("value", ["ABCDEFGH", "kd7hx3rf", "KD7HX3R", "KD7H-X3R", "", "KD0HX3RF"])
def test_reference_format_is_checked_by_the_database(generated_event, value):
    t = Ticket.objects.filter(event=generated_event).first()
    with pytest.raises(IntegrityError, match="ticket_reference_format"):
        sql("UPDATE tickets_ticket SET reference = %s WHERE id = %s", [value, t.pk])


def test_the_database_allows_the_contracts_8_to_10_characters_and_no_more(generated_event):
    from django.db import DataError

    t = Ticket.objects.filter(event=generated_event).first()
    for value in ("KD7HX3RF9", "KD7HX3RF9C"):
        sql("UPDATE tickets_ticket SET reference = %s WHERE id = %s", [value, t.pk])
    with pytest.raises(DataError, match="too long"):
        sql("UPDATE tickets_ticket SET reference = %s WHERE id = %s", ["KD7HX3RF9C4", t.pk])


def test_reference_is_required_by_the_database(generated_event):
    t = Ticket.objects.filter(event=generated_event).first()
    with pytest.raises(IntegrityError, match='null value in column "reference"'):
        sql("UPDATE tickets_ticket SET reference = NULL WHERE id = %s", [t.pk])
