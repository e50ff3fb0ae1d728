"""One error envelope `{"message", "errors"?}` for DRF, domain errors, database conflicts and Django's own errors."""

import logging
import math

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions as drf
from rest_framework.response import Response

from identity import exceptions as domain
from identity.clients.base import ClientError, ServiceRefused
from identity.uniqueness import field_for_integrity_error

logger = logging.getLogger(__name__)

# What the caller is told when an outside service fails: (unavailable or misbehaving, refused the caller).
SERVICE_FAILURES = {
    "guardian": ("Authorization service unavailable", "Access denied"),
    "storage": ("Storage service unavailable", "Access denied by the storage service"),
}

_DRF_MESSAGES = {
    drf.MethodNotAllowed: "Method not allowed",
    drf.UnsupportedMediaType: "Unsupported media type",
    drf.NotAcceptable: "Not acceptable",
}


def envelope(message: str, errors: dict | None = None, **extra) -> dict:
    body: dict = {"message": message}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def normalise_errors(detail) -> dict:
    """DRF's error detail as `{field: [text, ...]}` (nested serializers flattened with dots)."""
    if isinstance(detail, dict):
        out = {}
        for field, value in detail.items():
            if isinstance(value, dict):
                for sub, texts in normalise_errors(value).items():
                    out[f"{field}.{sub}"] = texts
            else:
                out[str(field)] = _texts(value)
        return out
    return {"non_field_errors": _texts(detail)}


def _texts(value) -> list[str]:
    if isinstance(value, (list, tuple)):
        texts = []
        for item in value:
            texts.extend(_texts(item) if isinstance(item, (list, tuple, dict)) else [str(item)])
        return texts
    if isinstance(value, dict):
        return [str(v) for texts in normalise_errors(value).values() for v in texts]
    return [str(value)]


def handle_exception(exc, context):
    """DRF's EXCEPTION_HANDLER."""
    response = to_response(exc)
    if response is None:
        return None
    return Response(response[1], status=response[0], headers=response[2])


def to_response(exc) -> tuple[int, dict, dict] | None:
    """(status, body, headers) for a known exception, or a logged 500 for anything else."""
    headers: dict = {}
    if isinstance(exc, domain.TooManyRequests):
        return 429, envelope(exc.message), {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, domain.DomainError):
        return exc.status, envelope(exc.message, exc.errors, **exc.extra), headers
    if isinstance(exc, ClientError):
        return (*client_error_response(exc), headers)
    if isinstance(exc, Ratelimited):
        retry = getattr(exc, "retry_after", None) or 60
        return 429, envelope("Too many requests"), {"Retry-After": str(max(1, math.ceil(retry)))}
    if isinstance(exc, drf.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            return 400, envelope("Validation error", normalise_errors(detail)), headers
        texts = _texts(detail)
        return (
            400,
            envelope(
                texts[0] if len(texts) == 1 else "Validation error",
                None if len(texts) == 1 else {"non_field_errors": texts},
            ),
            headers,
        )
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        detail = str(exc.detail)
        if isinstance(exc, drf.NotAuthenticated) and detail == drf.NotAuthenticated.default_detail:
            detail = "Missing or invalid JWT token"
        return 401, envelope(detail), {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, drf.ParseError):
        return (
            400,
            envelope("Malformed request body" if exc.detail == drf.ParseError.default_detail else _plain(exc.detail)),
            headers,
        )
    if isinstance(exc, drf.Throttled):
        return 429, envelope("Too many requests"), {"Retry-After": str(max(1, math.ceil(exc.wait or 1)))}
    if isinstance(exc, drf.APIException):
        message = _DRF_MESSAGES.get(type(exc)) or _plain(exc.detail)
        if isinstance(exc, drf.NotFound) and exc.detail == drf.NotFound.default_detail:
            message = "Resource not found"
        if isinstance(exc, drf.PermissionDenied) and exc.detail == drf.PermissionDenied.default_detail:
            message = "Access denied"
        return exc.status_code, envelope(message), headers
    if isinstance(exc, Http404):
        return 404, envelope("Resource not found"), headers
    if isinstance(exc, RequestDataTooBig):
        return 413, envelope("Request body too large"), headers
    if isinstance(exc, (SuspiciousOperation, BadRequest)):
        # e.g. more query parameters or multipart fields than DATA_UPLOAD_MAX_NUMBER_FIELDS allows
        return 400, envelope("Bad request"), headers
    if isinstance(exc, DjangoPermissionDenied):
        return 403, envelope("Access denied"), headers
    if isinstance(exc, IntegrityError):
        field = field_for_integrity_error(exc)
        if field is not None:
            conflict = domain.Conflict.duplicate(field)
            return 409, envelope(conflict.message, conflict.errors), headers
        logger.exception("Unmapped integrity error")
        return 409, envelope("Conflict"), headers
    if isinstance(exc, (OperationalError, InterfaceError)):
        # Connection refused or lost, pool exhausted, database file unavailable: a dependency is down.
        logger.error("Database unavailable: %s", type(exc).__name__)
        return 503, envelope("Database unavailable"), headers
    if isinstance(exc, DatabaseError):
        logger.exception("Database error")
        return 500, envelope("Internal server error"), headers
    logger.exception("Unhandled error")
    return 500, envelope("Internal server error"), headers


def client_error_response(exc: ClientError) -> tuple[int, dict]:
    """An outside service's failure: 403 when it refused the caller's credentials (with its reason, when it gave
    one); 503 for anything else — unreachable, 5xx, past the deadline, or an answer the call could not use (a
    rejection or conflict no service gave a meaning of its own)."""
    unavailable, refused = SERVICE_FAILURES[exc.service]
    if isinstance(exc, ServiceRefused):
        return 403, envelope(refused, reason=exc.reason) if exc.reason else envelope(refused)
    return 503, envelope(unavailable)


def _plain(detail) -> str:
    texts = _texts(detail)
    return texts[0] if texts else "Error"


def not_found_view(request, exception=None):
    """Django's handler404: unknown paths answer in the envelope."""
    return JsonResponse({"message": "Resource not found"}, status=404)


def server_error_view(request):
    """Django's handler500."""
    return JsonResponse({"message": "Internal server error"}, status=500)


def bad_request_view(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse({"message": "Request body too large"}, status=413)
    return JsonResponse({"message": "Bad request"}, status=400)


def permission_denied_view(request, exception=None):
    return JsonResponse({"message": "Access denied"}, status=403)
