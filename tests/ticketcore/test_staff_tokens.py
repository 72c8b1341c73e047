"""Staff API tokens are stored as SHA-256 only (accounts app, docs/adr/0019)."""
import io
import secrets

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from rest_framework.test import APIClient

from tests.events.test_api import assert_error

pytestmark = pytest.mark.django_db


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def create_token(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("drf_create_token", *args, stdout=out, stderr=err)
    first, _, rest = out.getvalue().partition("Generated token ")[2].partition(" for user ")
    assert rest.strip() == args[-1] and "not shown again" in err.getvalue()
    return first


def tables_containing(text: str) -> list[str]:
    """Every table of the database whose rows, cast to text, contain `text` (any column)."""
    with connection.cursor() as cur:
        cur.execute("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema()")
        tables = [t for (t,) in cur.fetchall()]
        hits = []
        for table in tables:
            cur.execute(f"SELECT EXISTS (SELECT 1 FROM {table} t WHERE strpos(t::text, %s) > 0)", [text])
            if cur.fetchone()[0]:
                hits.append(table)
    return hits


def test_drf_create_token_prints_a_token_that_no_table_contains(staff_user, event):
    token = create_token("staff")
    assert len(token) >= 40
    assert tables_containing(token) == []
    assert tables_containing(event.name) == ["events_event"]  # the search does find stored text
    assert client_with(token).get("/api/v1/events").status_code == 200


def test_each_call_shows_a_new_token_once_and_reset_revokes_the_others(staff_user):
    first, second = create_token("staff"), create_token("staff")
    assert first != second
    assert client_with(first).get("/api/v1/events").status_code == 200
    assert client_with(second).get("/api/v1/events").status_code == 200
    third = create_token("-r", "staff")
    assert client_with(third).get("/api/v1/events").status_code == 200
    for old in (first, second):
        assert_error(client_with(old).get("/api/v1/events"), 401, "authentication_failed")


def test_unknown_user_is_refused():
    with pytest.raises(CommandError, match="does not exist"):
        call_command("drf_create_token", "nobody", stdout=io.StringIO(), stderr=io.StringIO())


def test_wrong_or_missing_token_is_401_as_before(staff_user, anon):
    create_token("staff")
    assert_error(client_with(secrets.token_urlsafe(32)).get("/api/v1/events"), 401, "authentication_failed")
    # DRF's header parsing is kept: a malformed header fails, no header is not authenticated.
    assert_error(client_with("").get("/api/v1/events"), 401, "authentication_failed")
    assert_error(client_with("a b").get("/api/v1/events"), 401, "authentication_failed")
    assert_error(anon.get("/api/v1/events"), 401, "not_authenticated")


def test_inactive_user_is_refused(staff_user):
    token = create_token("staff")
    staff_user.is_active = False
    staff_user.save()
    assert_error(client_with(token).get("/api/v1/events"), 401, "authentication_failed")


def test_the_database_refuses_a_plain_text_token(staff_user):
    drf_style_key = secrets.token_hex(20)
    with pytest.raises(IntegrityError, match="staff_token_stores_sha256_only"):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("INSERT INTO accounts_stafftoken (key_hash, user_id, created_at) VALUES (%s, %s, now())",
                        [drf_style_key, staff_user.pk])


def test_existing_drf_tokens_keep_working_after_the_conversion(staff_user):
    """accounts 0002 hashes the keys of rest_framework.authtoken's table and drops it."""
    import importlib

    convert = importlib.import_module("accounts.migrations.0002_convert_drf_tokens")
    key = secrets.token_hex(20)  # what DRF generates
    with connection.cursor() as cur:
        # The table as rest_framework.authtoken 0001-0003 leaves it.
        cur.execute("""CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL,
                       user_id integer NOT NULL UNIQUE REFERENCES auth_user (id))""")
        cur.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", [key, staff_user.pk])
        cur.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('authtoken', '0001_initial', now())")
        cur.execute(convert.FORWARD)
        cur.execute("SELECT to_regclass('authtoken_token'), "
                    "(SELECT count(*) FROM django_migrations WHERE app = 'authtoken')")
        assert cur.fetchone() == (None, 0)
    assert tables_containing(key) == []
    assert client_with(key).get("/api/v1/events").status_code == 200
