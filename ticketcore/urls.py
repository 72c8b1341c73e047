from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from access.api import ScanView
from core.api import api_not_found
from core.i18n import JavaScriptCatalogue, JSONCatalogue
from ticketcore import health


class SchemaView(SpectacularAPIView):
    # Everything under /api/ answers JSON, the schema included; YAML on request
    # (`Accept: application/vnd.oai.openapi` or `application/yaml`).
    renderer_classes = [OpenApiJsonRenderer2, OpenApiJsonRenderer, OpenApiYamlRenderer, OpenApiYamlRenderer2]


handler400 = "core.api.json_bad_request"
handler403 = "core.api.json_permission_denied"
handler404 = "core.api.json_page_not_found"
handler500 = "core.api.json_server_error"

api_v1 = [
    path("", include("events.api_urls")),
    path("", include("tickets.api_urls")),
    path("", include("tickets.holds_urls")),
    path("", include("devices.api_urls")),
    path("", include("access.api_urls")),
    path("", include("access.offline_urls")),
    path("", include("offices.api_urls")),
    path("", include("alerts.api_urls")),
    path("", include("backoffice.print_urls")),
    path("", include("backoffice.desk.api_urls")),
]

urlpatterns = [
    # The door's hot path first: Django resolves URL patterns in order, and every pattern tried
    # before a match costs Python time on each of the 1,500 scans a second (docs/adr/0007).
    path("api/v1/scan", ScanView.as_view(), name="scan"),
    path("", include("backoffice.report_urls")),  # exports, report, its admin page (before admin/)
    path("admin/", admin.site.urls),
    # The site root: staff land on the event list (anonymous visitors log in first, then land there).
    path("", RedirectView.as_view(url="/admin/events/event/", permanent=False), name="root"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include(api_v1)),
    path("dashboard/", include("live.dashboard_urls")),
    path("desk/", include("backoffice.desk.urls")),  # the staff sales desk (docs/adr/0032)
    path("scanner/", include("devices.scanner_urls")),
    path("office/", include("offices.terminal_urls")),  # the box-office terminal (docs/adr/0031)
    # Languages (docs/adr/0029): the switch posts here (Django's set_language: cookie, redirect);
    # the JavaScript apps' catalogue, one address per language so each can be kept offline.
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/<str:language>.js", JavaScriptCatalogue.as_view(), name="jsi18n"),
    path("jsi18n/<str:language>.json", JSONCatalogue.as_view(), name="jsi18n-json"),
    re_path(r"^api(/|$)", api_not_found),
]
