"""Client of the Guardian RBAC service: the per-request access check and the role look-ups of contract §9."""

import hashlib
import logging
from dataclasses import dataclass
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.cache import cache

from identity.clients.http import session_for

logger = logging.getLogger(__name__)

OPERATIONS = frozenset({"LIST", "CREATE", "READ", "UPDATE", "DELETE"})


class GuardianUnavailable(Exception):
    """Guardian answered 5xx, invalid JSON, timed out or could not be reached."""


@dataclass(frozen=True)
class Decision:
    granted: bool
    reason: str | None = None


def check_access(*, token: str, user_id: str, resource_name: str, operation: str) -> Decision:
    """Asks Guardian whether the caller may do `operation` on `resource_name`; raises GuardianUnavailable."""
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}")
    cache_seconds = settings.GUARDIAN_CACHE_SECONDS
    key = None
    if cache_seconds > 0:
        digest = hashlib.sha256(token.encode()).hexdigest()
        key = f"guardian:{digest}:{resource_name}:{operation}"
        cached = cache.get(key)
        if cached is not None:
            return Decision(*cached)
    decision = _ask(token=token, user_id=user_id, resource_name=resource_name, operation=operation)
    if key is not None:
        cache.set(key, (decision.granted, decision.reason), cache_seconds)
    return decision


def _ask(*, token: str, user_id: str, resource_name: str, operation: str) -> Decision:
    url = f"{settings.GUARDIAN_SERVICE_URL}/check-access"
    body = {"user_id": str(user_id), "service": "identity", "resource_name": resource_name, "operation": operation}
    try:
        response = session_for("guardian").post(
            url,
            json=body,
            headers={"Cookie": f"access_token={token}"},
            timeout=settings.GUARDIAN_SERVICE_TIMEOUT,
        )
    except requests.RequestException as exc:
        logger.warning("Guardian check-access failed: %s", type(exc).__name__)
        raise GuardianUnavailable from exc
    if response.status_code >= 500:
        logger.warning("Guardian check-access answered %s", response.status_code)
        raise GuardianUnavailable
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if response.status_code == 200:
        if not isinstance(payload, dict):
            raise GuardianUnavailable
        return Decision(payload.get("access_granted") is True, _reason(payload))
    if 400 <= response.status_code < 500:
        return Decision(False, _reason(payload) if isinstance(payload, dict) else None)
    raise GuardianUnavailable


def _reason(payload: dict) -> str | None:
    reason = payload.get("reason")
    return str(reason) if reason is not None else None


# --- role look-ups (contract §9, integrations.md §2) ------------------------------------------------------------
# Each call forwards the caller's cookie and uses GUARDIAN_SERVICE_TIMEOUT. 5xx, timeouts, connection errors and
# unreadable bodies raise GuardianUnavailable; 401/403 raise GuardianDenied; statuses a call does not expect are
# treated as an unavailable Guardian too.


class GuardianDenied(Exception):
    """Guardian refused the caller's cookie on a look-up (401/403)."""

    def __init__(self, reason: str | None = None):
        super().__init__(reason)
        self.reason = reason


class GuardianRejected(Exception):
    """Guardian answered 400 (or, on an assignment, 404/422): the role or the request data is invalid."""


class GuardianConflict(Exception):
    """Guardian answered 409: the role is already assigned to the user."""


def list_user_roles(*, token: str, user_id: str) -> list[dict]:
    """The user's role assignments (`GET /user-roles?user_id=`), items `{id, user_id, role_id, ...}`."""
    status, payload = _call("GET", "/user-roles", token=token, params={"user_id": str(user_id)})
    if status != 200:
        raise _unexpected("GET /user-roles", status)
    items = _unwrap(payload, "roles")
    if any(not isinstance(item.get("role_id"), (str, int)) for item in items):
        raise GuardianUnavailable
    return items


def get_role(*, token: str, role_id: str) -> dict | None:
    """The role (`GET /roles/{id}`), or None when Guardian does not know it; raises GuardianRejected on 400."""
    found, payload = _get_one("/roles/{}", role_id, token=token, rejected=(400,))
    return _object(payload) if found else None


def create_user_role(*, token: str, user_id: str, role_id: str) -> dict:
    """Assigns the role (`POST /user-roles`) and returns Guardian's assignment; raises GuardianConflict on 409 and
    GuardianRejected on 400/404/422."""
    status, payload = _call("POST", "/user-roles", token=token, body={"user_id": str(user_id), "role_id": role_id})
    if status == 409:
        raise GuardianConflict
    if status in (400, 404, 422):
        raise GuardianRejected
    if status not in (200, 201):
        raise _unexpected("POST /user-roles", status)
    return _object(payload)


def get_user_role(*, token: str, user_role_id: str) -> dict | None:
    """The assignment (`GET /user-roles/{id}`), or None when Guardian does not know it."""
    # An id Guardian cannot parse (400) names no assignment either.
    found, payload = _get_one("/user-roles/{}", user_role_id, token=token, missing=(400, 404))
    return _object(payload) if found else None


def delete_user_role(*, token: str, user_role_id: str) -> bool:
    """Removes the assignment (`DELETE /user-roles/{id}`); False when Guardian does not know it."""
    segment = _segment(user_role_id)
    if segment is None:
        return False
    status, _ = _call("DELETE", f"/user-roles/{segment}", token=token)
    if status in (400, 404):
        return False
    if status not in (200, 202, 204):
        raise _unexpected("DELETE /user-roles/{id}", status)
    return True


def list_role_policies(*, token: str, role_id: str) -> list[dict] | None:
    """The role's policies (`GET /roles/{id}/policies`), or None on 404."""
    found, payload = _get_one("/roles/{}/policies", role_id, token=token)
    return _unwrap(payload, "policies") if found else None


def list_policy_permissions(*, token: str, policy_id: str) -> list[dict] | None:
    """The policy's permissions (`GET /policies/{id}/permissions`), or None on 404."""
    found, payload = _get_one("/policies/{}/permissions", policy_id, token=token)
    return _unwrap(payload, "permissions") if found else None


def _get_one(template: str, value, *, token: str, missing=(404,), rejected=()) -> tuple[bool, object]:
    """`GET template` with `value` as its one path segment: (True, payload) on 200, (False, None) when Guardian
    does not know it (`missing` statuses, or a value that cannot name a resource); GuardianRejected for the
    `rejected` statuses, GuardianUnavailable for anything else."""
    segment = _segment(value)
    if segment is None:
        return False, None
    status, payload = _call("GET", template.format(segment), token=token)
    if status in missing:
        return False, None
    if status in rejected:
        raise GuardianRejected
    if status != 200:
        raise _unexpected("GET " + template.format("{id}"), status)
    return True, payload


def _segment(value) -> str | None:
    """`value` as one percent-encoded path segment; None for values that cannot name a resource (empty, `.`,
    `..`), which HTTP clients would otherwise resolve to another path."""
    text = str(value)
    if text.strip(".") == "":
        return None
    return quote(text, safe="")


def _call(method: str, path: str, *, token: str, params: dict | None = None, body: dict | None = None):
    """(status, parsed JSON body or None); raises GuardianUnavailable for 5xx, transport errors and unreadable
    bodies of successful answers, GuardianDenied for 401/403."""
    try:
        response = session_for("guardian").request(
            method,
            f"{settings.GUARDIAN_SERVICE_URL}{path}",
            params=params,
            json=body,
            headers={"Cookie": f"access_token={token}"},
            timeout=settings.GUARDIAN_SERVICE_TIMEOUT,
        )
    except requests.RequestException as exc:
        logger.warning("Guardian %s %s failed: %s", method, path.split("/")[1], type(exc).__name__)
        raise GuardianUnavailable from exc
    status = response.status_code
    if status >= 500:
        logger.warning("Guardian %s %s answered %s", method, path.split("/")[1], status)
        raise GuardianUnavailable
    payload = None
    if response.content:
        try:
            payload = response.json()
        except ValueError:
            if 200 <= status < 300:
                logger.warning("Guardian %s %s answered invalid JSON", method, path.split("/")[1])
                raise GuardianUnavailable from None
    if status in (401, 403):
        raise GuardianDenied(_reason(payload) if isinstance(payload, dict) else None)
    return status, payload


def _unexpected(what: str, status: int) -> GuardianUnavailable:
    logger.warning("Guardian %s answered unexpected status %s", what, status)
    return GuardianUnavailable()


def _object(payload) -> dict:
    if not isinstance(payload, dict):
        raise GuardianUnavailable
    return payload


def _unwrap(payload, key: str) -> list[dict]:
    """A list reply, or the list an object reply wraps under `key`; anything else is an unreadable answer."""
    if isinstance(payload, dict):
        payload = payload.get(key)
    if not isinstance(payload, list) or not all(isinstance(item, dict) for item in payload):
        raise GuardianUnavailable
    return payload
