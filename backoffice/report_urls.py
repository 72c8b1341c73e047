"""The exports, the post-event report and its admin page; one include in ticketcore/urls.py,
before the admin's own patterns (the page lives under /admin/ beside the event's change page)."""
from django.urls import path, re_path

from backoffice import report_api, report_page

urlpatterns = [
    re_path(r"^api/v1/events/(?P<event_id>[^/]+)/exports/(?P<dataset>tickets|scans|sales|offices)\.(?P<fmt>csv|xlsx)$",
            report_api.ExportView.as_view(), name="event-export"),
    path("api/v1/events/<str:event_id>/report", report_api.ReportView.as_view(), name="event-report"),
    path("api/v1/events/<str:event_id>/report/devices", report_api.ReportDevicesView.as_view(),
         name="event-report-devices"),
    path("admin/events/event/<str:event_id>/report/", report_page.report_view(), name="admin-event-report"),
]
