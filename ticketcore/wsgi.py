"""The WSGI application (granian serves it; docs/adr/0006).

Django's HttpResponse is an iterable, which makes granian stream it chunk by chunk through its
iterator protocol: several hand-offs between the server's threads and Python per request. A
complete (non-streaming) response is handed over as one list instead, which granian sends in one
piece. `close()` is called here first, as the WSGI server would, so `request_finished` still fires
(connection housekeeping) exactly once per request."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketcore.settings")
django_application = get_wsgi_application()

from ticketcore.runtime import tune_gc  # noqa: E402  (needs settings)

tune_gc()


from django.http import HttpResponse  # noqa: E402


def application(environ, start_response):
    response = django_application(environ, start_response)
    if isinstance(response, HttpResponse):  # streaming responses (StreamingHttpResponse, FileResponse) are not
        try:
            body = response.content
        finally:
            response.close()
        return [body]
    return response
