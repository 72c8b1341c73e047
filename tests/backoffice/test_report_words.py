"""People read words, never codes (../shared/STYLE.md): every reason code, direction, result, mode,
sale channel and ticket state that an export or the report shows has words."""
from __future__ import annotations


from access.vocabulary import Reason, ScanMode, ScanResult
from backoffice import report_words as words
from events.vocabulary import Direction
from offices.vocabulary import SaleReason
from tickets.models import SaleChannel, TicketState


def test_every_code_has_an_entry():
    assert set(words.REASON_WORDS) == set(Reason.values)
    assert set(words.RESULT_WORDS) == set(ScanResult.values)
    assert set(words.DIRECTION_WORDS) == set(Direction.values)
    assert set(ScanMode.values) <= set(words.MODE_WORDS)
    assert set(words.SALE_REASON_WORDS) == set(SaleReason.values)


def test_every_code_has_words():
    for table in (words.REASON_WORDS, words.RESULT_WORDS, words.DIRECTION_WORDS, words.MODE_WORDS,
                  words.SALE_REASON_WORDS):
        for code, text in table.items():
            assert str(text) and str(text) != code, code
    for channel in SaleChannel.values:
        assert words.channel_words(channel) not in ("", channel)
    for state in TicketState.values:
        assert words.state_words(state) not in ("", state)


def test_words_never_blank_a_code():
    assert words.reason_words(None) == "" and words.reason_words("some_new_reason") == "some_new_reason"
    assert words.words(words.MODE_WORDS, "carrier_pigeon") == "carrier_pigeon"
