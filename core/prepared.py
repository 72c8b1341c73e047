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


def prepared_cursor():
    """A PreparedCursor on Django's connection, wrapped like any Django cursor: database errors
    become django.db exceptions, and query logging, `execute_wrapper` and the tests' query
    counting see it."""
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = PreparedCursor(connection.connection)
    return _LoggedCursor(raw, connection) if connection.queries_logged else connection.make_cursor(raw)
