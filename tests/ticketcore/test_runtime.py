"""The WSGI entry point and process tuning of the server processes (ticketcore/wsgi.py,
ticketcore/runtime.py)."""
import gc
import io

import pytest
from django.core.signals import request_finished
from django.http import StreamingHttpResponse
from django.urls import get_resolver, resolve

from access.api import ScanView
from ticketcore import runtime, wsgi

pytestmark = pytest.mark.django_db


def environ(path: str) -> dict:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.input": io.BytesIO(b""), "wsgi.url_scheme": "http", "HTTP_HOST": "localhost"}


def test_complete_responses_are_handed_over_as_one_body_and_finish_once():
    finished = []

    def count(**kwargs):
        finished.append(1)

    request_finished.connect(count)
    statuses = []
    try:
        body = wsgi.application(environ("/healthz"), lambda status, headers, exc_info=None: statuses.append(status))
    finally:
        request_finished.disconnect(count)
    assert isinstance(body, list) and len(body) == 1 and b'"status"' in body[0]
    assert statuses == ["200 OK"]
    assert finished == [1]  # request_finished fired exactly once (connection housekeeping)


def test_streaming_responses_still_stream(monkeypatch):
    chunks = (b"a", b"b")
    monkeypatch.setattr(wsgi, "django_application",
                        lambda environ, start_response: StreamingHttpResponse(iter(chunks)))
    body = wsgi.application(environ("/anything"), lambda *a: None)
    assert isinstance(body, StreamingHttpResponse)
    assert b"".join(body) == b"ab"


def test_gc_freeze_moves_the_loaded_heap_out_of_the_collector(settings):
    gc.unfreeze()
    try:
        settings.GC_FREEZE_AFTER_LOAD = False
        runtime.tune_gc()
        assert gc.get_freeze_count() == 0
        settings.GC_FREEZE_AFTER_LOAD = True
        runtime.tune_gc()
        assert gc.get_freeze_count() > 10_000  # Django, DRF, the clients: all frozen
    finally:
        gc.unfreeze()


def test_the_scan_is_the_first_url_pattern_django_tries():
    assert resolve("/api/v1/scan").func.view_class is ScanView
    assert str(get_resolver().url_patterns[0].pattern) == "api/v1/scan"
