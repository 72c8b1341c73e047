"""A cursor whose statements PostgreSQL prepares once per connection, for the hot statements that
are run over and over with other parameters: the online scan (access/fastpath.py) and the report's
one statement (backoffice/report.py).

Django's default cursor binds parameters client-side, quoting each one in Python, and PostgreSQL
parses and plans the text every time: measured at ~28 us more client CPU per scan, plus the
server's parse/plan; the report's statement takes ~3 ms to plan. psycopg prepares only when the
connection allows it (DB_PREPARED_STATEMENTS, ticketcore/settings.py); otherwise it binds on the
server and plans each time."""
from __future__ import annotations

import psycopg
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


class PreparedCursor(psycopg.Cursor):
    """Server-side binding, each statement prepared on its first use on a connection."""

    def execute(self, query, params=None, *, prepare=True, binary=None):
        return super().execute(query, params, prepare=prepare, binary=binary)


class _LoggedCursor(CursorDebugWrapper):
    """Logs the statement as written: psycopg keeps no text of a prepared statement's execution,
    which Django's debug cursor would log as None (the tests read the logged queries)."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


class _Kept:
    """`with prepared_cursor() as cur:` on a cursor kept for the next statement: leaving the
    block does not close it (a psycopg cursor runs any number of statements one after another)."""

    __slots__ = ("cursor",)

    def __init__(self, cursor) -> None:
        self.cursor = cursor

    def __enter__(self):
        return self.cursor

    def __exit__(self, *exc) -> None:
        return None


def prepared_cursor() -> _Kept:
    """A PreparedCursor on Django's connection, wrapped like any Django cursor: database errors
    become django.db exceptions, and query logging, `execute_wrapper` and the tests' query
    counting see it. One is made per database connection (a Django connection belongs to one
    thread) and kept on it: making and closing one per scan cost ~30 us of the scan's CPU. A new
    connection (after a reconnect) or query logging switched on or off gets a new one."""
    connection.ensure_connection()
    raw_connection, logged = connection.connection, connection.queries_logged
    kept = getattr(connection, "_tc_prepared_cursor", None)
    if kept is not None and kept[0] is raw_connection and kept[1] == logged and not kept[2].cursor.closed:
        return kept[2]
    with connection.wrap_database_errors:
        raw = PreparedCursor(raw_connection)
    cursor = _Kept(_LoggedCursor(raw, connection) if logged else connection.make_cursor(raw))
    connection._tc_prepared_cursor = (raw_connection, logged, cursor)
    return cursor
