"""Firestore `Write` protobufs built directly on the raw (upb) message classes, in place.

The client library's own encoder (proto-plus wrappers) spends about 2 ms of CPU per ticket
document, which capped the drain at a few hundred documents per second. These builders write
each value straight into its place in the request (`request.writes.add()`, then each field's
`Value` inside the document's map): a nested message built apart and then assigned is copied
into its parent, once per level, and those copies were a third of the drain's encoding time.
tests/mirror/test_mirror_encode.py proves they produce exactly the library's protobufs for every
kind of value and write the mirror uses.

Every builder fills `into` (a raw `Write`, e.g. `request.writes.add()`) or a new one, and returns
it; the drain sends the whole `CommitRequest` it built (`commit_request`)."""
from __future__ import annotations

from datetime import datetime, timezone

from google.cloud.firestore_v1.field_path import FieldPath
from google.cloud.firestore_v1.types import document as document_types
from google.cloud.firestore_v1.types import firestore as firestore_types
from google.cloud.firestore_v1.types import write as write_types

_Value = document_types.Value.pb()
_Write = write_types.Write.pb()
_CommitRequest = firestore_types.CommitRequest.pb()
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def commit_request(database: str):
    """An empty raw CommitRequest for `database` (projects/P/databases/D): add writes with
    `request.writes.add()` and the builders below."""
    return _CommitRequest(database=database)


def _set_timestamp(ts, value: datetime) -> None:
    if value.tzinfo is None:
        raise ValueError("naive datetime")  # USE_TZ: every datetime here is aware
    delta = value - _EPOCH  # exact, offset applied
    ts.seconds = delta.days * 86_400 + delta.seconds
    ts.nanos = delta.microseconds * 1000
    if not delta:
        ts.SetInParent()  # the epoch itself: all-zero fields, but the timestamp is set


def set_value(msg, v) -> None:
    """Write `v` into the Value message `msg` (in place). Exact types first: they are what
    PostgreSQL's rows hold; subclasses (an IntEnum, a SafeString) take the slower way."""
    t = type(v)
    if t is str:
        msg.string_value = v
    elif v is None:
        msg.null_value = 0
    elif t is bool:  # before int: True is an int in Python
        msg.boolean_value = v
    elif t is int:
        msg.integer_value = v
    elif t is datetime:
        _set_timestamp(msg.timestamp_value, v)
    elif t is list or t is tuple:
        array = msg.array_value
        array.SetInParent()  # an empty list is still an array
        values = array.values
        for x in v:
            set_value(values.add(), x)
    elif t is dict:
        set_fields(msg.map_value, v)
    elif t is float:
        msg.double_value = v
    else:
        _set_other(msg, v)


def _set_other(msg, v) -> None:
    if isinstance(v, bool):
        msg.boolean_value = v
    elif isinstance(v, int):
        msg.integer_value = int(v)
    elif isinstance(v, float):
        msg.double_value = v
    elif isinstance(v, str):
        msg.string_value = str(v)
    elif isinstance(v, datetime):
        _set_timestamp(msg.timestamp_value, v)
    elif isinstance(v, (bytes, bytearray, memoryview)):
        msg.bytes_value = bytes(v)
    elif isinstance(v, (list, tuple)):
        set_value(msg, list(v))
    elif isinstance(v, dict):
        set_value(msg, dict(v))
    else:
        raise TypeError(f"cannot mirror a {type(v).__name__}")


def set_fields(holder, data: dict) -> None:
    """Write `data` into the `fields` map of `holder` (a Document or a MapValue), in place."""
    holder.SetInParent()  # an empty map is still a map
    fields = holder.fields
    for k, v in data.items():
        set_value(fields[k], v)


def value(v):
    """`v` as a standalone Value message."""
    msg = _Value()
    set_value(msg, v)
    return msg


def _document(w, name: str, data: dict):
    doc = w.update
    doc.name = name
    set_fields(doc, data)
    return w


def create(name: str, data: dict, *, into=None):
    """`create`: the document must not exist yet."""
    w = _document(_Write() if into is None else into, name, data)
    w.current_document.exists = False
    return w


def replace(name: str, data: dict, *, gone: list[str], update_time=None, into=None):
    """A full replacement of an existing document under a `last_update_time` precondition: every
    field of `data` is written and every name in `gone` removed (set() takes no precondition)."""
    w = _document(_Write() if into is None else into, name, data)
    w.update_mask.field_paths.extend(FieldPath(k).to_api_repr() for k in (*data, *gone))
    if update_time is not None:
        _set_timestamp(w.current_document.update_time, update_time)
    return w


def overwrite(name: str, data: dict, *, update_ns: int, into=None):
    """A full replacement (no mask: every field not in `data` goes) of a document last written at
    `update_ns`: what `set()` writes, under a `last_update_time` precondition."""
    w = _document(_Write() if into is None else into, name, data)
    _set_timestamp_ns(w.current_document.update_time, update_ns)
    return w


def set_unguarded(name: str, data: dict, *, into=None):
    """A plain overwrite with no precondition (negative-control tests only)."""
    return _document(_Write() if into is None else into, name, data)


def delete(name: str, *, update_time=None, update_ns: int | None = None, into=None):
    w = _Write() if into is None else into
    w.delete = name
    if update_time is not None:
        _set_timestamp(w.current_document.update_time, update_time)
    elif update_ns is not None:
        _set_timestamp_ns(w.current_document.update_time, update_ns)
    return w


def _set_timestamp_ns(ts, ns: int) -> None:
    ts.seconds, ts.nanos = divmod(ns, 1_000_000_000)
    if not ns:
        ts.SetInParent()
