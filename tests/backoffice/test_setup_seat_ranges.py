"""Seats as people type them (events/forms.py parse_seats, compress_seats): ranges, single seats,
whole zones; every mistake named in words; the selection written back as ranges."""
import pytest
from django import forms

from events.forms import MAX_SEATS_AT_ONCE, compress_seats, parse_seats

ZONES = {"A": 5, "B": 40, "VIP_1": 3}


@pytest.mark.parametrize("typed,seats", [
    ("B-1..B-4", ["B-1", "B-2", "B-3", "B-4"]),
    ("B-1..4", ["B-1", "B-2", "B-3", "B-4"]),
    ("b-2 .. b-3", ["B-2", "B-3"]),
    ("B-1 – B-2", ["B-1", "B-2"]),
    ("B-7", ["B-7"]),
    ("A-3, A-1\nB-9;B-9", ["A-3", "A-1", "B-9"]),
    ("A", ["A-1", "A-2", "A-3", "A-4", "A-5"]),
    ("VIP_1-2..VIP_1-3", ["VIP_1-2", "VIP_1-3"]),
    ("A-4..A-5 A-1..A-5", ["A-4", "A-5", "A-1", "A-2", "A-3"]),
])
def test_what_people_type_becomes_seats(typed, seats):
    assert parse_seats(typed, ZONES) == seats


@pytest.mark.parametrize("typed,words", [
    ("B-40..B-30", "the range runs backwards"),
    ("Z-1", "this event has no zone Z"),
    ("A-6", "zone A has seats A-1 to A-5"),
    ("A-0", "zone A has seats A-1 to A-5"),
    ("A-1..B-3", "a range stays within one zone"),
    ("A-1-3", "is not a seat or a range"),
    ("'; DROP TABLE", "is not a seat or a range"),
    ("", "Type the seats"),
    ("  ,, ", "Type the seats"),
])
def test_mistakes_are_named_in_words(typed, words):
    with pytest.raises(forms.ValidationError) as refused:
        parse_seats(typed, ZONES)
    assert words in " ".join(refused.value.messages)


def test_every_mistake_is_listed_at_once():
    with pytest.raises(forms.ValidationError) as refused:
        parse_seats("B-40..B-30, Z-1, A-2", ZONES)
    assert len(refused.value.messages) == 2


def test_a_batch_has_a_ceiling():
    with pytest.raises(forms.ValidationError) as refused:
        parse_seats("X", {"X": MAX_SEATS_AT_ONCE + 1})
    assert f"at most {MAX_SEATS_AT_ONCE} seats at once" in " ".join(refused.value.messages).lower()
    assert len(parse_seats("X", {"X": MAX_SEATS_AT_ONCE})) == MAX_SEATS_AT_ONCE


def test_a_selection_is_written_back_as_ranges_that_parse_to_the_same_seats():
    seats = ["B-3", "A-1", "B-1", "B-2", "A-2", "B-10", "VIP_1-1"]
    text = compress_seats(seats)
    assert text == "A-1..A-2, B-1..B-3, B-10, VIP_1-1"
    assert sorted(parse_seats(text, ZONES)) == sorted(seats)
