"""The zones table on the event page: colour picker, seats, re-entry, price in the event's currency."""
from __future__ import annotations

import copy
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from events.models import Zone

FIXED_AFTER_GENERATION = _(
    "Fixed once tickets exist: each ticket is named after its zone code and seat number."
)
DEFAULT_COLOR = "#2E86C1"


def swatch(color: str, label: str = "") -> str:
    return format_html('<span class="tc-swatch" style="background:{}"></span>{}', color, label)


class ColorInput(forms.TextInput):
    """The browser's colour picker, with the chosen value written beside it (people name colours
    by their hex code on the phone's screen and the printed tickets)."""

    input_type = "color"

    def __init__(self, attrs=None):
        super().__init__({"class": "tc-color", **(attrs or {})})

    def render(self, name, value, attrs=None, renderer=None):
        picker = super().render(name, value, attrs, renderer)
        return format_html('<span class="tc-color-pick">{}<code class="tc-color-hex">{}</code></span>',
                           picker, (value or DEFAULT_COLOR).upper())


class ZoneForm(forms.ModelForm):
    color = forms.RegexField(regex=r"^#[0-9A-Fa-f]{6}$", initial=DEFAULT_COLOR, widget=ColorInput,
                             label=_("Colour"), error_messages={"invalid": _("Pick a colour.")},
                             help_text=_("Printed on the tickets and shown on the door phones."))
    price = forms.DecimalField(label=_("Price"), max_digits=10, decimal_places=2, min_value=0, required=False,
                               help_text=_("Ticket price in the event's currency. Empty means 0.00."))

    class Meta:
        model = Zone
        fields = ("zone_id", "name", "color", "seats", "reentry", "price")
        labels = {"zone_id": _("Code"), "name": _("Name"), "seats": _("Seats"), "reentry": _("Re-entry")}
        help_texts = {
            "zone_id": _("A short code printed in every seat number (A gives A-1, A-2…). Fixed once tickets exist."),
            "seats": FIXED_AFTER_GENERATION,
            "reentry": _("Ticked: people may go out and come back in. Unticked: a ticket that leaves is used up."),
        }

    def clean_color(self):
        return self.cleaned_data["color"].upper()

    def clean_price(self):
        price = self.cleaned_data.get("price")
        return price if price is not None else Decimal("0.00")


class ZoneInline(admin.TabularInline):
    """Before generation the zones are free; once tickets exist, zone code and seats are fixed
    (the seats are the tickets) while name, colour, re-entry and price stay editable
    (events.services.update_zone, called from EventAdmin.save_related)."""

    model = Zone
    form = ZoneForm
    fields = ("zone_id", "name", "color", "seats", "reentry", "price")
    extra = 0

    @staticmethod
    def locked(obj) -> bool:
        return obj is not None and obj.generated_at is not None

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None or not obj.zones.exists() else 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None and "price" in formset.form.base_fields:
            # The price column names the event's currency. A copy for this form class only: the
            # declared field itself is shared by every class made from ZoneForm, in every request.
            price = copy.deepcopy(formset.form.base_fields["price"])
            price.label = gettext("Price (%(currency)s)") % {"currency": obj.currency}
            formset.form.base_fields = {**formset.form.base_fields, "price": price}
        return formset

    def has_add_permission(self, request, obj=None):
        return not self.locked(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self.locked(obj) and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return ("zone_id", "seats") if self.locked(obj) else ()
