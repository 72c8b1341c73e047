"""gate_counts, the night's chart and the post-event report at 3,000 and at 3,000,000 scans.

    .venv/bin/python bench/gate_counts.py [--scans 3000000] [--small 3000] [--repeat 7] [--writers 2]

A throwaway database (BENCH_DATABASE_NAME, default ticketcore_bench_counts) gets two events of the
same shape (8 gates x 4 phones, 50,000 sold tickets, a four-hour night), one with `--small` scans
and one with `--scans`. The scans are written by INSERT ... SELECT generate_series as the
superuser, `--writers` connections at once (each its own counters slot, as a server's
connections are), so every row goes through the same triggers as a door's scan: the
alternation backstop and `scan_counted`. Through the triggers this machine writes about 1,000
scans/s, so events above `--through-trigger-up-to` (200,000) are written with triggers off and
their counters filled by the migration's backfill (`counters_*_log`, the definition the trigger
keeps, proven equal by tests/counters): the same rows a fold leaves. Accepted scans alternate in/out per ticket; about 6 %
are rejected (repeats, unknown and unsold codes); 3 % are offline uploads. Then each figure is
timed `--repeat` times and the median printed; the readers fold the counters first, as they do
in production.

`measure(...) -> dict` is what bench/run_all.py calls: it returns gate_counts_ms_at_3M,
report_ms_at_3M, series_night_ms_at_3M, report_sales_ms_at_3M, report_devices_ms_at_3M (the
phones' timelines, the report's section loaded apart; absent for a checkout without it) and the
same at 3k (labels follow the sizes asked for), plus the fill rate. A fresh run takes about 15 minutes on the 2-core machine (the 3M fill and its
backfill); `reuse=True` only times. Never timed in tests: numbers go to docs/benchmarks.md.

`--reuse`: time the events already filled. To time another checkout's readers on them (main's,
which read the scan log), copy this file into that checkout's bench/ and run it there with
`--reuse` (its bench/common.py puts that checkout first on the path)."""
from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from datetime import timedelta

from common import BENCH_DB, PG, machine, mark_all_sold

DB = os.environ.get("BENCH_DATABASE_NAME", BENCH_DB + "_counts")
GATES, PHONES, SEATS, MINUTES = 8, 4, 50_000, 240


def _label(n: int) -> str:
    return f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n / 1e3:g}k" if n >= 1000 else str(n)


def _setup(fresh: bool) -> None:
    if fresh:
        from common import setup_django

        setup_django(DB)
        return
    import base64
    import secrets

    os.environ["DATABASE_URL"] = f"{PG}/{DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketcore.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
    # Only read here: nothing needs the (throwaway) signing keys the fill sealed.
    os.environ.setdefault("SIGNING_KEYS_KEK", base64.urlsafe_b64encode(os.urandom(32)).decode())
    import django

    django.setup()


def _event(name: str):
    from django.utils import timezone

    from devices.services import create_device
    from events.services import ZoneSpec, create_checkpoint, create_event, setup_zones
    from tickets.services import generate_tickets

    now = timezone.now()
    event = create_event(name=name, date_start=now - timedelta(hours=2), date_end=now + timedelta(hours=2),
                         doors_open_minutes=120, doors_close_minutes=60)
    setup_zones(event_id=event.event_id, status=True, zones=[
        ZoneSpec(zone_id="A", name="Floor", color="#C0392B", seats=SEATS // 2, reentry=True),
        ZoneSpec(zone_id="B", name="Stands", color="#27AE60", seats=SEATS - SEATS // 2, reentry=True)])
    generate_tickets(event_id=event.event_id)
    mark_all_sold(event)  # all sold (bench set-up, not a service path)
    for g in range(GATES):
        cp = create_checkpoint(event_id=event.event_id, name=f"Gate {g + 1}")
        for p in range(PHONES):
            create_device(event_id=event.event_id, name=f"gate {g + 1} phone {p + 1}", checkpoint_id=cp.checkpoint_id)
    return event


# One writer's share: the tickets k with k % writers = w, each scanned in order, in, out, in...
# Step g of this writer is ticket k = w + writers * (g % per_round) in round g / per_round, an
# accepted scan; about one step in sixteen adds a rejected one (a repeat, an unknown code).
_FILL_SQL = """
INSERT INTO access_scan (scan_id, device_id, event_id, checkpoint_id, ticket_id, direction, result, reason, code,
                         zone_id, first_entry, mode, quarantined, late, scanned_at, effective_at, server_time, response)
SELECT gen_random_uuid(), d.device_id, %(event)s, d.checkpoint_id,
       CASE WHEN x.rejected = 2 THEN NULL ELSE t.id END,
       CASE WHEN x.rejected > 0 OR x.round %% 2 = 0 THEN 'in' ELSE 'out' END,
       CASE WHEN x.rejected > 0 THEN 'rejected' ELSE 'accepted' END,
       CASE x.rejected WHEN 1 THEN 'already_inside' WHEN 2 THEN 'unknown_ticket' END,
       CASE WHEN x.rejected = 2 THEN 'forged-' || (x.g %% 5000) ELSE 'code-' || t.id END,
       CASE WHEN x.rejected = 2 THEN NULL ELSE t.zone_id END, false,
       CASE WHEN x.sync THEN 'sync' ELSE 'online' END, false, x.sync AND x.g %% 7 = 0,
       CASE WHEN x.sync THEN x.at - interval '3 minutes' END, CASE WHEN x.sync THEN x.at - interval '3 minutes' END,
       x.at, '{}'::jsonb
  FROM (SELECT g, e.rejected, g / %(per_round)s::bigint AS round, %(w)s::bigint + %(writers)s::bigint * (g %% %(per_round)s::bigint) AS k,
               g %% 33 = 5 AND e.rejected = 0 AS sync,
               %(opens)s::timestamptz + (%(span_s)s::float8 * (g::float8 / %(total)s::float8)) * interval '1 second' AS at
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) g
          CROSS JOIN LATERAL (VALUES (0), (CASE WHEN g %% 32 = 7 THEN 1 WHEN g %% 32 = 23 THEN 2 END)) e(rejected)
         WHERE e.rejected IS NOT NULL) x
  JOIN bench_tickets t ON t.k = x.k
  JOIN bench_devices d ON d.n = (x.k + x.round) %% %(devices)s
 ORDER BY x.g, x.rejected
"""
# Rows per step: 1 accepted + 2/32 rejected.
ROWS_PER_STEP = 1 + 2 / 32


_BACKFILL = ("counters_gate", "counters_minute", "counters_zone", "counters_reason", "counters_reason_code",
             "counters_gap")


def fill(event, scans: int, writers: int, *, through_trigger: bool = True) -> float:
    """Write `scans` scans through the triggers (or, with `through_trigger=False`, with triggers
    off and the counters then filled by the migration's backfill from the log: the same rows, as a
    fold leaves them, in minutes instead of an hour on this machine); returns the seconds."""
    import psycopg

    url = f"{PG}/{DB}"
    with psycopg.connect(url, autocommit=True) as conn:
        for sql in ("DROP TABLE IF EXISTS bench_tickets", "DROP TABLE IF EXISTS bench_devices",
                    "CREATE UNLOGGED TABLE bench_tickets AS SELECT (row_number() OVER (ORDER BY id) - 1)::int AS k, "
                    "id, zone_id FROM tickets_ticket WHERE event_id = %(event)s",
                    "CREATE UNIQUE INDEX ON bench_tickets (k)",
                    "CREATE UNLOGGED TABLE bench_devices AS SELECT (row_number() OVER (ORDER BY device_id) - 1)::int "
                    "AS n, device_id, checkpoint_id FROM devices_device WHERE event_id = %(event)s"):
            conn.execute(sql, {"event": event.event_id})
        opens = conn.execute("SELECT %s::timestamptz + interval '1 minute'", [event.doors_open_at]).fetchone()[0]
    tickets = SEATS
    steps = round(scans / ROWS_PER_STEP)
    per_writer = [steps // writers + (1 if w < steps % writers else 0) for w in range(writers)]
    errors: list[BaseException] = []

    def write(w: int) -> None:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                if not through_trigger:
                    conn.execute("SET session_replication_role = replica")
                per_round = len(range(w, tickets, writers))
                done, batch = 0, 200_000
                while done < per_writer[w]:
                    n = min(batch, per_writer[w] - done)
                    conn.execute(_FILL_SQL, {"event": event.event_id, "per_round": per_round, "w": w,
                                             "writers": writers, "first": done, "last": done + n - 1,
                                             "total": per_writer[w], "opens": opens, "span_s": MINUTES * 60,
                                             "devices": GATES * PHONES})
                    done += n
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    start = time.perf_counter()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    if not through_trigger:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET work_mem = '256MB'")
            for table in _BACKFILL:
                columns = "*" if table != "counters_reason" else (
                    "event_id, reason, device_id, slot, sum(scans), sum(codes)")
                group = "" if table != "counters_reason" else " GROUP BY 1, 2, 3, 4"
                conn.execute(f"INSERT INTO {table} SELECT {columns} FROM {table}_log(%s){group}", [event.event_id])
            # The report's rollups from those rows, as the fold keeps them (counters/migrations/0003).
            conn.execute("SELECT counters_rollups_fill(%s)", [event.event_id])
            conn.execute("ANALYZE")
    return time.perf_counter() - start


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def time_readers(event, repeat: int) -> dict:
    from backoffice import report
    from backoffice.report import event_report
    from backoffice.report_money import sales_section
    from live.selectors import gate_counts
    from live.series import scans_per_minute_night

    gate_counts(event.event_id)  # a first call: folds what the fill left, warms the caches
    event_report(event.event_id)
    # The phones' timelines, the report's section loaded apart (its cost follows phones x minutes);
    # an older checkout, whose report has them inside, has no such section.
    devices = getattr(report, "report_devices", None)
    out = {"report_devices_ms": _median_ms(lambda: devices(event.event_id), max(3, repeat // 2))} if devices else {}
    return out | {"gate_counts_ms": _median_ms(lambda: gate_counts(event.event_id), repeat),
            "series_night_ms": _median_ms(lambda: scans_per_minute_night(event), repeat),
            "report_ms": _median_ms(lambda: event_report(event.event_id), repeat),
            # The report's ticket-bound share (sales, offices; no scan is read there).
            "report_sales_ms": _median_ms(lambda: sales_section(event.event_id), max(3, repeat // 2))}


def _events(names: list[str]):
    from events.models import Event

    return {e.name: e for e in Event.objects.filter(name__in=names)}


def measure(*, scans: int = 3_000_000, small: int = 3_000, repeat: int = 7, writers: int = 2, reuse: bool = False,
            through_trigger_up_to: int = 200_000, quick: bool = False) -> dict:
    """Fill (unless `reuse`) and time; returns {"gate_counts_ms_at_3M": ..., ...}. `quick` (the
    harness's smoke run): the big event has 30,000 scans, backfilled as the 3M one is, so both
    fills and every reader run in seconds; its figures are "at_30k" and the 3M ones are absent."""
    if quick:
        scans, through_trigger_up_to, repeat = 30_000, small, 3
    _setup(not reuse)
    out: dict = {}
    sizes = [small, scans]
    names = [f"Counters bench {n}" for n in sizes]
    existing = _events(names) if reuse else {}
    for n, name in zip(sizes, names):
        label = _label(n)
        event = existing.get(name)
        if event is None:
            if reuse:
                raise SystemExit(f"--reuse: no event {name!r} in {DB}")
            event = _event(name)
            via = n <= through_trigger_up_to
            seconds = fill(event, n, writers, through_trigger=via)
            out[f"fill_{'through_trigger' if via else 'backfilled'}_scans_per_s_at_{label}"] = round(n / seconds)
        for key, value in time_readers(event, repeat).items():
            out[f"{key}_at_{label}"] = value
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM access_scan WHERE event_id = %s", [event.event_id])
            out[f"scans_at_{label}"] = cur.fetchone()[0]
            try:
                cur.execute("SELECT count(*) FROM counters_minute WHERE event_id = %s", [event.event_id])
                out[f"minute_rows_at_{label}"] = cur.fetchone()[0]
            except Exception:  # noqa: BLE001 - an old checkout's database has no counters
                pass
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=3_000_000)
    parser.add_argument("--small", type=int, default=3_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="time the events already filled")
    parser.add_argument("--through-trigger-up-to", type=int, default=200_000,
                        help="fill events up to this size through the triggers; larger ones are backfilled")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    result = measure(scans=args.scans, small=args.small, repeat=args.repeat, writers=args.writers, reuse=args.reuse,
                     through_trigger_up_to=args.through_trigger_up_to)
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
