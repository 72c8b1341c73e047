"""Admin login brute force (django-axes): locked per username AND client address, so the same
account still logs in from anywhere else, and staff API tokens / device tokens never touch it."""
import pytest
from axes.models import AccessAttempt
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "pw-right-horse-battery"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("door-manager", password=PASSWORD, is_staff=True)


def login(password: str, *, ip: str, forwarded: str | None = None, username: str = "door-manager"):
    client = Client(REMOTE_ADDR=ip, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}))
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": password})
    return response, "_auth_user_id" in client.session


def test_thirty_wrong_passwords_then_the_right_one_is_refused_but_not_from_elsewhere(staff):
    for i in range(30):
        response, logged_in = login(f"guess-{i}", ip="198.51.100.20")
        assert not logged_in and response.status_code in (200, 429)
    response, logged_in = login(PASSWORD, ip="198.51.100.20")
    assert not logged_in and response.status_code == 429
    # The lockout is for this username from this address only: the manager at the venue is fine.
    response, logged_in = login(PASSWORD, ip="203.0.113.40")
    assert logged_in and response.status_code == 302


def test_the_lockout_starts_at_the_failure_limit(staff, settings):
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(f"guess-{i}", ip="198.51.100.21")[0].status_code == 200
    assert login("one-more", ip="198.51.100.21")[0].status_code == 429
    assert AccessAttempt.objects.filter(username="door-manager", ip_address="198.51.100.21").exists()


def test_forwarded_addresses_follow_the_trusted_proxy_rule(staff, settings):
    settings.TRUSTED_PROXIES = ["10.20.0.0/16"]
    limit = settings.AXES_FAILURE_LIMIT
    # From an untrusted peer, a new X-Forwarded-For each time changes nothing: still locked.
    for i in range(limit):
        login(f"guess-{i}", ip="198.51.100.22", forwarded=f"192.0.2.{i}")
    response, logged_in = login(PASSWORD, ip="198.51.100.22", forwarded="192.0.2.200")
    assert response.status_code == 429 and not logged_in
    # Behind our proxy, each client is its own address: one locked, the other not.
    for i in range(limit):
        login(f"guess-{i}", ip="10.20.0.7", forwarded="203.0.113.66")
    assert login(PASSWORD, ip="10.20.0.7", forwarded="203.0.113.66")[0].status_code == 429
    assert login(PASSWORD, ip="10.20.0.7", forwarded="203.0.113.67")[1]


def test_token_and_device_requests_do_not_go_through_axes(api, scanner):
    """DRF tokens and device tokens are checked without django.contrib.auth.authenticate(), so
    a burst of them records no attempts (and the scan path keeps its one query:
    tests/access/test_scan_api.py)."""
    device, client = scanner
    for _ in range(20):
        assert api.get("/api/v1/events").status_code == 200
        assert client.get("/api/v1/devices/me").status_code == 200
    assert not AccessAttempt.objects.exists()
