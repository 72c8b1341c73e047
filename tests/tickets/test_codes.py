import pytest

from events import codes
from events.services import rotate_signing_key
from tickets.models import Ticket


@pytest.fixture
def ticket(generated_event):
    return Ticket.objects.filter(event=generated_event).first()


@pytest.mark.django_db
def test_code_verifies_offline_with_the_public_key_alone(ticket):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from events.models import SigningKey

    code = codes.ticket_code(ticket)
    kind, object_id, key_id, sig = code.split(".")
    assert (kind, object_id) == ("T", ticket.ticket_id)
    public = bytes(SigningKey.objects.get(key_id=key_id).public_key)
    Ed25519PublicKey.from_public_bytes(public).verify(codes._unb64url(sig), f"T.{object_id}.{key_id}".encode())
    verified = codes.verify(code)
    assert (verified.object_id, verified.event_id) == (ticket.ticket_id, ticket.event_id)
    assert len(code) < 150  # compact enough for a small QR code


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c.replace("T.", "C.", 1),  # a ticket code replayed as a credential
        lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),  # altered signature
        lambda c: c.replace(c.split(".")[1], c.split(".")[1][:-1] + ("X" if c.split(".")[1][-1] != "X" else "Y")),  # altered id
        lambda c: c + "x",
        lambda c: "",
        lambda c: "T.abc.nokey.",
        lambda c: "x" * 5000,
    ],
)
def test_forged_or_altered_codes_fail(ticket, mutate):
    with pytest.raises(codes.CodeInvalid):
        codes.verify(mutate(codes.ticket_code(ticket)))


@pytest.mark.django_db
def test_unknown_key_fails(ticket):
    code = codes.ticket_code(ticket)
    kind, object_id, key_id, sig = code.split(".")
    with pytest.raises(codes.CodeInvalid):
        codes.verify(f"{kind}.{object_id}.ZZZZZZZZ.{sig}")


@pytest.mark.django_db
def test_rotation_keeps_old_codes_valid(ticket):
    old = codes.ticket_code(ticket)
    new_key = rotate_signing_key(event_id=ticket.event_id)
    new = codes.ticket_code(ticket)
    assert new != old and new.split(".")[2] == new_key.key_id
    assert codes.verify(old).object_id == codes.verify(new).object_id == ticket.ticket_id
