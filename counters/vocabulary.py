"""Numbers the counters are kept with, defined once (backoffice/flow.py takes them from here)."""

# Two entry scans on one phone at most this far apart are back-to-back: the next person was
# waiting (docs/adr/0028). The trigger (counters/migrations/0002) has it as the literal 20; a
# test holds the two equal, and a change of it is a migration that recounts.
BUSY_GAP_S = 20.0

# A phone is a lane open from this many minutes before to this many after any of its scans
# (backoffice/flow.py takes it from here). The fold keeps the lanes open with it
# (counters/migrations/0003's SLACK); a test holds the two equal, a change is a migration.
LANE_SLACK = 2
