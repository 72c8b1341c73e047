"""The outbox half of the Firestore mirror, against PostgreSQL alone: the triggers queue every
mirrored change in the changing transaction (and nothing for a rolled-back one), generation
queues each document once, and the mirror-off mode stays bounded and reported."""
import pytest
from django.conf import settings
from django.db import connection, transaction

from mirror import outbox
from mirror.models import OutboxEntry
from tickets.models import Ticket
from tickets.services import append_ledger, generate_tickets, update_ticket

pytestmark = pytest.mark.django_db


def sql(statement, params=None):
    with connection.cursor() as cur:
        cur.execute(statement, params or [])


def queued(**filters) -> list[tuple[str, str]]:
    return list(OutboxEntry.objects.filter(**filters).order_by("id").values_list("op", "path"))


def test_generation_queues_each_document_once(event):
    OutboxEntry.objects.all().delete()
    generate_tickets(event_id=event.event_id)
    tickets = {f"events/{event.event_id}/tickets/{d}" for d in Ticket.objects.filter(event=event).values_list("doc_id", flat=True)}
    rows = queued(kind="ticket")
    # One `I` row per ticket: the ledger trigger sees the ticket rows were written by this very
    # transaction and does not queue them a second time.
    assert len(rows) == len(tickets) == 15 and {p for _, p in rows} == tickets and {o for o, _ in rows} == {"I"}
    assert queued(kind="event") == [("U", f"events/{event.event_id}")]  # generated_at
    assert queued(kind="zones") == [("U", f"events/{event.event_id}/setup/zones")]


@pytest.mark.parametrize("statement, kind, path", [
    ("UPDATE events_event SET name = 'Renamed' WHERE event_id = %(e)s", "event", "events/{e}"),
    ("UPDATE events_event SET setup_status = false WHERE event_id = %(e)s", "zones", "events/{e}/setup/zones"),
    ("UPDATE events_zone SET name = 'Pit' WHERE event_id = %(e)s AND zone_id = 'A'", "zones", "events/{e}/setup/zones"),
    ("DELETE FROM events_zone WHERE event_id = %(e)s AND zone_id = 'B'", "zones", "events/{e}/setup/zones"),
    ("UPDATE events_signingkey SET active = false WHERE event_id = %(e)s", "keys", "events/{e}/security/qr-pin"),
    ("INSERT INTO access_credential (credential_id, event_id, name, kind, zones, checkpoints, inside, created_at) "
     "VALUES ('crSQL', %(e)s, 'Raw', 'staff', '{}', '{}', false, now())", "credential", "events/{e}/credentials/crSQL"),
])
def test_raw_sql_changes_are_queued_by_the_database(event, statement, kind, path):
    """No service involved: PostgreSQL itself queues the document (drop the trigger and this fails)."""
    OutboxEntry.objects.all().delete()
    sql(statement, {"e": event.event_id})
    assert (kind, path.format(e=event.event_id)) in {(k, p) for k, p in OutboxEntry.objects.values_list("kind", "path")}


def test_ticket_update_and_a_ledger_row_alone_are_queued(generated_event):
    scanned, held = Ticket.objects.filter(event=generated_event).order_by("id")[:2]
    OutboxEntry.objects.all().delete()
    sql("UPDATE tickets_ticket SET status = false, access_status = true, access_entry = true WHERE id = %s", [scanned.pk])
    assert queued() == [("U", f"events/{generated_event.event_id}/tickets/{scanned.doc_id}")]
    OutboxEntry.objects.all().delete()
    # A ledger row on its own (e.g. `held`) changes the document's `ledger` array.
    with transaction.atomic():
        append_ledger([held.pk], "held", {"hold_id": "h1"})
    assert queued() == [("U", f"events/{generated_event.event_id}/tickets/{held.doc_id}")]


SCAN_SHAPE = "UPDATE tickets_ticket SET status = false, access_status = true WHERE id = %s"
ENTRY = "INSERT INTO tickets_ledgerentry (ticket_id, date, action, metadata) SELECT unnest(%s::bigint[]), now(), 'accessed', '{}'"


@pytest.mark.parametrize("savepoint", [False, True])
def test_an_entry_for_a_ticket_this_transaction_wrote_queues_its_document_once(generated_event, savepoint):
    """A scan's shape: the ticket row and its ledger entry written by one (sub)transaction queue
    the document once (the ticket's row); the ledger trigger's one-ticket path (tickets/migrations/
    0015) tells the ticket row is its own. (An entry in a savepoint nested below the one that wrote
    the ticket cannot tell and queues it again: harmless, see the next test but one.)"""
    ticket = Ticket.objects.filter(event=generated_event).order_by("id").first()
    OutboxEntry.objects.all().delete()
    with transaction.atomic(), transaction.atomic(savepoint=savepoint):
        sql(SCAN_SHAPE, [ticket.pk])
        sql(ENTRY, [[ticket.pk]])
    assert queued() == [("U", f"events/{generated_event.event_id}/tickets/{ticket.doc_id}")]


def test_entries_for_several_tickets_queue_only_those_this_transaction_did_not_write(generated_event):
    written, other, third = Ticket.objects.filter(event=generated_event).order_by("id")[:3]
    OutboxEntry.objects.all().delete()
    with transaction.atomic():
        sql(SCAN_SHAPE, [written.pk])
        sql(ENTRY, [[written.pk, other.pk, third.pk]])
    path = f"events/{generated_event.event_id}/tickets/"
    assert queued() == [("U", path + written.doc_id), ("U", path + other.doc_id), ("U", path + third.doc_id)]
    OutboxEntry.objects.all().delete()
    with transaction.atomic():
        sql(ENTRY, [[other.pk]])  # one ticket, written by nobody here: queued
        sql(ENTRY, [[other.pk]])  # and again, by the next statement
    assert queued() == [("U", path + other.doc_id)] * 2


def test_rolled_back_transaction_leaves_no_outbox_row(generated_event):
    ticket = Ticket.objects.filter(event=generated_event).first()
    OutboxEntry.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        update_ticket(event_id=generated_event.event_id, ticket_id=ticket.ticket_id, actor="t", seat_row="F1")
        assert OutboxEntry.objects.count() > 0  # queued inside the transaction...
        raise RuntimeError("abort")
    assert OutboxEntry.objects.count() == 0  # ...and gone with it
    update_ticket(event_id=generated_event.event_id, ticket_id=ticket.ticket_id, actor="t", seat_row="F2")
    # Queued (twice here: update_ticket saves in a savepoint, so the ledger trigger cannot tell
    # the ticket row is its own; harmless, the drain writes a document once per batch).
    assert set(queued()) == {("U", f"events/{generated_event.event_id}/tickets/{ticket.doc_id}")}


def test_documents_never_contain_a_private_key(generated_event):
    from events.codes import b64url
    from events.models import SigningKey
    from events.services import rotate_signing_key
    from mirror.documents import build_docs, event_keys

    rotate_signing_key(event_id=generated_event.event_id)
    docs = build_docs(event_keys(generated_event.event_id))
    pin = docs[f"events/{generated_event.event_id}/security/qr-pin"]
    keys = list(SigningKey.objects.filter(event=generated_event).order_by("created_at"))
    assert [k["key_id"] for k in pin["keys"]] == [k.key_id for k in keys]
    assert pin["key_id"] == keys[-1].key_id and pin["public_key"] == b64url(bytes(keys[-1].public_key))
    text = repr(docs)
    for key in keys:
        private = bytes(key.private_key)
        assert b64url(private) not in text and private.hex() not in text and repr(private) not in text


def test_mirror_off_reports_lag_and_does_nothing(mirror_off, generated_event, client):
    from mirror.tasks import drain_outbox

    assert not outbox.enabled()
    outbox.kick()  # a no-op, even with no broker
    assert drain_outbox.apply().get() == {"enabled": False}
    status = outbox.mirror_status()
    assert status["enabled"] is False and status["target"] is None
    assert status["pending"] == OutboxEntry.objects.count() > 0 and status["oldest_age_s"] >= 0
    body = client.get("/readyz").json()
    assert body["status"] == "ok" and body["mirror"]["enabled"] is False and body["mirror"]["pending"] == status["pending"]


def test_compaction_keeps_one_row_per_document(mirror_off, generated_event):
    from mirror.tasks import compact_outbox

    ticket = Ticket.objects.filter(event=generated_event).first()
    for row in ("R1", "R2", "R3"):
        update_ticket(event_id=generated_event.event_id, ticket_id=ticket.ticket_id, actor="t", seat_row=row)
    paths = set(OutboxEntry.objects.values_list("path", flat=True))
    newest = {p: max(OutboxEntry.objects.filter(path=p).values_list("id", flat=True)) for p in paths}
    result = compact_outbox.apply().get()
    assert result["enabled"] is False and result["deleted"] > 0
    assert sorted(OutboxEntry.objects.values_list("id", flat=True)) == sorted(newest.values())


def test_compaction_does_nothing_while_the_mirror_is_on(settings, generated_event):
    from mirror.tasks import compact_outbox

    settings.FIRESTORE_PROJECT_ID = "some-project"
    before = OutboxEntry.objects.count()
    assert compact_outbox.apply().get() == {"enabled": True, "deleted": 0}
    assert OutboxEntry.objects.count() == before


def test_beat_drains_every_few_seconds():
    entry = settings.CELERY_BEAT_SCHEDULE["mirror_drain"]
    assert entry["task"] == "mirror.drain_outbox" and entry["kwargs"] == {"periodic": True}
    assert 0 < entry["schedule"] <= 10
    from ticketcore.celery import app

    app.loader.import_default_modules()
    assert "mirror.drain_outbox" in app.tasks and "mirror.compact_outbox" in app.tasks
