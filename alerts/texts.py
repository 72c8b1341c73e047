"""The words of an alert, written in each reader's language (issue 16 items 4 and 6).

An alert is raised with an `AlertText`: the key of one of the TEXTS below and the values it
needs: names of devices, gates, zones, offices and seats, counts, and times already on the
event's clock with their offset (`21:30:05 (UTC+05:30)`). The row keeps the key and the values
(`Alert.text`), and the message is rendered when it is read, in the reader's language: the alerts
API and the dashboard's snapshot in the request's, the admin in its page's, the live push in the
event's (`alerts.services`). `message` keeps the English rendering made when it was raised: what
rows raised before this existed show, and what a reader gets should a key ever be removed.

A value is stored as JSON and read back as:
- a string or a number, as it is (a float in the reader's number format: `97,5` in Spanish);
- an AlertText: a phrase of its own (`North 1 at Gate North 1`), rendered in the reader's language;
- a list of those, joined with commas (`sentences()` joins whole sentences with spaces);
- a translated word given lazily (a reason's label from access.vocabulary, say): stored in every
  language TicketCore speaks, because the app that defines it sits above this one (docs/adr/0023).

Every key is one entry of the catalogue; translators see all of an alert's words here."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import formats, translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.i18n import language_codes

SENTENCES = "sentences"

TEXTS: dict[str, Promise] = {
    # Names and phrases other texts are made of.
    "device.at_gate": _("%(device)s at %(gate)s"),
    "device.another": _("another device"),
    "gate.unknown": _("a gate"),
    "reason.count": _("%(reason)s (%(count)d)"),
    # offline_conflict: two devices let one ticket in.
    "conflict": _("Seat %(seat)s (%(zone)s) may have let two people in: %(admitted)s; %(refused)s."),
    "conflict.admitted_online": _("%(device)s admitted it online at %(at)s"),
    "conflict.admitted_offline": _("%(device)s admitted it offline at %(at)s"),
    "conflict.refused_at": _("%(device)s scanned it offline at %(at)s and it was refused (%(reason)s)"),
    "conflict.refused": _("%(device)s scanned it offline and it was refused (%(reason)s)"),
    "conflict.refused_first": _("The refused scan was made first: its phone uploaded late."),
    "conflict.check_seat": _("Check who is in that seat."),
    # late_upload
    "upload.late": ngettext_lazy(
        "%(device)s uploaded %(count)d scan made offline more than %(limit)d min before it reached the server; "
        "it was made at %(oldest)s, %(minutes)d min earlier. Figures for that time were incomplete.",
        "%(device)s uploaded %(count)d scans made offline more than %(limit)d min before they reached the "
        "server; the oldest was made at %(oldest)s, %(minutes)d min earlier. Figures for that time were "
        "incomplete.", "count"),
    # revoked_device
    "revoked.attempt": _("Revoked device %(device)s tried to connect at %(at)s. Its token is refused; find the "
                         "phone."),
    "revoked.upload": ngettext_lazy(
        "Revoked device %(device)s uploaded %(count)d offline scan at %(at)s: kept as evidence, not applied; "
        "nobody was let in or out.",
        "Revoked device %(device)s uploaded %(count)d offline scans at %(at)s: kept as evidence, not applied; "
        "nobody was let in or out.", "count"),
    "revoked.capped": _("Revoked device %(device)s keeps uploading scans (last at %(at)s): evidence is capped at "
                        "%(cap)s; further uploads are refused and not stored. Find the phone."),
    "revoked.cap_total": _("its total of %(total)d"),
    "revoked.cap_per_minute": _("%(per_minute)d a minute"),
    # rejected_burst, invalid_signature_burst
    "burst.refused": ngettext_lazy(
        "%(count)d scan refused at %(gate)s in the %(window)d s up to %(at)s; most often: %(reasons)s.",
        "%(count)d scans refused at %(gate)s in the %(window)d s up to %(at)s; most often: %(reasons)s.", "count"),
    "burst.forged": ngettext_lazy(
        "%(count)d code with an invalid signature at %(gate)s in the %(window)d s up to %(at)s: possible forgery.",
        "%(count)d codes with an invalid signature at %(gate)s in the %(window)d s up to %(at)s: possible "
        "forgeries.", "count"),
    # zone_capacity
    "zone.full": _("Zone %(zone)s is at %(pct)s%% of capacity at %(at)s: %(inside)d of %(seats)d seats taken."),
    # device_silent
    "silent.heard": _("Device %(device)s is silent: last heard at %(at)s, %(minutes)d min ago."),
    "silent.paired": _("Device %(device)s is silent: paired at %(at)s, %(minutes)d min ago, and not heard from "
                       "since."),
    # office_conflict
    "office.refused_seat": _("Box office %(office)s sold seat %(seat)s on %(at)s, but the sale was refused: "
                             "%(why)s. Money was taken without a valid ticket: refund or re-seat the buyer."),
    "office.refused_unknown": _("Box office %(office)s sold a ticket on %(at)s, but the sale was refused: this "
                                "event has no such ticket. Money was taken without a valid ticket: refund or "
                                "re-seat the buyer."),
}


@dataclass(frozen=True)
class AlertText:
    """One text of TEXTS and its values; `stored()` is what the alert row keeps."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def __init__(self, key: str, **params: Any):
        if key not in TEXTS and key != SENTENCES:
            raise KeyError(f"no alert text {key!r}")  # a bug in the caller, caught by its tests
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "params", params)

    def stored(self) -> dict:
        return {"key": self.key, "params": {name: _stored(value) for name, value in self.params.items()}}

    def english(self) -> str:
        """The words in English, as `Alert.message` keeps them; fails on a missing value."""
        with translation.override("en"):
            return rendered(self.stored())


def sentences(*texts: AlertText) -> AlertText:
    """Whole sentences, one after the other."""
    return AlertText(SENTENCES, parts=list(texts))


def lower_first(label: Promise | str) -> Promise:
    """A label used inside a sentence (`Already inside` -> `already inside`), in any language;
    a word that starts with two capitals (an acronym) is left alone."""

    def lowered() -> str:
        text = str(label)
        return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text

    return lazy(lowered, str)()


def _stored(value: Any) -> Any:
    if isinstance(value, AlertText):
        return value.stored()
    if isinstance(value, Promise):
        words = {}
        for code in language_codes():
            with translation.override(code):
                words[code] = str(value)
        return {"words": words}
    if isinstance(value, (list, tuple)):
        return [_stored(item) for item in value]
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise TypeError(f"an alert text cannot keep a {type(value).__name__}")


def _language() -> str:
    code = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return code if code in language_codes() else settings.LANGUAGE_CODE


def _value(value: Any) -> Any:
    if isinstance(value, dict):
        if "key" in value:
            return rendered(value)
        words = value.get("words") or {}
        return words.get(_language()) or words.get(settings.LANGUAGE_CODE) or next(iter(words.values()), "")
    if isinstance(value, list):
        return ", ".join(str(_value(item)) for item in value)
    if isinstance(value, float):
        return formats.number_format(value)
    return "" if value is None else value


def rendered(text: dict) -> str:
    """A stored text in the active language. KeyError or TypeError when it cannot be rendered (a
    key or a value that is no longer there): `message_of` then falls back to the stored English."""
    key, params = text["key"], text.get("params") or {}
    if key == SENTENCES:
        return " ".join(rendered(part) for part in params.get("parts", []))
    values = {name: _value(value) for name, value in params.items()}
    return str(TEXTS[key] % values)


def message_of(text: dict | None, stored_message: str) -> str:
    """An alert's words in the active language: from its text when it has one that still renders,
    else the English it was stored with."""
    if not text:
        return stored_message
    try:
        return rendered(text)
    except (KeyError, TypeError, ValueError):
        return stored_message
