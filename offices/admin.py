import io

import segno
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.adminutils import ByName, ReadOnlyAdminMixin, money
from core.errors import DomainError
from core.localtime import LocalTimesAdminMixin, format_local
from core.words import label
from devices import services as device_services
from devices.pairing_links import pairing_url
from offices import evidence as kept_sales_services
from offices import selectors, services
from offices.models import Office, OfficeAssignment, OfficeSale
from offices.vocabulary import PaymentMethod, SaleReason, SaleResult


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    """Offline box offices with their reconciliation: assigned = sold + returned + outstanding.
    Tickets are assigned and returned through the API (POST /api/v1/offices/{id}/assign|unassign)."""

    list_display = ("name", "office_id", "event_name", "assigned", "sold", "returned", "outstanding",
                    "rejected_sales", "device_status")
    list_filter = (("event", ByName),)
    search_fields = ("name", "office_id")
    fields = ("event", "name", "office_id", "device", "pairing", "reconciliation", "kept_sales")
    readonly_fields = ("office_id", "device", "pairing", "reconciliation", "kept_sales")
    list_select_related = ("event", "device")
    actions = ["new_pairing_code"]

    class Media:
        css = {"all": ("backoffice/admin.css",)}

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (("event",) if obj else ())

    def get_fields(self, request, obj=None):
        # A new office: its event and name; the code, pairing and money exist once it is saved.
        return self.fields if obj else ("event", "name")

    def get_form(self, request, obj=None, **kwargs):
        self.request = request
        return super().get_form(request, obj, **kwargs)

    def get_queryset(self, request):
        # The reconciliation numbers for the whole changelist page in the same query.
        rejected = (OfficeSale.objects.filter(office_id=OuterRef("pk"), result="rejected").order_by()
                    .values("office_id").annotate(n=Count("sale_id")).values("n"))
        open_ = Q(assignments__returned_at__isnull=True)
        return super().get_queryset(request).annotate(
            n_assigned=Count("assignments"),
            n_sold=Count("assignments", filter=open_ & Q(assignments__ticket__status=False)),
            n_returned=Count("assignments", filter=Q(assignments__returned_at__isnull=False)),
            n_outstanding=Count("assignments", filter=open_ & Q(assignments__ticket__status=True)),
            n_rejected=Coalesce(Subquery(rejected), 0),
        )

    @admin.display(description=_("event"), ordering="event__name")
    def event_name(self, obj):
        return obj.event.name

    @admin.display(description=_("given"), ordering="n_assigned")
    def assigned(self, obj):
        return obj.n_assigned

    @admin.display(description=pgettext_lazy("box office", "sold"), ordering="n_sold")
    def sold(self, obj):
        return obj.n_sold

    @admin.display(description=_("returned"), ordering="n_returned")
    def returned(self, obj):
        return obj.n_returned

    @admin.display(description=_("still at the office"), ordering="n_outstanding")
    def outstanding(self, obj):
        return obj.n_outstanding

    @admin.display(description=_("refused sales (refunds due)"))
    def rejected_sales(self, obj):
        n = obj.n_rejected
        return format_html('<b style="color:#C0392B">{}</b>', n) if n else 0

    @admin.display(description=_("office terminal"))
    def device_status(self, obj):
        if obj.device.revoked_at:
            return format_html('<b style="color:#C0392B">{}</b>', pgettext_lazy("device", "revoked"))
        return _("paired") if obj.device.paired_at else _("not paired")

    @admin.display(description=_("reconciliation"))
    def reconciliation(self, obj):
        if obj._state.adding:  # office_id has a default, so a new office already has a pk
            return "—"
        c, m = selectors.reconciliation_counts(obj.office_id), selectors.reconciliation_money(obj.office_id)
        cur = m["currency"]
        refused_note = _("at the seats' zone prices today")
        if m["refunds_unvalued"]:
            refused_note = _("at the seats' zone prices today; %(count)s for unknown tickets not valued") % {
                "count": m["refunds_unvalued"]}
        rows = [
            (_("Seats given to the office"), c["assigned"], "", ""),
            (_("Sold by the office"), c["sold"], money(m["sold_amount"], cur), _("the cash the office should hand in")),
            (_("Returned online unsold"), c["returned"], "", ""),
            (_("Still at the office, unsold"), c["outstanding"], money(m["outstanding_value"], cur),
             _("worth this at today's prices if all sell")),
            (_("Sales refused: refunds due"), c["rejected_sales"], money(m["refunds_due_amount"], cur), refused_note),
        ]
        body = format_html_join("", '<tr data-row="{}"><th>{}</th><td class="num">{}</td><td class="num">{}</td>'
                                    "<td>{}</td></tr>", ((i, *r) for i, r in enumerate(rows)))
        give = reverse("admin:events_event_assign", args=[obj.event_id])
        back = reverse("admin:offices_office_change", args=[obj.office_id])
        return format_html(
            '<table class="tc-money"><thead><tr><th></th><th class="num">{}</th><th class="num">{}</th>'
            "<th></th></tr></thead><tbody>{}</tbody></table><p>{}</p>"
            '<p><a class="button" href="{}?{}">{}</a></p>',
            _("Seats"), _("Money"), body,
            _("Seats given = sold + returned + still at the office. A refused sale is a seat the office sold "
              "after it was sold elsewhere or taken back: the buyer paid for a seat they cannot have, so refund "
              "them or seat them elsewhere (a new sale by staff). Each also raised an alert."),
            give, urlencode({"office": obj.office_id, "next": back}), _("Give seats to this office…"))

    @admin.display(description=_("sales kept by the revoked terminal"))
    def kept_sales(self, obj):
        """The evidence a revoked terminal's kept sales file brought in (offices/evidence.py):
        what each sale would have been and whether it conflicts with the seats as they are now."""
        if obj._state.adding:
            return "—"
        revoked = obj.device.revoked_at is not None
        rows = selectors.kept_sales(obj.office_id)
        upload = reverse("admin:offices_office_kept_sales", args=[obj.office_id])
        button = format_html('<p><a class="button" id="tc-kept-upload" href="{}">{}</a></p>', upload,
                             _("Hand in the kept sales file…")) if revoked else ""
        if not rows:
            note = (_("None handed in yet. The revoked terminal keeps the sales it could not upload and offers "
                      "them as a file: upload that file here. They are kept as evidence; nothing is sold.")
                    if revoked else _("Only a revoked terminal keeps sales for handing in; this one uploads its own."))
            return format_html("<p>{}</p>{}", note, button)
        tz = obj.event.timezone
        body = format_html_join("", '<tr data-sale="{}" data-state="{}" class="{}"><td>{}</td><td>{}</td>'
                                    '<td class="num">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>', (
            (r["sale"].sale_id, r["state"], "tc-conflict" if r["conflict"] else "",
             format_local(r["sale"].sold_at, tz), r["seat"] or r["sale"].ticket_ref,
             money(r["sale"].price, r["sale"].currency) if r["sale"].price is not None else "—",
             label(PaymentMethod, r["sale"].payment_method) if r["sale"].payment_method else "—",
             (r["sale"].buyer or {}).get("name", "") or "—",
             format_html('<b style="color:#C0392B">{}</b>', r["state"].label) if r["conflict"] else (
                 r["state"].label if r["recorded_result"] is None else "%s (%s)" % (
                     r["state"].label, label(SaleResult, r["recorded_result"]))),
             _("%(when)s by %(who)s") % {"when": format_local(r["sale"].uploaded_at, tz), "who": r["sale"].uploaded_by})
            for r in rows))
        conflicts = sum(r["conflict"] for r in rows)
        return format_html(
            '<table id="kept-sales" class="tc-money tc-kept"><thead><tr><th>{}</th><th>{}</th><th class="num">{}</th><th>{}</th>'
            "<th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table><p>{}</p>{}",
            _("Sold at (terminal clock)"), _("Seat"), _("Amount"), _("Payment"), _("Buyer"), _("Now"),
            _("Handed in"), body,
            _("Evidence only: none of these sales was applied (no seat sold, nothing in the ledger). %(conflicts)s "
              "of %(count)s conflict with the seats as they are now: those buyers paid for a seat they cannot "
              "have, so refund them or seat them elsewhere (a new sale by staff).") % {
                "conflicts": conflicts, "count": len(rows)}, button)

    @admin.display(description=_("pairing code"))
    def pairing(self, obj):
        if obj._state.adding:  # office_id has a default, so a new office already has a pk
            return _("Save the office to get a one-time pairing code for its terminal.")
        device = obj.device
        if device.revoked_at:
            return _("The office's terminal is revoked.")
        if not device.pairing_code or (device.pairing_expires_at and device.pairing_expires_at < timezone.now()):
            return _("No valid pairing code (use the action “Issue a new pairing code”).")
        url = pairing_url(self.request, device.pairing_code, device.role)
        buf = io.BytesIO()
        segno.make(url, error="m").save(buf, kind="svg", scale=5, xmldecl=False, svgns=True)
        return format_html('<div>{}</div><p><code style="font-size:1.4em">{}</code> — {}</p>',
                           mark_safe(buf.getvalue().decode()), device.pairing_code,
                           _("expires %(time)s") % {"time": format_local(device.pairing_expires_at,
                                                                         obj.event.timezone)})

    def get_urls(self):
        return [
            path("<path:object_id>/kept-sales/", self.admin_site.admin_view(self.kept_sales_view),
                 name="offices_office_kept_sales"),
            *super().get_urls(),
        ]

    def kept_sales_view(self, request, object_id):
        """Staff hand in a revoked terminal's kept sales file (session login, CSRF): stored as
        evidence, all or nothing; a bad file is answered with what is wrong and writes nothing."""
        office = self.get_object(request, unquote(object_id))
        if office is None or not self.has_view_or_change_permission(request, office):
            raise PermissionDenied
        back = reverse("admin:offices_office_change", args=[office.office_id])
        form = KeptSalesForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = kept_sales_services.record_kept_sales(
                    office_id=office.office_id, data=upload.read(), file_name=upload.name,
                    uploaded_by=request.user.get_username())
            except DomainError as exc:
                form.add_error("file", _("%(why)s Nothing was kept.") % {"why": exc.message})
            else:
                self.message_user(request, _("%(office)s: %(count)s kept sales stored as evidence; %(known)s were "
                                             "already handed in. None was applied.") % {
                    "office": office.name, "count": result.recorded, "known": result.already_recorded},
                    messages.SUCCESS)
                return HttpResponseRedirect(back + "#kept-sales")
        return TemplateResponse(request, "office_admin/kept_sales.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": office,
            "office": office, "form": form, "back": back, "revoked": office.device.revoked_at is not None,
            "title": _("Hand in the kept sales of %(office)s") % {"office": office.name}})

    def save_model(self, request, obj, form, change):
        try:
            if change:
                services.rename_office(office_id=obj.pk, name=form.cleaned_data["name"])
                return
            created = services.create_office(event_id=obj.event_id, name=obj.name)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            raise
        obj.pk = obj.office_id = created.office.office_id
        obj.device_id = created.office.device_id
        self.message_user(request, _("Box office created; the pairing code of its terminal is %(code)s.") % {
            "code": created.pairing_code}, messages.SUCCESS)

    def has_delete_permission(self, request, obj=None):
        return False  # assignments and sales reference offices

    @admin.action(description=_("Issue a new pairing code for the office terminal"))
    def new_pairing_code(self, request, queryset):
        for office in queryset:
            try:
                code = device_services.issue_pairing_code(device_id=office.device_id)
                self.message_user(request, _("%(name)s: new pairing code %(code)s") % {
                    "name": office.name, "code": code.pairing_code}, messages.SUCCESS)
            except DomainError as exc:
                self.message_user(request, f"{office.name}: {exc.message}", messages.ERROR)


class KeptSalesForm(forms.Form):
    file = forms.FileField(label=_("Kept sales file"), help_text=_(
        "The file the revoked terminal offers (“Download the kept sales”), named box-office-sales-….json."))


class SaleOutcomeFilter(admin.SimpleListFilter):
    """Accepted, or refused and why, in the vocabulary's words (SaleResult and SaleReason labels)."""

    title = _("outcome")
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return [(SaleResult.ACCEPTED, SaleResult.ACCEPTED.label), *SaleReason.choices]

    def queryset(self, request, queryset):
        if self.value() == SaleResult.ACCEPTED:
            return queryset.filter(result=SaleResult.ACCEPTED)
        if self.value() in SaleReason.values:
            return queryset.filter(result=SaleResult.REJECTED, reason=self.value())
        return queryset


@admin.register(OfficeSale)
class OfficeSaleAdmin(LocalTimesAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Uploaded office sales are evidence: read-only (a trigger refuses changes too)."""

    list_display = ("received_at", "office_name", "seat", "outcome", "sold_at")
    list_filter = (SaleOutcomeFilter, ("office", ByName))
    search_fields = ("sale_id", "ticket_ref")
    list_select_related = ("office__event", "ticket")
    # On the office's event's clock, with the offset.
    local_times = ("received_at", "sold_at")
    local_time_zone = "office.event.timezone"

    @admin.display(description=_("box office"), ordering="office__name")
    def office_name(self, obj):
        return obj.office.name

    @admin.display(description=_("seat"))
    def seat(self, obj):
        return obj.ticket.seat_id if obj.ticket else _("unknown ticket %(ref)s") % {"ref": obj.ticket_ref}

    @admin.display(description=_("outcome"), ordering="result")
    def outcome(self, obj):
        if obj.result != SaleResult.REJECTED:
            return label(SaleResult, obj.result)
        return _("%(refused)s: %(why)s") % {"refused": label(SaleResult, obj.result), "why": label(SaleReason, obj.reason)}


@admin.register(OfficeAssignment)
class OfficeAssignmentAdmin(LocalTimesAdminMixin, admin.ModelAdmin):
    list_display = ("office_name", "seat", "assigned_at", "assigned_by", "returned_at", "returned_by")
    list_filter = (("office", ByName), ("returned_at", admin.EmptyFieldListFilter))
    search_fields = ("ticket__ticket_id", "ticket__seat_id")
    list_select_related = ("office__event", "ticket")
    local_times = ("assigned_at", "returned_at")
    local_time_zone = "office.event.timezone"

    @admin.display(description=_("box office"), ordering="office__name")
    def office_name(self, obj):
        return obj.office.name

    @admin.display(description=_("seat"), ordering="ticket__seat_id")
    def seat(self, obj):
        return obj.ticket.seat_id

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
