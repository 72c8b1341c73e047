"""The event form of the set-up page: name, venue, the venue's time zone, dates on that clock,
doors, currency and language."""
from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.localtime import DEFAULT_TIME_ZONE, time_zone_names
from core.localtime import zone as time_zone
from events.currencies import CURRENCIES, DEFAULT_CURRENCY
from events.models import Language
from tickets.models import Ticket

FIELD_WORDS = (
    ("date_start", _("Starts"), _("Local time at the venue (the event's time zone).")),
    ("date_end", _("Ends"), _("Local time at the venue (the event's time zone).")),
    ("doors_open_minutes", _("Doors open (minutes before the start)"),
     _("From then on the door phones admit tickets. 720 = twelve hours before.")),
    ("doors_close_minutes", _("Doors close (minutes after the end)"),
     _("After that a ticket is refused as “doors closed”. 360 = six hours after.")),
)


def _choices(values) -> list[tuple[str, str]]:
    return [(v, v) for v in sorted(values)]


class EventForm(forms.ModelForm):
    """Dates are typed and shown on the event's own clock: the change page runs in the event's
    time zone (EventAdmin.changeform_view), and what was typed is read as wall-clock time in the
    zone chosen in this same form, so choosing Europe/Madrid and typing 21:30 means 21:30 in
    Madrid, whatever zone the page was shown in."""

    timezone = forms.ChoiceField(
        label=_("Time zone"), choices=[], required=False, initial=DEFAULT_TIME_ZONE,
        help_text=_("The venue's time zone. Every time shown to people (admin, printed tickets, reports) "
                    "is on this clock, including the start and end typed below."))
    currency = forms.ChoiceField(
        label=_("Currency"), choices=[], required=False, initial=DEFAULT_CURRENCY,
        help_text=_("Currency of the zone prices (ISO 4217). It cannot change once tickets have been sold."))
    language = forms.ChoiceField(
        label=_("Language"), choices=Language.choices, required=False, initial=Language.SPANISH,
        help_text=_("Language of printed tickets, badges and reports."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = _choices(time_zone_names())
        self.fields["currency"].choices = _choices(CURRENCIES)
        for name, label, help_text in FIELD_WORDS:
            if name in self.fields:
                self.fields[name].label, self.fields[name].help_text = label, help_text

    def clean_timezone(self):
        return self.cleaned_data.get("timezone") or DEFAULT_TIME_ZONE

    def clean_currency(self):
        return self.cleaned_data.get("currency") or DEFAULT_CURRENCY

    def clean_language(self):
        return self.cleaned_data.get("language") or Language.SPANISH

    def clean(self):
        data = super().clean()
        shown_in, chosen = timezone.get_current_timezone(), time_zone(data.get("timezone") or DEFAULT_TIME_ZONE)
        for name in ("date_start", "date_end"):
            if data.get(name) and chosen.key != getattr(shown_in, "key", None):
                wall_clock = timezone.make_naive(data[name], shown_in)
                data[name] = timezone.make_aware(wall_clock, chosen)
        if data.get("date_start") and data.get("date_end") and data["date_end"] <= data["date_start"]:
            self.add_error("date_end", gettext("Must be after the start."))
        before = self.instance
        if (not before._state.adding and data.get("currency") and data["currency"] != before.currency
                and Ticket.objects.filter(event_id=before.pk, status=False).exists()):
            # The prices already taken are numbers in the old currency (events.services.update_event).
            self.add_error("currency", gettext("Tickets have been sold in %(currency)s, so the currency can no "
                                               "longer change.") % {"currency": before.currency})
        return data
