"""Authorization: every protected request is checked once with Guardian (contract §3)."""

from django.conf import settings
from rest_framework import exceptions, permissions

from identity.clients import guardian
from identity.exceptions import Forbidden

# Operation per standard viewset action; custom actions declare theirs with `guardian_operations`.
ACTION_OPERATIONS = {
    "list": "LIST",
    "create": "CREATE",
    "retrieve": "READ",
    "update": "UPDATE",
    "partial_update": "UPDATE",
    "destroy": "DELETE",
}


def required_access(view, request) -> tuple[str, str] | None:
    """(resource_name, operation) the view declares for this request, or None when the view needs only the token."""
    method = request.method.upper()
    if method == "HEAD":
        method = "GET"
    resource = getattr(view, "guardian_resource", None)
    by_method = getattr(view, "guardian_operations", None)
    if by_method:
        operation = by_method.get(method)
    else:
        operation = ACTION_OPERATIONS.get(getattr(view, "action", None) or "")
    if resource is None or operation is None:
        return None
    return resource, operation


class TokenRequired(permissions.BasePermission):
    """Only an authenticated caller; no Guardian call."""

    def has_permission(self, request, view):
        if request.user is None:
            raise exceptions.NotAuthenticated("Missing or invalid JWT token")
        return True


class GuardianPermission(TokenRequired):
    """Token first (401), then 405 for unhandled methods, then one Guardian check (403; a Guardian that fails raises
    its client's ServiceUnavailable, which the exception handler answers 503)."""

    def has_permission(self, request, view):
        super().has_permission(request, view)
        method = request.method.lower()
        if method == "options" or not hasattr(view, method if method != "head" else "get"):
            return True  # OPTIONS needs only the token; an unhandled method becomes 405 next.
        access = required_access(view, request)
        if access is None:
            raise exceptions.PermissionDenied("Access denied")  # fail closed: a view forgot its declaration
        if not settings.USE_GUARDIAN_SERVICE:
            return True
        resource, operation = access
        decision = guardian.check_access(
            token=request.auth, user_id=str(request.user.pk), resource_name=resource, operation=operation
        )
        if not decision.granted:
            raise Forbidden("Access denied", extra={"reason": decision.reason})
        return True
