"""The page a person sees when the admin login is locked (django-axes, settings.AXES_LOCKOUT_CALLABLE):
in their language, in plain words, saying for how long. django-axes' own answer is one English
sentence (it ships no Spanish), and its template hook cannot turn the cool-off into minutes."""
from __future__ import annotations

import math

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext_noop


def lockout_response(request, original_response=None, credentials=None):
    cool_off = get_cool_off(request)
    # Rendered now: axes' middleware hands this back after the view, where nothing renders later.
    return render(request, "admin/locked_out.html", {
        "minutes": math.ceil(cool_off.total_seconds() / 60) if cool_off else None,
        "failure_limit": get_failure_limit(request, credentials),
        "username": get_client_username(request, credentials) or "",
    }, status=settings.AXES_HTTP_RESPONSE_CODE)


# django-axes' admin pages (its lockout records, under "Axes" in the admin) ship no Spanish. Listed
# here so that `make messages` finds these texts and keeps their Spanish in locale/es: our catalogue
# is read before any app's, so it translates axes' own (lazily marked) names and columns.
AXES_ADMIN_TEXTS = (
    gettext_noop("Axes"),  # its app name: a product name, the same in every language
    gettext_noop("access attempt"), gettext_noop("access attempts"),
    gettext_noop("access failure"), gettext_noop("access failures"),
    gettext_noop("access log"), gettext_noop("access logs"),
    gettext_noop("access attempt expiration"), gettext_noop("access attempt expirations"),
    gettext_noop("Access Attempt"), gettext_noop("User Agent"), gettext_noop("IP Address"), gettext_noop("Username"),
    gettext_noop("HTTP Accept"), gettext_noop("Path"), gettext_noop("Attempt Time"), gettext_noop("Access lock out"),
    gettext_noop("GET Data"), gettext_noop("POST Data"), gettext_noop("Failed Logins"), gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."), gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"), gettext_noop("Locked Out"), gettext_noop("Form Data"),
    gettext_noop("Meta Data"), gettext_noop("Clean up expired attempts"), gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
)
