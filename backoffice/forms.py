"""Forms of the event page's own views: selling seats to a buyer, giving seats to a box office."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput
from events.forms import SeatsField, event_seat_counts
from events.models import Event
from offices.models import Office
from tickets.holds import check_buyer


class SeatsForm(forms.Form):
    seats = SeatsField(label=_("Seats"))

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields["seats"].zones = event_seat_counts(event.event_id)


class SellForm(SeatsForm):
    """A staff sale: the seats and who bought them (kept in each ticket's `sold` ledger entry)."""

    name = forms.CharField(label=_("Buyer's name"), max_length=200)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False,
                           help_text=_("Anything staff should know later (invoice number, paid how)."))

    def clean(self):
        data = super().clean()
        buyer = self.buyer() if "name" in data else None
        if buyer is not None:
            try:
                check_buyer(buyer)
            except InvalidInput as exc:
                self.add_error(None, exc.message)
        return data

    def buyer(self) -> dict:
        data = self.cleaned_data
        return {k: data[k].strip() for k in ("name", "email", "phone", "note") if data.get(k, "").strip()}


class AssignForm(SeatsForm):
    office = forms.ModelChoiceField(label=_("Box office"), queryset=Office.objects.none(), empty_label=None)

    field_order = ["office", "seats"]

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, event=event, **kwargs)
        self.fields["office"].queryset = Office.objects.filter(event_id=event.event_id)
        self.fields["office"].label_from_instance = lambda office: office.name
