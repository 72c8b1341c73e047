"""The mirror's fast protobuf builders (mirror/encode.py) must produce exactly what
the Firestore client library produces for the same write: same bytes on the wire."""
import enum
from datetime import datetime, timedelta, timezone

import pytest
from google.cloud.firestore import DELETE_FIELD
from google.cloud.firestore_v1 import _helpers
from google.cloud.firestore_v1.field_path import FieldPath

from mirror import encode

NAME = "projects/p/databases/(default)/documents/events/E1/tickets/D1"
WHEN = datetime(2026, 11, 21, 20, 0, 0, 123456, tzinfo=timezone.utc)
DOC = {
    "ticket_id": "E1-D1", "status": False, "version": 2**40, "seat_row": "por asignar", "valid_until": None,
    "date_start": WHEN, "date_end": WHEN.astimezone(timezone(timedelta(hours=-5))), "ratio": 0.25,
    "ledger": [{"date": WHEN.isoformat(), "action": "came-out", "metadata": '{"by":"ñandú"}'}],
    "zones": ["A", "B"], "empty": [], "nested": {"a": {"b": [1, True, None]}}, "raw": b"\x00\xff",
    "no_fields": {}, "epoch": datetime(1970, 1, 1, tzinfo=timezone.utc), "zero": 0, "blank": "", "no": False,
    "before_epoch": datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=timezone.utc),
}


class Level(enum.IntEnum):
    HIGH = 3


class Text(str):
    pass


# Subclasses of the plain types take the encoder's slower path; the result must be the same.
SUBCLASSED = {"level": Level.HIGH, "label": Text("ñandú"), "gates": ("A", "B")}


def same(mine, library):
    assert mine == library._pb
    assert mine.SerializeToString(deterministic=True) == library._pb.SerializeToString(deterministic=True)


def test_create_matches_the_library():
    same(encode.create(NAME, DOC), _helpers.pbs_for_create(NAME, DOC)[0])


@pytest.mark.parametrize("gone", [[], ["stale_field", "came-out"]])
def test_guarded_replace_matches_update_with_last_update_time(gone):
    option = _helpers.LastUpdateOption(WHEN)
    updates = {**DOC, **{FieldPath(k).to_api_repr(): DELETE_FIELD for k in gone}}
    library = _helpers.pbs_for_update(NAME, updates, option)[0]
    mine = encode.replace(NAME, DOC, gone=gone, update_time=WHEN)
    library._pb.update_mask.field_paths.sort()
    mine.update_mask.field_paths.sort()
    same(mine, library)


def test_delete_and_unguarded_set_match_the_library():
    same(encode.delete(NAME, update_time=WHEN), _helpers.pb_for_delete(NAME, _helpers.LastUpdateOption(WHEN)))
    same(encode.delete(NAME), _helpers.pb_for_delete(NAME, None))
    same(encode.set_unguarded(NAME, DOC), _helpers.pbs_for_set_no_merge(NAME, DOC)[0])


def test_unsupported_values_are_refused():
    with pytest.raises(TypeError):
        encode.value(object())
    with pytest.raises(ValueError):
        encode.value(datetime(2026, 1, 1))


def test_overwrite_matches_set_with_last_update_time():
    """The no-read update (docs/adr/0034): `set()` (no mask: a full replacement) with the
    library's `last_update_time` option, the update time given in nanoseconds."""
    library = _helpers.pbs_for_set_no_merge(NAME, DOC)[0]
    _helpers.LastUpdateOption(WHEN).modify_write(library)
    ns = int(WHEN.timestamp()) * 1_000_000_000 + WHEN.microsecond * 1000
    same(encode.overwrite(NAME, DOC, update_ns=ns), library)
    same(encode.delete(NAME, update_ns=ns), _helpers.pb_for_delete(NAME, _helpers.LastUpdateOption(WHEN)))


def test_subclassed_values_encode_as_their_plain_types():
    library = _helpers.pbs_for_create(NAME, {"level": 3, "label": "ñandú", "gates": ["A", "B"]})[0]
    same(encode.create(NAME, SUBCLASSED), library)


def test_writes_built_in_place_in_a_commit_request_equal_the_standalone_ones():
    """The drain adds its writes with `request.writes.add()`: the same messages, nothing copied."""
    request = encode.commit_request("projects/p/databases/(default)")
    encode.create(NAME, DOC, into=request.writes.add())
    encode.overwrite(NAME, DOC, update_ns=5 * 10**9 + 7, into=request.writes.add())
    encode.delete(NAME, update_ns=10**9, into=request.writes.add())
    assert list(request.writes) == [encode.create(NAME, DOC), encode.overwrite(NAME, DOC, update_ns=5 * 10**9 + 7),
                                    encode.delete(NAME, update_ns=10**9)]
