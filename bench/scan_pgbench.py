"""The scan decision function alone, without Python: pgbench calls `access_scan_ticket` for
random sold tickets ('in' scans) with 1 and 8 clients.

    .venv/bin/python bench/scan_pgbench.py [--seconds 8]

This is the database's share of an online scan (lock, decide, update, ledger, scan record,
triggers, commit), the ceiling for the HTTP path on the same 2 cores."""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile

from common import BENCH_DB, machine, setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    setup_django()
    from scan_http import prepare

    event, _, _ = prepare(60_000, 1)
    from devices.models import Device

    device = Device.objects.select_related("checkpoint").get(event=event)
    script = (
        "\\set n random(1, 60000)\n"
        f"SELECT access_scan_ticket('{device.device_id}', '{event.event_id}', '{device.checkpoint_id}', "
        "'{}'::text[], 'both', "
        f"(SELECT ticket_id FROM tickets_ticket WHERE event_id = '{event.event_id}' AND seat_id = 'A-' || :n), "
        "'x', 'in', gen_random_uuid(), NULL, NULL, 'online', false);\n")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    print(f"machine: {machine()}")
    try:
        for clients in (1, 8):
            out = subprocess.run(["pgbench", "-h", "127.0.0.1", "-U", "postgres", "-n", "-c", str(clients), "-j", "2",
                                  "-T", str(args.seconds), "-f", f.name, BENCH_DB],
                                 capture_output=True, text=True, check=True).stdout
            tps = re.search(r"tps = ([\d.]+)", out).group(1)
            lat = re.search(r"latency average = ([\d.]+ ms)", out).group(1)
            print(f"scan function, {clients} client(s): {float(tps):.0f} scans/s, mean latency {lat}")
    finally:
        os.unlink(f.name)


if __name__ == "__main__":
    main()
