"""Cost of computing codes on read with signing keys encrypted at rest (docs/security.md).

No database: an unsaved SigningKey is sealed in memory. Run it in two checkouts to compare:
`DEBUG=true .venv/bin/python bench/signing_key_read.py`."""
import os
import sys
import time
import timeit
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketcore.settings")
import django  # noqa: E402

django.setup()
from events import codes  # noqa: E402
from events.models import SigningKey  # noqa: E402

raw, pub = codes.new_keypair()
key = SigningKey(key_id="benchkey01", event_id="e", public_key=pub, private_key=raw)
tickets = [types.SimpleNamespace(ticket_id=f"T{i:08d}", event_id="e") for i in range(20000)]
codes.ticket_code(tickets[0], key)  # the first use decrypts (when encrypted)
best = []
for _ in range(5):
    t0 = time.perf_counter()
    for t in tickets:
        codes.ticket_code(t, key)
    best.append((time.perf_counter() - t0) / len(tickets) * 1e6)
print(f"ticket_code per code: {min(best):.2f} us (best of 5 x 20,000)")
n = 200_000
print(f"key.private_key: {min(timeit.repeat(lambda: key.private_key, number=n, repeat=5)) / n * 1e9:.0f} ns, "
      f"key.public_key: {min(timeit.repeat(lambda: key.public_key, number=n, repeat=5)) / n * 1e9:.0f} ns")
if hasattr(key, "envelope"):
    from events import keyring

    t0 = time.perf_counter()
    for _ in range(2000):
        keyring.unseal(key.key_id, key.envelope)
    print(f"first use in a process (unwrap + decrypt): {(time.perf_counter() - t0) / 2000 * 1e6:.1f} us")
