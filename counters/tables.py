"""The counters' tables, by name (importable before the app registry: ticketcore/dbroles.py)."""

TABLES = ("counters_gate", "counters_minute", "counters_zone", "counters_reason", "counters_reason_code",
          "counters_gap", "counters_flow_pending")
