"""The counters' tables, by name (importable before the app registry: ticketcore/dbroles.py)."""

TABLES = ("counters_gate", "counters_minute", "counters_zone", "counters_reason", "counters_reason_code",
          "counters_gap", "counters_flow_pending", "counters_scan_queue", "counters_gate_minute",
          "counters_gate_lanes", "counters_phone", "counters_zone_minute",
          "counters_sales", "counters_admitted", "counters_admitted_mark")
