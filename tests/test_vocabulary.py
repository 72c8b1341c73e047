"""One vocabulary per rule (../shared/STYLE.md): reason codes, directions, roles, results and alert
kinds are defined once, as TextChoices in the lowest app that owns them (events/, devices/,
alerts/, access/, offices/ `vocabulary.py`). Everything else takes them from there, and what
cannot import them (PL/pgSQL, the phone's JavaScript, the contract) is held to them here: adding
a reason code in one place without every layer knowing it fails one of these tests."""
from __future__ import annotations

import ast
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from access.vocabulary import DATABASE_REASONS, SERVER_ONLY_REASONS, CredentialKind, Reason, ScanMode, ScanResult
from alerts.vocabulary import AlertKind
from devices.vocabulary import SCANNER_ROLES, DeviceRole
from events.vocabulary import CheckpointDirections, Direction
from offices.vocabulary import SaleReason, SaleResult
from tests.scan_cases import CASES, CODE_KINDS, CREDENTIAL, DOORS, INSTANTS, ZONE_SEATS

ROOT = Path(__file__).resolve().parent.parent
OFFLINE_JS = ROOT / "static" / "scanner" / "offline.js"
API_MD = ROOT.parent / "shared" / "API.md"

# The reason codes of ../shared/API.md, "Scanning (devices)", in its order. Copied because CI
# clones only this repository; wherever ../shared is present, the copy is checked against it.
API_REASON_CODES = ["invalid_signature", "unknown_ticket", "wrong_event", "not_sold", "already_inside",
                    "already_used", "not_inside", "zone_not_allowed", "direction_not_allowed",
                    "credential_revoked", "event_closed", "device_revoked"]

REASONS = set(Reason.values)


def _function_source(name: str) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [name])
        rows = cur.fetchall()
    assert len(rows) == 1, f"expected one function {name}, found {len(rows)}"
    return rows[0][0]


def _plpgsql_reasons(source: str) -> set[str]:
    """Every literal a PL/pgSQL function can put in `reason`: it answers `'reason', v_reason` only,
    so the literals are those assigned to v_reason."""
    assert set(re.findall(r"'reason',\s*([a-z_]+)", source)) == {"v_reason"}, "reason set other than via v_reason"
    found = set()
    for expression in re.findall(r"v_reason\s*:=\s*(.*?);", source, re.S):
        found |= set(re.findall(r"'([a-z_]+)'", expression))
    return found


def _js_exported_reasons() -> list[str]:
    match = re.search(r"export const REASONS = Object\.freeze\(\[(.*?)\]\)", OFFLINE_JS.read_text(), re.S)
    assert match, "static/scanner/offline.js must export REASONS"
    return re.findall(r'"([a-z_]+)"', match.group(1))


def _js_decided_reasons() -> set[str]:
    return set(re.findall(r'reject\("([a-z_]+)"', OFFLINE_JS.read_text()))


# --------------------------------------------------------------------------- reason codes

def test_the_case_table_is_well_formed():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    seats = {f"{zone}-{n}" for zone, (count, _) in ZONE_SEATS.items() for n in range(1, count + 1)}
    for case in CASES:
        where = f"case {case.name!r}"
        assert case.code in CODE_KINDS, where
        assert case.seat in seats, where
        assert (case.credential is not None) == (case.code == CREDENTIAL), where
        assert case.direction in Direction.values and set(case.before) <= set(Direction.values), where
        assert case.gate_directions in CheckpointDirections.values, where
        assert set(case.gate_zones) <= set(ZONE_SEATS), where
        assert case.doors in DOORS and (case.at == "now" or case.at in INSTANTS), where
        for result, reason in (case.expect, case.phone_expect):
            assert result in ScanResult.values, where
            assert (reason is None) == (result == ScanResult.ACCEPTED), where
            assert reason is None or reason in REASONS, where
        # The phone's answer is given exactly where it cannot be the server's.
        assert (case.phone is not None) == (case.expect[1] in SERVER_ONLY_REASONS), where
        assert case.phone_expect[1] not in SERVER_ONLY_REASONS, where
        # A ticket scanned while the doors are closed can only pass a rule decided before them.
        if case.code != CREDENTIAL and not case.doors_are_open and not case.device_revoked:
            assert case.expect[1] in (Reason.EVENT_CLOSED, Reason.DIRECTION_NOT_ALLOWED, Reason.INVALID_SIGNATURE,
                                      Reason.UNKNOWN_TICKET), where


def test_every_reason_code_has_a_case_on_the_server_and_on_the_phone():
    assert {c.expect[1] for c in CASES} - {None} == REASONS
    assert {c.phone_expect[1] for c in CASES} - {None} == REASONS - SERVER_ONLY_REASONS
    assert {c.expect[0] for c in CASES} == set(ScanResult.values)


@pytest.mark.django_db
def test_the_database_functions_answer_exactly_their_declared_reasons():
    """The PL/pgSQL copies (as installed, read from pg_proc) against access/vocabulary.py."""
    in_database = _plpgsql_reasons(_function_source("access_scan_ticket")) | _plpgsql_reasons(
        _function_source("access_scan_by_token"))
    assert in_database == DATABASE_REASONS
    assert DATABASE_REASONS <= REASONS


def test_the_phone_knows_every_reason_it_can_decide():
    exported = _js_exported_reasons()
    assert len(exported) == len(set(exported))
    assert set(exported) == REASONS - SERVER_ONLY_REASONS
    assert _js_decided_reasons() == set(exported), "offline.js decide() and its REASONS differ"
    assert SERVER_ONLY_REASONS <= REASONS


def test_the_contract_lists_the_reason_codes():
    assert API_REASON_CODES == Reason.values
    if API_MD.exists():  # a developer's checkout beside ../shared; CI checks the copy above
        section = API_MD.read_text().split("## Scanning (devices)", 1)[1].split("\n## ", 1)[0]
        listed = section.split("Reason codes:", 1)[1].split("`first_entry`", 1)[0]
        assert re.findall(r"`([a-z_]+)`", listed) == API_REASON_CODES, "../shared/API.md changed: update the copy"


# --------------------------------------------------------------------------- the other words

@pytest.mark.django_db
def test_the_fast_path_sql_admits_the_scanner_roles():
    source = _function_source("access_scan_by_token")
    roles = re.search(r"d\.role NOT IN \(([^)]*)\)", source)
    assert roles, "access_scan_by_token no longer checks the device role as expected"
    assert re.findall(r"'([a-z_]+)'", roles.group(1)) == [r.value for r in SCANNER_ROLES]


CONSTRAINTS = [
    ("access_checkpoint", "checkpoint_directions_known", set(CheckpointDirections.values)),
    ("devices_device", "device_role_known", set(DeviceRole.values)),
    ("access_credential", "credential_kind_known", set(CredentialKind.values)),
    ("access_scan", "scan_direction_known", set(Direction.values)),
    ("access_scan", "scan_result_known", set(ScanResult.values)),
    ("access_scan", "scan_mode_known", set(ScanMode.values)),
    ("access_alert", "alert_kind_known", set(AlertKind.values)),
    ("offices_officesale", "office_sale_result_known", set(SaleResult.values)),
    ("offices_officesale", "office_sale_reason_matches_result", set(SaleResult.values) | set(SaleReason.values)),
]


@pytest.mark.django_db
@pytest.mark.parametrize("table,name,values", CONSTRAINTS, ids=[c[1] for c in CONSTRAINTS])
def test_database_constraints_hold_the_vocabulary(table, name, values):
    """As migrated: the CHECK constraints' literals are the vocabulary's values."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                    "WHERE t.relname = %s AND c.conname = %s", [table, name])
        row = cur.fetchone()
    assert row, f"{table}.{name} is missing"
    assert set(re.findall(r"'([a-z_]+)'::", row[0])) == values


@pytest.mark.django_db
def test_the_models_need_no_migration():
    """Constraints and choices take their values from the vocabulary: a change there without a
    migration would leave the database's constraints behind."""
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit:  # --check exits 1 when a migration is missing
        pytest.fail(f"makemigrations --check (exit {exit.code}):\n{out.getvalue()}")


# --------------------------------------------------------------------------- no second copies

# Where these words may still be written out in the apps' Python (besides their vocabulary.py and
# migrations), each a (file, value) found there. An entry that is no longer found fails too.
LITERALS_ALLOWED = {
    # `device_revoked` is also the contract's 401 error code for a revoked token (not a scan reason).
    ("core/schema.py", "device_revoked"),
    ("devices/auth.py", "device_revoked"),
    # Files other helpers were changing when the vocabulary landed (issue 15 item 3's report lists
    # the edits); remove each entry with its edit.
}
# Distinctive words only: "in", "out", "accepted", "office" are also ordinary words and keys.
DISTINCTIVE = REASONS | set(AlertKind.values) | {r.value for r in SCANNER_ROLES}
APPS = ["core", "accounts", "events", "mirror", "tickets", "alerts", "devices", "access", "offices", "live",
        "backoffice", "ticketcore"]


def test_reason_codes_alert_kinds_and_roles_are_not_spelled_out_again():
    found = set()
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or path.name == "vocabulary.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in DISTINCTIVE:
                    found.add((str(path.relative_to(ROOT)), node.value))
    assert found - LITERALS_ALLOWED == set(), "use the vocabulary (access/alerts/devices vocabulary.py)"
    assert LITERALS_ALLOWED - found == set(), "no longer spelled out there: remove from LITERALS_ALLOWED"


def _js_object_keys(path: Path, name: str) -> set[str]:
    block = re.search(rf"const {name} = \{{(.*?)\n\}};", path.read_text(), re.S)
    assert block, f"{name} not found in {path}"
    return set(re.findall(r"(?:^|[\s,{])([a-z_]+):", block.group(1)))


def test_every_reason_has_words_on_the_phone_and_on_the_dashboard():
    """The words people read for a reason code: the scanner (words.js; plus its own phone-side
    states) and the dashboard's recent-scans panel. A new reason fails here until both say it."""
    reasons = set(Reason.values)
    scanner = _js_object_keys(ROOT / "static" / "scanner" / "words.js", "REASONS")
    dashboard = _js_object_keys(ROOT / "static" / "dashboard" / "panels.js", "REASONS")
    assert reasons <= scanner, f"scanner words.js lacks {sorted(reasons - scanner)}"
    assert dashboard == reasons, f"dashboard panels.js differs: {sorted(dashboard ^ reasons)}"
