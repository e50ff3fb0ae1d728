"""Request id propagation and the early request-size limit."""

import re
import uuid

from django.conf import settings
from django.http import JsonResponse
from django.urls import Resolver404, resolve

from identity.context import actor_var, company_id_var, ip_var, request_id_var, source_var, user_id_var
from identity.ratelimit import client_ip

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


class RequestIdMiddleware:
    """Keeps the caller's `X-Request-ID` when it is well formed, else makes one; echoes it on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        tokens = [(request_id_var, request_id_var.set(request_id)), (company_id_var, company_id_var.set("-")),
                  (user_id_var, user_id_var.set("-")), (source_var, source_var.set("api")),
                  (ip_var, ip_var.set(client_ip(request))), (actor_var, actor_var.set(None))]
        try:
            response = self.get_response(request)
        finally:
            for var, token in reversed(tokens):
                var.reset(token)
        response["X-Request-ID"] = request_id
        return response


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
    # An unknown path answers 404 before 413 (contract §1.5).
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.url_name != "not-found"
