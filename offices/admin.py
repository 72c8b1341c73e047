import io

import segno
from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.adminutils import ReadOnlyAdminMixin
from core.errors import DomainError
from core.urls import public_url
from devices import services as device_services
from offices import selectors, services
from offices.models import Office, OfficeAssignment, OfficeSale


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    """Offline box offices with their reconciliation: assigned = sold + returned + outstanding.
    Tickets are assigned and returned through the API (POST /api/v1/offices/{id}/assign|unassign)."""

    list_display = ("name", "office_id", "event", "assigned", "sold", "returned", "outstanding", "rejected_sales",
                    "device_status")
    list_filter = ("event",)
    search_fields = ("name", "office_id")
    fields = ("event", "name", "office_id", "device", "pairing", "reconciliation")
    readonly_fields = ("office_id", "device", "pairing", "reconciliation")
    list_select_related = ("event", "device")
    actions = ["new_pairing_code"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (("event",) if obj else ())

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

    @admin.display(description="assigned", ordering="n_assigned")
    def assigned(self, obj):
        return obj.n_assigned

    @admin.display(description="sold", ordering="n_sold")
    def sold(self, obj):
        return obj.n_sold

    @admin.display(description="returned", ordering="n_returned")
    def returned(self, obj):
        return obj.n_returned

    @admin.display(description="outstanding", ordering="n_outstanding")
    def outstanding(self, obj):
        return obj.n_outstanding

    @admin.display(description="rejected sales (refunds due)")
    def rejected_sales(self, obj):
        n = obj.n_rejected
        return mark_safe(f'<b style="color:#C0392B">{n}</b>') if n else 0

    @admin.display(description="device")
    def device_status(self, obj):
        if obj.device.revoked_at:
            return mark_safe('<b style="color:#C0392B">revoked</b>')
        return "paired" if obj.device.paired_at else "not paired"

    @admin.display(description="reconciliation")
    def reconciliation(self, obj):
        if obj.pk is None:
            return "—"
        c = selectors.reconciliation_counts(obj.office_id)
        return format_html(
            "<table><tr><th>assigned</th><th>sold</th><th>returned</th><th>outstanding</th><th>rejected sales</th></tr>"
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>"
            "<p>assigned = sold + returned + outstanding. Rejected sales are money the office took without a "
            "valid ticket: refund or re-seat those buyers (see the office_conflict alerts).</p>",
            c["assigned"], c["sold"], c["returned"], c["outstanding"], c["rejected_sales"])

    @admin.display(description="pairing code")
    def pairing(self, obj):
        if obj.pk is None:
            return "Save the office to get a one-time pairing code for its terminal."
        device = obj.device
        if device.revoked_at:
            return "The office's device is revoked."
        if not device.pairing_code or (device.pairing_expires_at and device.pairing_expires_at < timezone.now()):
            return "No valid pairing code (use the action “Issue a new pairing code”)."
        url = public_url(f"/scanner/?pair={device.pairing_code}", self.request)
        buf = io.BytesIO()
        segno.make(url, error="m").save(buf, kind="svg", scale=5, xmldecl=False, svgns=True)
        return format_html('<div>{}</div><p><code style="font-size:1.4em">{}</code> — expires {}</p>',
                           mark_safe(buf.getvalue().decode()), device.pairing_code, device.pairing_expires_at)

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
        self.message_user(request, f"Office created; pairing code {created.pairing_code}", messages.SUCCESS)

    def has_delete_permission(self, request, obj=None):
        return False  # assignments and sales reference offices

    @admin.action(description="Issue a new pairing code for the office terminal")
    def new_pairing_code(self, request, queryset):
        for office in queryset:
            try:
                code = device_services.issue_pairing_code(device_id=office.device_id)
                self.message_user(request, f"{office.name}: new pairing code {code.pairing_code}", messages.SUCCESS)
            except DomainError as exc:
                self.message_user(request, f"{office.name}: {exc.message}", messages.ERROR)


@admin.register(OfficeSale)
class OfficeSaleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Uploaded office sales are evidence: read-only (a trigger refuses changes too)."""

    list_display = ("received_at", "office", "ticket_ref", "result", "reason", "sold_at")
    list_filter = ("result", "reason", "office")
    search_fields = ("sale_id", "ticket_ref")
    list_select_related = ("office",)


@admin.register(OfficeAssignment)
class OfficeAssignmentAdmin(admin.ModelAdmin):
    list_display = ("office", "ticket", "assigned_at", "assigned_by", "returned_at", "returned_by")
    list_filter = ("office", ("returned_at", admin.EmptyFieldListFilter))
    search_fields = ("ticket__ticket_id", "ticket__seat_id")
    list_select_related = ("office", "ticket")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
