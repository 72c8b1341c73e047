"""The negative controls' unguarded scan: the one place where the scan's guards are switched off.

Production code has no switch for it (issue 15, docs/adr/0007). The `unguarded_scan` fixture
installs `test_unguarded_scan_ticket` in the TEST database only, and drops it afterwards. It is
built from the production `access_scan_ticket`'s own source (`pg_get_functiondef`), so it cannot
drift from it, with two changes:
- the ticket is read without `FOR UPDATE` (no row lock);
- `pg_sleep(p_race_window_ms)` just before each write, an extra last parameter, so that racing
  scans all read the ticket before any of them writes.
Each substitution must match exactly once: if the production function changes shape, the
fixture fails loudly instead of quietly testing something else.

`scan()` is the test-only code path that calls the variant, shaped like `access.services.scan`:
the first attempt takes the unguarded function; when a database backstop refuses its write
(IntegrityError, nothing applied), the answer comes from the production path under the lock,
as `services.scan`'s own retry would give it."""
from __future__ import annotations

import json
import re
import uuid

import pytest
from django.db import IntegrityError, connection

from access import services
from events import codes

NAME = "test_unguarded_scan_ticket"


def _substitute(source: str, pattern: str, replacement: str) -> str:
    result, n = re.subn(pattern, replacement, source)
    assert n == 1, f"access_scan_ticket changed shape: {pattern!r} matched {n} times, expected once"
    return result


def unguarded_source(production: str) -> str:
    """The variant's CREATE FUNCTION text, from the production function's definition."""
    source = _substitute(production, r"FUNCTION\s+(?:\w+\.)?access_scan_ticket\(", f"FUNCTION {NAME}(")
    source = _substitute(source, r"p_late boolean\)", "p_late boolean, p_race_window_ms integer)")
    source = _substitute(source, r"(WHERE ticket_id = p_ticket_id) FOR UPDATE;", r"\1;")
    sleep = "PERFORM pg_sleep(p_race_window_ms / 1000.0);"
    source = _substitute(source, r"(\n([ \t]*)v_first := NOT t\.access_status;)", rf"\n\2{sleep}\1")
    return _substitute(source, r"(\n([ \t]*)UPDATE tickets_ticket SET access_entry = false)", rf"\n\2{sleep}\1")


@pytest.fixture
def unguarded_scan(transactional_db):
    with connection.cursor() as cur:
        cur.execute("SELECT pg_get_functiondef('access_scan_ticket'::regproc)")
        cur.execute(unguarded_source(cur.fetchone()[0]))
    yield scan
    with connection.cursor() as cur:
        cur.execute(f"DROP FUNCTION {NAME}")


def scan(*, device, code: str, direction: str, scan_id: uuid.UUID, race_window_ms: int) -> dict:
    verified = codes.verify(code)
    assert verified.kind == codes.KIND_TICKET and verified.event_id == device.event_id
    checkpoint = device.checkpoint
    try:
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT {NAME}(%s, %s, %s, %s::text[], %s, %s, %s, %s, %s, NULL, NULL, 'online', false, %s)",
                [device.device_id, device.event_id, checkpoint.checkpoint_id, list(checkpoint.zones),
                 checkpoint.directions, verified.object_id, code[:200], direction, scan_id, race_window_ms])
            value = cur.fetchone()[0]
    except IntegrityError:
        return services.scan(device=device, code=code, direction=direction, scan_id=scan_id).response
    return value if isinstance(value, dict) else json.loads(value)
