"""Cost of refusing unstorable text (NUL, lone surrogates) in the JSON parser (docs/adr/0017).

    .venv/bin/python bench/parser_check.py

No database: times the check on one scan body and on a 10,000-scan sync body, against
json.loads alone, and the exact walk that runs only when the cheap check finds a candidate."""
from __future__ import annotations

import io
import json
import os
import sys
import timeit
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketcore.settings")

import django  # noqa: E402

django.setup()

from core.api import SafeJSONParser, may_hold_unstorable, unstorable_fields  # noqa: E402


def best(fn, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=9)) / number


def main() -> None:
    code = "T.wKgjIyjA9GTzZWEbj7Vl-idOUJUajw2nQaGHEOcgw.tMV1v1D1." + "A" * 86
    one = json.dumps({"code": code, "direction": "in", "scan_id": str(uuid.uuid4())})
    print(f"one scan body ({len(one)} chars): check {best(lambda: may_hold_unstorable(one), 100_000) * 1e9:.0f} ns, "
          f"json.loads {best(lambda: json.loads(one), 100_000) * 1e9:.0f} ns")
    raw = one.encode()

    def fast_path_before():
        return json.loads(raw)

    def fast_path_after():  # access/fastpath.py fast_scan_response: decode with the request's charset, then check
        text = raw.decode("utf-8")
        return json.loads(text), may_hold_unstorable(text)

    print(f"scan fast path body handling: before {best(fast_path_before, 100_000) * 1e9:.0f} ns, "
          f"after {best(fast_path_after, 100_000) * 1e9:.0f} ns")
    scans = [{"code": code, "direction": "in", "scan_id": str(uuid.uuid4()),
              "scanned_at": "2030-01-01T20:00:00+00:00"} for _ in range(10_000)]
    big = json.dumps({"scans": scans}).encode()
    text = big.decode()
    parser = SafeJSONParser()
    print(f"10,000-scan sync body ({len(big):,} bytes): SafeJSONParser "
          f"{best(lambda: parser.parse(io.BytesIO(big), 'application/json', {}), 10) * 1e3:.2f} ms, "
          f"json.loads {best(lambda: json.loads(big), 10) * 1e3:.2f} ms, "
          f"check alone {best(lambda: may_hold_unstorable(text), 20) * 1e3:.3f} ms, "
          f"exact walk (only on a hit) {best(lambda: unstorable_fields(json.loads(text)), 3) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
