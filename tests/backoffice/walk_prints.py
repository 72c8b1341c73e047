"""The operations walk's printed outputs read back (tests/backoffice/test_operations_walk.py),
with the readers of the print tests (tests/backoffice/test_print_readback.py)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from devices.models import Device
from events.models import Event
from tests.backoffice.test_print_readback import page_codes, page_texts, ticket_blocks
from tests.backoffice.test_print_tickets import ENGLISH, assert_ticket_text, decoded_tickets


def read_tickets_back(data: bytes, event: Event, sold: list[str]) -> dict[str, str]:
    """Every sold seat once, each code verifying for its ticket, its words in English on the
    venue's clock; returns seat -> the code printed on it."""
    pages, texts = decoded_tickets(data, event), page_texts(data)
    assert sorted(t.seat_id for page in pages for t in page) == sold
    for tickets, text in zip(pages, texts):
        for ticket, block in zip(tickets, ticket_blocks(text), strict=True):
            assert_ticket_text(block, ticket, event, ENGLISH, row="to be assigned")
    codes = [code.text for page in page_codes(data) for code in page]
    return {t.seat_id: code for t, code in zip([t for page in pages for t in page], codes, strict=True)}


def read_pairing_sheet_back(data: bytes, base: str, event: Event, gates) -> dict[str, str]:
    """One QR per device still to pair (the two door phones and the box office's terminal), an
    address on this server with that device's pairing code, printed beside its name and gate; a
    door phone's opens the scanner app. Returns zone -> the address of its gate's phone."""
    text = " ".join(" ".join(page_texts(data)).split())  # a long name wraps
    printed = {}
    for code in (c.text for page in page_codes(data) for c in page):
        address = urlsplit(code)
        assert code.startswith(f"{base}/"), code
        device = Device.objects.get(event=event, pairing_code=parse_qs(address.query)["pair"][0])
        assert device.name in text and (device.checkpoint is None or device.checkpoint.name in text)
        printed[device.pk] = code
    assert set(printed) == set(Device.objects.filter(event=event).values_list("pk", flat=True))
    phones = {zone: printed[device.pk] for zone, (_, device) in gates.items()}
    assert all(urlsplit(url).path == "/scanner/" for url in phones.values()), phones
    return phones
