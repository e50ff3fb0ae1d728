"""Request id propagation, the response's `Content-Length` and `Allow`, the per-request log line and metrics, the
early request-size limit, and the admin's session middleware kept to the admin's paths."""

import logging
import os
import re
import time

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import DisallowedHost
from django.db import InterfaceError, OperationalError, connection
from django.http import JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import Resolver404, resolve

from identity import metrics
from identity.context import actor_var, company_id_var, ip_var, request_id_var, source_var, user_id_var
from identity.ratelimit import client_ip

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("identity.access")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


class RequestIdMiddleware:
    """Keeps the caller's `X-Request-ID` when it is well formed, else makes one; echoes it on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # META, not `request.headers` (which copies every header into a new mapping first); 32 random hex digits,
        # the shape of a `uuid4().hex` without building the UUID.
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else os.urandom(16).hex()
        request.request_id = request_id
        tokens = [
            (request_id_var, request_id_var.set(request_id)),
            (company_id_var, company_id_var.set("-")),
            (user_id_var, user_id_var.set("-")),
            (source_var, source_var.set("api")),
            (ip_var, ip_var.set(client_ip(request))),
            (actor_var, actor_var.set(None)),
        ]
        try:
            response = self.get_response(request)
        finally:
            for var, token in reversed(tokens):
                var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class ResponseHeadersMiddleware:
    """`Content-Length` on every complete response, and `Allow` only where HTTP asks for it.

    `Content-Length` is what Django's CommonMiddleware would add; with `APPEND_SLASH` and `PREPEND_WWW` off and no
    `DISALLOWED_USER_AGENTS` it does nothing else, while it validates the `Host` a second time on every request
    (AccessLogMiddleware already answers a bad one). DRF names the allowed methods in an `Allow` header on every
    answer; HTTP asks for it on a 405 only (and an OPTIONS answer describes them): elsewhere it is ~50 bytes per
    response that no client reads."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 405 and request.method != "OPTIONS":
            del response["Allow"]
        if not response.streaming and "Content-Length" not in response:
            response["Content-Length"] = str(len(response.content))
        return response


class AccessLogMiddleware:
    """One log line and the metrics of each request; a bad `Host` or an unreachable database outside DRF's views
    answers the envelope (400, 503) instead of Django's traceback and 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        error = None
        try:
            request.get_host()
        except DisallowedHost:
            # Django would log this with a traceback; one line is enough (the value is the client's to fix).
            error = "Invalid Host header"
            response = JsonResponse({"message": "Bad request"}, status=400)
        else:
            with connection.execute_wrapper(metrics.count_queries):
                response = self.get_response(request)
        seconds = time.perf_counter() - started
        metrics.record_request(request, response.status_code, seconds)
        # The line's fields only when it is written (LOG_LEVEL above INFO drops it).
        if access_logger.isEnabledFor(logging.INFO):
            fields = {
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 2),
            }
            if error:
                fields["error"] = error
                fields["host"] = request.META.get("HTTP_HOST", "")[:255]
            access_logger.info(
                "%s %s %s %.2fms%s",
                request.method,
                request.path,
                response.status_code,
                seconds * 1000,
                f" ({error})" if error else "",
                extra=fields,
            )
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.error("Database unavailable: %s", type(exception).__name__)
            return JsonResponse({"message": "Database unavailable"}, status=503)
        return None


class BodySizeLimitMiddleware:
    """413 from `Content-Length` before anything reads the body (DRF's JSON parser ignores Django's limit)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_SIZE_MB * 1024 * 1024 and _known_path(request.path_info):
            return JsonResponse({"message": "Request body too large"}, status=413)
        return self.get_response(request)


def _known_path(path: str) -> bool:
    # An unknown path answers 404 before 413 (docs/behaviour.md §1.5).
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.url_name != "not-found"


# --- the admin's middleware, on the admin's paths only ------------------------------------------------------------
ADMIN_PATH_PREFIX = "/admin/"


def _admin_only(middleware_class):
    """`middleware_class` for the paths under `/admin/`; every other request passes through untouched.

    Sessions, messages, CSRF and Django's `request.user` serve only the admin (docs/behaviour.md: the API sets no
    cookies of its own and authenticates with the token; DRF's views are exempt from CSRF). A subclass, so that
    the admin's system checks still find the middleware they need.
    """

    def __call__(self, request):
        if request.path_info.startswith(ADMIN_PATH_PREFIX):
            return middleware_class.__call__(self, request)
        return self.get_response(request)

    namespace = {
        "__call__": __call__,
        "__module__": __name__,
        "__doc__": f"{middleware_class.__name__} under {ADMIN_PATH_PREFIX} only.",
    }
    if hasattr(middleware_class, "process_view"):

        def process_view(self, request, callback, callback_args, callback_kwargs):
            if request.path_info.startswith(ADMIN_PATH_PREFIX):
                return middleware_class.process_view(self, request, callback, callback_args, callback_kwargs)
            return None

        namespace["process_view"] = process_view
    return type(f"Admin{middleware_class.__name__}", (middleware_class,), namespace)


AdminSessionMiddleware = _admin_only(SessionMiddleware)
AdminCsrfViewMiddleware = _admin_only(CsrfViewMiddleware)
AdminAuthenticationMiddleware = _admin_only(AuthenticationMiddleware)
AdminMessageMiddleware = _admin_only(MessageMiddleware)
