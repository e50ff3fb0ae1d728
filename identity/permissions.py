"""Authorization: every protected request is checked once with Guardian (docs/behaviour.md §3)."""

from django.conf import settings
from rest_framework import exceptions, permissions

from identity.clients import guardian
from identity.clients.base import ClientError
from identity.exceptions import Forbidden

# The one Guardian declaration of a route: `guardian_resource` and `guardian_operations`, an HTTP method →
# operation map, set on the view class or on its `@action`. The router gives the standard routes these maps.
COLLECTION_OPERATIONS = {"GET": "LIST", "POST": "CREATE"}
OBJECT_OPERATIONS = {"GET": "READ", "PUT": "UPDATE", "PATCH": "UPDATE", "DELETE": "DELETE"}


def required_access(view, request) -> tuple[str, str] | None:
    """(resource_name, operation) the view declares for this request, or None when it declares none."""
    method = request.method.upper()
    if method == "HEAD":
        method = "GET"
    resource = getattr(view, "guardian_resource", None)
    operation = (getattr(view, "guardian_operations", None) or {}).get(method)
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
        # DRF's OPTIONS metadata probes the writes with a cloned request: answered without asking Guardian (and
        # so the metadata lists no writable actions), as for any route without a declaration.
        access = None if getattr(view, "action", None) == "metadata" else required_access(view, request)
        if access is None:
            raise exceptions.PermissionDenied("Access denied")  # fail closed: a view forgot its declaration
        if not settings.USE_GUARDIAN_SERVICE:
            return True
        resource, operation = access
        answer = guardian.begin_check(
            token=request.auth, user_id=request.user.pk, resource_name=resource, operation=operation
        )
        reads_meanwhile = getattr(view, "reads_while_guardian_answers", None)
        if reads_meanwhile is not None and reads_meanwhile(request):
            # A read without outside calls or writes: the view builds its answer while Guardian's is on its way,
            # and settles the check (settle_check) before any answer leaves — Guardian's 403/503 replace it.
            view.guardian_answer = answer
            return True
        refusal = settle_check(answer)
        if refusal is not None:
            raise refusal
        return True


def settle_check(answer) -> Exception | None:
    """What Guardian's answer to a begun check refuses the request with: Forbidden for a denial, the client's
    ServiceUnavailable when Guardian failed; None when it granted."""
    try:
        decision = answer()
    except ClientError as failure:
        return failure
    if not decision.granted:
        return Forbidden("Access denied", extra={"reason": decision.reason})
    return None
