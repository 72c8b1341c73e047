"""The error pages people may meet (templates/404.html, 400.html, 403.html, 403_csrf.html,
500.html) and the admin's login lockout (accounts/lockout.py): in the request's language, in plain
words; the 500 page drawn without the database. The full Spanish check of 404, 400 and the CSRF
refusal is tests/i18n/test_pages.py."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import path
from django.utils import translation
from django.views import defaults


def boom(request):
    raise RuntimeError("a bug")


def forbidden(request):
    raise PermissionDenied


urlpatterns = [path("boom", boom), path("forbidden", forbidden)]
handler403 = "core.api.json_permission_denied"
handler500 = "core.api.json_server_error"


def test_the_500_page_needs_no_database():
    """No django_db mark: any query here fails the test. What a person reads, in both languages."""
    request = RequestFactory().get("/admin/")
    for language, heading in (("es", "Algo ha fallado"), ("en", "Something went wrong")):
        with translation.override(language):
            response = defaults.server_error(request)
        page = response.content.decode()
        assert response.status_code == 500 and heading in page and f'<html lang="{language}">' in page


@pytest.mark.django_db
@pytest.mark.urls("tests.ticketcore.test_error_pages")
def test_a_crash_and_a_refusal_answer_in_the_browsers_language():
    client = Client(raise_request_exception=False)
    crash = client.get("/boom", HTTP_ACCEPT_LANGUAGE="es")
    assert crash.status_code == 500 and "Algo ha fallado" in crash.content.decode()
    refused = client.get("/forbidden", HTTP_ACCEPT_LANGUAGE="es")
    assert refused.status_code == 403 and "Acceso denegado" in refused.content.decode()
    assert "Access denied" in client.get("/forbidden", HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.django_db
def test_not_found_and_csrf_pages_in_both_languages():
    client = Client(enforce_csrf_checks=True)
    for language, missing, expired in (("es", "Página no encontrada", "El formulario ha caducado"),
                                       ("en", "Page not found", "The form has expired")):
        page = client.get("/no-such-page", HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 404 and missing in page.content.decode()
        refused = client.post("/i18n/setlang/", {"language": "es"}, HTTP_ACCEPT_LANGUAGE=language)
        assert refused.status_code == 403 and expired in refused.content.decode()
        assert "CSRF cookie not set" not in refused.content.decode()  # Django's reason is for developers


@pytest.mark.django_db
def test_the_lockout_page_says_for_how_long_in_the_persons_language(django_user_model, settings):
    django_user_model.objects.create_user("door-lead", password="pw-right-horse-battery", is_staff=True)
    settings.AXES_FAILURE_LIMIT = 3
    for i in range(3):
        Client(REMOTE_ADDR="198.51.100.77").post("/admin/login/", {"username": "door-lead", "password": f"no-{i}"})
    locked = Client(REMOTE_ADDR="198.51.100.77").post(
        "/admin/login/", {"username": "door-lead", "password": "pw-right-horse-battery"}, HTTP_ACCEPT_LANGUAGE="es")
    page = locked.content.decode()
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert locked.status_code == 429
    assert "Acceso en pausa" in page and f"Inténtelo de nuevo dentro de {minutes} minutos." in page
    assert "Tras 3 contraseñas incorrectas" in page
    english = Client(REMOTE_ADDR="198.51.100.77").post(
        "/admin/login/", {"username": "door-lead", "password": "x"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Try again in {minutes} minutes." in english and "Account locked" not in english
