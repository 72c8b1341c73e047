"""Admin building blocks shared by the apps."""
from django.contrib import admin
from django.templatetags.static import static
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _


class ReadOnlyAdminMixin:
    """For evidence and history (ledger, scans, office sales): changed only through services,
    and database triggers refuse UPDATE/DELETE anyway."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def yes_no(value) -> str:
    """A yes/no value as the admin's tick or cross, its alternative text in the page's language:
    Django's own (admin_list._boolean_icon) writes Python's "True"/"False" into `alt`."""
    if value is None:
        return format_html('<img src="{}" alt="{}">', static("admin/img/icon-unknown.svg"), _("Unknown"))
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{'yes' if value else 'no'}.svg"),
                       _("Yes") if value else _("No"))


def boolean_column(model, field: str, description=None):
    """A list column for `field` drawn with yes_no(); titled with the field's verbose name unless
    `description` says otherwise; sorted by the field."""

    def column(*args):  # (obj), or (model_admin, obj) as a method of the ModelAdmin it is set on
        return yes_no(getattr(args[-1], field))

    column.short_description = description or model._meta.get_field(field).verbose_name
    column.admin_order_field = field
    column.__name__ = f"{field}_icon"
    return column


class ByName(admin.RelatedFieldListFilter):
    """A filter by a related event, gate, device or office that lists their names: the models'
    own text carries the id (`North (cpZXqzyH3Gta)`), which means nothing to a person. Something
    that belongs to an event is named with its event (`North · Gala night`), so that two events'
    gates of the same name stay apart."""

    def field_choices(self, field, request, model_admin):
        model = field.related_model
        rows = model._default_manager.all()
        if any(f.name == "event" for f in model._meta.fields):
            rows = rows.select_related("event").order_by("event__name", "name")
            return [(row.pk, f"{row.name} · {row.event.name}") for row in rows]
        return list(rows.order_by("name").values_list("pk", "name"))


def money(amount, currency: str) -> str:
    """`1,234.50 EUR`, `1.234,50 EUR` in Spanish: an amount as the page's language writes numbers."""
    return f"{number_format(amount, 2, force_grouping=True)} {currency}"
