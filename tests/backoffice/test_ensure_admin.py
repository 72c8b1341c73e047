"""`ensure_admin` runs on every `make run` start: it must not end the admin's sessions."""
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client


def test_ensure_admin_keeps_sessions_when_the_password_is_unchanged(db, capsys):
    call_command("ensure_admin", "admin", "pw-admin-123")
    client = Client()
    # Signed in through the real login form (axes needs the request, as on the admin page).
    response = client.post("/admin/login/", {"username": "admin", "password": "pw-admin-123", "next": "/admin/"})
    assert response.status_code == 302 and response.url == "/admin/"
    hash_before = get_user_model().objects.get(username="admin").password
    call_command("ensure_admin", "admin", "pw-admin-123")  # the next start
    assert get_user_model().objects.get(username="admin").password == hash_before
    assert client.get("/dashboard/").status_code == 200  # still signed in
    call_command("ensure_admin", "admin", "another-pw-456")  # a real change does end them
    assert client.get("/dashboard/").status_code == 302
