"""Database roles: the application runs as a role with DML rights only, migrations as the owner.

The owner (who runs `migrate`) grants the application role what a running TicketCore needs and
nothing else: no TRUNCATE, no REFERENCES/TRIGGER, no DDL (only an owner can ALTER or DROP a table
or its triggers), and no UPDATE/DELETE of history at all, on top of the append-only triggers.
Called after every `migrate` (post_migrate), so tables added later are covered; ALTER DEFAULT
PRIVILEGES covers tables the owner creates outside a migrate run. Idempotent (docs/adr/0019)."""
from __future__ import annotations

import logging

from django.conf import settings

from counters.tables import TABLES as COUNTERS_TABLES

log = logging.getLogger(__name__)

# Written by INSERT only; the triggers refuse UPDATE, DELETE and TRUNCATE for every role as well.
HISTORY_TABLES = ("tickets_ledgerentry", "access_scan")
# Written only by the scan's trigger, as the owner; the application reads them.
COUNTER_TABLES = COUNTERS_TABLES


def grant_app_role(connection, role: str) -> bool:
    """Grant `role` DML on every table and sequence of the current schema. Returns False (and
    does nothing) when the role does not exist or is the connected user itself."""
    with connection.cursor() as cur:
        cur.execute("SELECT current_user, current_schema(), EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)",
                    [role])
        user, schema, exists = cur.fetchone()
        if not exists or user == role:
            return False
        r, s = connection.ops.quote_name(role), connection.ops.quote_name(schema)
        for statement in (
            f"GRANT USAGE ON SCHEMA {s} TO {r}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {r}",
        ):
            cur.execute(statement)
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename = ANY(%s)",
                    [schema, list(HISTORY_TABLES)])
        for (table,) in cur.fetchall():
            cur.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {connection.ops.quote_name(table)} FROM {r}")
        # The counters are written by the scan trigger alone (docs/adr/0033): read-only here.
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename = ANY(%s)",
                    [schema, list(COUNTER_TABLES)])
        for (table,) in cur.fetchall():
            cur.execute(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {connection.ops.quote_name(table)} FROM {r}")
    return True


def grant_after_migrate(sender, using="default", verbosity=1, **kwargs) -> None:
    role = getattr(settings, "DATABASE_APP_ROLE", "")
    if not role:
        return
    from django.db import connections

    if grant_app_role(connections[using], role):
        if verbosity >= 1:
            log.info("granted DML rights to the application role %s", role)
    else:
        log.warning("DATABASE_APP_ROLE=%s: no such role (or it is the migrating user); nothing granted", role)
