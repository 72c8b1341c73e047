"""API plumbing shared by every app: the contract's error body, a JSON parser that never lets
malformed input become a 500, and cursor pagination. Every `message` is in the request's language
(LocaleMiddleware, docs/adr/0029); codes and field names never change."""
from __future__ import annotations

import json
import logging
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils import json as drf_json

from core.errors import DomainError

log = logging.getLogger(__name__)

# DRF's built-in codes mapped to the contract's snake_case codes.
_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
    exceptions.ValidationError: "invalid",
}


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


def _flatten(detail) -> str:
    if isinstance(detail, list):
        return "; ".join(_flatten(d) for d in detail)
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in detail.items())
    return str(detail)


def _fields(detail) -> dict:
    if isinstance(detail, dict):
        return {
            k: (v if isinstance(v, (list, dict)) else [str(v)])
            for k, v in detail.items()
            if k != "non_field_errors"
        }
    return {}


def set_rollback():
    # Imported late: rest_framework.views reads api_settings, which imports this module.
    from rest_framework.views import set_rollback as _set_rollback

    _set_rollback()


def _render_as_json(context) -> None:
    # Error bodies are JSON whatever the view renders on success: the docs page (HTML) and the
    # schema (YAML) would otherwise answer "401 Unauthorized" as text or an error in YAML.
    request = context.get("request")
    if request is not None:
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type


def exception_handler(exc, context):
    _render_as_json(context)
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(error_body(exc.code, str(exc.message), exc.fields, **exc.extra), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        set_rollback()
        return Response(error_body("payload_too_large", gettext("The request body is too large.")), status=413)
    elif isinstance(exc, DataError):
        # The database refused a value the serializers let through (e.g. out-of-range number).
        set_rollback()
        log.warning("DataError mapped to 400: %s", exc)
        return Response(error_body("invalid", gettext("A value is out of range or malformed.")), status=400)
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: let Django log it and answer 500

    code = None
    detail = exc.detail
    # Authentication classes raise with a specific code (e.g. device_revoked); keep it.
    if isinstance(detail, exceptions.ErrorDetail) and detail.code not in (None, "", exc.default_code):
        code = detail.code
    if code is None:
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), exc.default_code)
    if isinstance(exc, exceptions.ValidationError):
        message = gettext("Invalid input: %(problems)s") % {"problems": _flatten(detail)[:500]}
        body = error_body(code, message, _fields(detail))
    else:
        body = error_body(code, _flatten(detail))
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait) + 1)
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


# Text PostgreSQL cannot store: NUL (refused in every text value) and lone UTF-16 surrogates
# (not encodable as UTF-8). In a decoded JSON body they can only come from the escape \u0000,
# a \ud800-\udfff escape, or (from an odd charset such as unicode_escape) the raw character.
# One-character substring tests run at memchr speed and isascii() is O(1), so a body without a
# backslash (every scanner request) is cleared without a regex; a regex with a character class
# alone would scan every character in Python's engine (bench/parser_check.py, docs/security.md).
# Valid escaped pairs (an emoji sent with ensure_ascii) pass the check and merely cost the exact
# walk below.
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_UNSTORABLE_CHAR = re.compile("[\x00\ud800-\udfff]")
_MAX_REPORTED_FIELDS = 20
UNSTORABLE_MESSAGE = _("Must not contain NUL characters or unpaired UTF-16 surrogates.")


def may_hold_unstorable(text: str) -> bool:
    """False when `text` (a decoded JSON body) certainly parses to storable strings only."""
    if "\\" in text and _UNSTORABLE_ESCAPE.search(text):
        return True
    if "\x00" in text:
        return True
    return not text.isascii() and _UNSTORABLE_CHAR.search(text) is not None


def _field_path(parent: str, key) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    # The key itself may be the culprit: name it with U+FFFD, never echo the raw character.
    key = _UNSTORABLE_CHAR.sub("\ufffd", key)
    return f"{parent}.{key}" if parent else key


def unstorable_fields(data) -> list[str]:
    """Paths (`scans[3].code`) of the strings and keys in parsed JSON that PostgreSQL cannot
    store. Iterative, so a body nested as deep as the JSON parser allows cannot overflow it."""
    found: list[str] = []
    stack = [("", data)]
    while stack and len(found) < _MAX_REPORTED_FIELDS:
        path, value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE_CHAR.search(value):
                found.append(path or "body")
        elif isinstance(value, dict):
            items = list(value.items())
            for key, child in reversed(items):
                child_path = _field_path(path, key)
                if _UNSTORABLE_CHAR.search(key):
                    found.append(child_path)
                stack.append((child_path, child))
        elif isinstance(value, list):
            stack.extend((_field_path(path, i), child) for i, child in reversed(list(enumerate(value))))
    return found


def refuse_unstorable(text: str, data) -> None:
    """The one place such text is refused (docs/adr/0017): a 400 naming each field, before any
    view or service sees the data, so nothing is written."""
    if not may_hold_unstorable(text):
        return
    fields = unstorable_fields(data)
    if fields:
        raise exceptions.ValidationError({path: [UNSTORABLE_MESSAGE] for path in fields[:_MAX_REPORTED_FIELDS]})


def _body_encoding(parser_context: dict) -> str:
    encoding = parser_context.get("encoding") or settings.DEFAULT_CHARSET
    try:
        # str.encode refuses bytes-to-bytes codecs (bz2_codec...), which would decompress a
        # small body past DATA_UPLOAD_MAX_MEMORY_SIZE.
        "".encode(encoding)
    except (LookupError, UnicodeError):
        raise exceptions.ParseError(gettext("Unsupported charset %(charset)r.") % {"charset": encoding[:40]})
    return encoding


class SafeJSONParser(JSONParser):
    """JSON parser that turns every way a body can be malformed into a 400, never a 500, and
    refuses text PostgreSQL cannot store (400 naming the field)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = _body_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
            data = json.loads(text, parse_constant=drf_json.strict_constant if self.strict else None)
        except RecursionError:
            raise exceptions.ParseError(gettext("JSON nested too deeply."))
        except RequestDataTooBig:
            raise
        except (ValueError, UnicodeDecodeError, TypeError) as exc:
            # Python's own description of the problem stays as it is (it names a position).
            raise exceptions.ParseError(gettext("JSON parse error: %(problem)s") % {"problem": str(exc)[:200]})
        refuse_unstorable(text, data)
        return data


PAGE_SIZE_MESSAGE = _("Must be an integer from 1 to 500.")


class Pagination(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "id"

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError({"cursor": [gettext("Invalid cursor.")]})

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise exceptions.ValidationError({"page_size": [PAGE_SIZE_MESSAGE]})
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError({"page_size": [PAGE_SIZE_MESSAGE]})
        return size


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


@csrf_exempt  # any method, cookie or not: a POST to a typo is a 404, not Django's HTML CSRF page
def api_not_found(request, *args, **kwargs):
    """Unknown paths under /api/ answer with the contract's error body, not an HTML page."""
    return JsonResponse(error_body("not_found", gettext("No such endpoint.")), status=404)


# Django's own error pages (handler400/403/404/500 in ticketcore/urls.py) for what happens outside
# DRF: a disallowed Host header, a CSRF or suspicious-operation refusal, a crash. Under /api/ they
# answer the contract's JSON body; elsewhere (admin, dashboard, scanner) Django's pages.
def json_bad_request(request, exception=None, *args, **kwargs):
    if is_api_path(request.path):
        return JsonResponse(error_body("bad_request", gettext("Bad request.")), status=400)
    return defaults.bad_request(request, exception)


def json_permission_denied(request, exception=None, *args, **kwargs):
    if is_api_path(request.path):
        # DRF's own wording, so DRF's catalogues translate it.
        return JsonResponse(error_body("permission_denied",
                                       gettext("You do not have permission to perform this action.")), status=403)
    return defaults.permission_denied(request, exception)


def json_page_not_found(request, exception=None, *args, **kwargs):
    if is_api_path(request.path):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def json_server_error(request, *args, **kwargs):
    if is_api_path(request.path):
        return JsonResponse(error_body("server_error", gettext("Internal server error.")), status=500)
    return defaults.server_error(request)


def parse_bool(value: str | None, name: str) -> bool | None:
    """Query-string booleans: true/false/1/0, anything else is a 400."""
    if value is None or value == "":
        return None
    lowered = value.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise exceptions.ValidationError({name: [gettext("Must be true or false.")]})


__all__ = [
    "error_body",
    "exception_handler",
    "SafeJSONParser",
    "Pagination",
    "api_not_found",
    "parse_bool",
    "status",
    "json",
]
