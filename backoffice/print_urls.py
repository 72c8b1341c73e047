from django.urls import path

from backoffice import jobs_admin, jobs_api, print_admin, print_api

# The admin's print actions and links (backoffice/print_admin.py) and the event's files page
# (backoffice/jobs_admin.py): the admin has registered every ModelAdmin by the time the URLconf
# loads, and admin.site.urls is read after this module.
print_admin.install()
jobs_admin.install()

urlpatterns = [
    path("events/<str:event_id>/tickets.pdf", print_api.TicketsPDFView.as_view(), name="event-tickets-pdf"),
    path("events/<str:event_id>/badges.pdf", print_api.BadgesPDFView.as_view(), name="event-badges-pdf"),
    path("events/<str:event_id>/pairing-sheet.pdf", print_api.PairingSheetPDFView.as_view(),
         name="event-pairing-sheet-pdf"),
    path("jobs/<str:job_id>", jobs_api.JobView.as_view(), name="job"),
    path("jobs/<str:job_id>/file", jobs_api.JobFileView.as_view(), name="job-file"),
]
