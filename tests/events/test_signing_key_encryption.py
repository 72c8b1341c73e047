"""Signing keys are encrypted at rest under SIGNING_KEYS_KEK (events/keyring.py, docs/adr/0019):
a dump of the database alone cannot produce a code that verifies."""
import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from access.services import create_credential, credential_code
from events import codes, keyring
from events.models import SigningKey
from events.services import rotate_signing_key
from tickets.models import Ticket

ROOT = Path(__file__).resolve().parents[2]


def new_kek() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def forget():
    """A fresh process as far as keys go: nothing decrypted is cached."""
    keyring.forget_cached_keys()
    with codes._lock:
        codes._private_cache.clear()


@pytest.fixture(autouse=True)
def fresh_caches():
    forget()
    yield
    forget()


def dump_rows() -> list[tuple]:
    """What `pg_dump` would hold: every column of every signing key row, raw."""
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM events_signingkey")
        return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in cur.fetchall()]


def all_codes(event) -> dict[str, str]:
    tickets = list(Ticket.objects.filter(event=event).order_by("id"))
    return {t.ticket_id: codes.ticket_code(t) for t in tickets}


@pytest.mark.django_db
def test_a_dump_holds_no_private_key(generated_event):
    rotate_signing_key(event_id=generated_event.event_id)  # two keys, one retired
    privates = [key.private_key for key in SigningKey.objects.filter(event=generated_event)]
    assert len(privates) == 2 and all(len(p) == 32 for p in privates)
    rows = dump_rows()
    for private in privates:
        for row in rows:
            for value in row:
                if isinstance(value, bytes):
                    assert private not in value
                else:
                    assert codes.b64url(private) not in str(value) and private.hex() not in str(value)
        with connection.cursor() as cur:  # nowhere else in the database either, in any spelling
            cur.execute("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema()")
            for (table,) in cur.fetchall():
                cur.execute(f"SELECT EXISTS (SELECT 1 FROM {table} t WHERE strpos(t::text, %s) > 0 "
                            f"OR strpos(t::text, %s) > 0)", [private.hex(), codes.b64url(private)])
                assert cur.fetchone() == (False,), table


@pytest.mark.django_db
def test_without_the_kek_a_dump_signs_nothing(generated_event, settings):
    ticket = Ticket.objects.filter(event=generated_event).first()
    key = SigningKey.objects.get(event=generated_event, active=True)
    envelope = key.envelope
    settings.SIGNING_KEYS_KEK = [new_kek()]  # the attacker's environment: the table, not the KEK
    forget()
    with pytest.raises(keyring.KeyUnavailable, match="does not hold"):
        codes.ticket_code(ticket)
    wrong_id = keyring.current_kek_id()  # a wrong KEK, even presented under the row's name
    with pytest.raises(keyring.KeyUnavailable, match="does not decrypt"):
        keyring.unseal(key.key_id, keyring.Envelope(envelope.private_key_sealed, envelope.data_key_wrapped, wrong_id))
    other = SigningKey.objects.exclude(pk=key.pk).first() or rotate_signing_key(event_id=generated_event.event_id)
    with pytest.raises(keyring.KeyUnavailable):  # an envelope moved to another key id does not open
        keyring.unseal(other.key_id, envelope)


@pytest.mark.django_db
def test_with_the_kek_codes_verify_as_before(generated_event):
    before = all_codes(generated_event)
    forget()
    assert all_codes(generated_event) == before
    for ticket_id, code in before.items():
        assert codes.verify(code).object_id == ticket_id


@pytest.mark.django_db
def test_rotating_the_kek_keeps_every_code_valid(generated_event, settings):
    old_key_codes = all_codes(generated_event)
    rotate_signing_key(event_id=generated_event.event_id)
    credential = create_credential(event_id=generated_event.event_id, name="Steward Ann", kind="staff")
    before = {**all_codes(generated_event), "credential": credential_code(credential)}
    old, new = settings.SIGNING_KEYS_KEK[0], new_kek()
    sealed_before = {k.key_id: bytes(k.private_key_sealed) for k in SigningKey.objects.all()}

    settings.SIGNING_KEYS_KEK = [new]  # forgot the old KEK: refused, nothing changed
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("rotate_signing_kek")
    assert set(SigningKey.objects.values_list("kek_id", flat=True)) == {keyring.kek_id_of(base64.urlsafe_b64decode(old))}

    settings.SIGNING_KEYS_KEK = [new, old]
    call_command("rotate_signing_kek", stdout=open(os.devnull, "w"))
    new_id = keyring.kek_id_of(base64.urlsafe_b64decode(new))
    assert set(SigningKey.objects.values_list("kek_id", flat=True)) == {new_id}
    assert {k.key_id: bytes(k.private_key_sealed) for k in SigningKey.objects.all()} == sealed_before

    settings.SIGNING_KEYS_KEK = [new]  # the old KEK is gone from the environment
    forget()
    after = {**all_codes(generated_event), "credential": credential_code(credential)}
    assert after == before
    for code in [*after.values(), *old_key_codes.values()]:
        codes.verify(code)
    settings.SIGNING_KEYS_KEK = [old]
    forget()
    with pytest.raises(keyring.KeyUnavailable):
        all_codes(generated_event)


@pytest.mark.django_db
def test_the_database_refuses_a_plain_text_private_key(generated_event):
    key = SigningKey.objects.get(event=generated_event, active=True)
    with pytest.raises(IntegrityError, match="signingkey_stored_sealed_only"):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE events_signingkey SET private_key_sealed = %s WHERE key_id = %s",
                        [key.private_key, key.key_id])
    with pytest.raises(IntegrityError, match="signingkey_stored_sealed_only"):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE events_signingkey SET kek_id = '' WHERE key_id = %s", [key.key_id])


def test_the_migration_seals_keys_stored_in_plain_text(transactional_db):
    """events 0003 on a database from before it: the plain-text key is sealed, codes unchanged."""
    from django.db.migrations.executor import MigrationExecutor

    from tests.conftest import make_event
    from tickets.services import generate_tickets

    event = make_event()
    generate_tickets(event_id=event.event_id)
    before = all_codes(event)
    raw = SigningKey.objects.get(event=event).private_key

    executor = MigrationExecutor(connection)
    executor.migrate([("events", "0001_initial")])
    with connection.cursor() as cur:
        cur.execute("SELECT private_key FROM events_signingkey WHERE event_id = %s", [event.event_id])
        assert bytes(cur.fetchone()[0]) == raw  # what main stores today
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    forget()
    key = SigningKey.objects.get(event=event)
    assert key.kek_id == keyring.current_kek_id() and raw not in bytes(key.private_key_sealed)
    assert all_codes(event) == before


@pytest.mark.parametrize("env, refused", [
    ({"DEBUG": "false"}, "SIGNING_KEYS_KEK is required when DEBUG is false"),
    ({"DEBUG": "false", "SIGNING_KEYS_KEK": "too-short"}, "not a base64-encoded 32-byte key"),
    ({"DEBUG": "true"}, None),
    ({"DEBUG": "false", "SIGNING_KEYS_KEK": f"{new_kek()},{new_kek()}"}, None),
])
def test_production_refuses_to_start_without_a_kek(env, refused):
    base = {k: v for k, v in os.environ.items() if k not in ("SIGNING_KEYS_KEK", "PYTEST_VERSION", "DEBUG")}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT,
                            env={**base, "DJANGO_SETTINGS_MODULE": "ticketcore.settings",
                                 "SECRET_KEY": secrets.token_urlsafe(64), **env},  # a real SECRET_KEY: only the KEK is missing
                            capture_output=True, text=True, timeout=60)
    if refused:
        assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr and refused in result.stderr
    else:
        assert result.returncode == 0, result.stderr
