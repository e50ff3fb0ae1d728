"""Client of the Guardian RBAC service: the access check of every protected request, and the look-ups of a user's
roles, policies and permissions."""

import hashlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from urllib.parse import quote
from uuid import UUID

from django.conf import settings
from django.core.cache import cache

from identity.bounded import BoundedMap
from identity.clients.base import (
    Call,
    JSONText,
    Reply,
    ServiceClient,
    ServiceConflict,
    ServiceRefused,
    ServiceRejected,
    reason_of,
    unavailable,
)

OPERATIONS = frozenset({"LIST", "CREATE", "READ", "UPDATE", "DELETE"})

SERVICE = "guardian"
# Every protected request makes a check: its calls skip `requests` (identity/clients/base.py, the direct transport).
_client = ServiceClient(
    SERVICE, url_setting="GUARDIAN_SERVICE_URL", timeout_setting="GUARDIAN_SERVICE_TIMEOUT", direct=True
)


@dataclass(frozen=True)
class Decision:
    granted: bool
    reason: str | None = None


def check_access(*, token: str, user_id: str | UUID, resource_name: str, operation: str) -> Decision:
    """Asks Guardian whether the caller may do `operation` on `resource_name`; raises ServiceUnavailable."""
    return begin_check(token=token, user_id=user_id, resource_name=resource_name, operation=operation)()


def begin_check(*, token: str, user_id: str | UUID, resource_name: str, operation: str) -> Callable[[], Decision]:
    """Sends the check and returns what reads its answer: calling it gives the Decision or raises
    ServiceUnavailable (check_access calls it at once; a read-only view may build its answer first).

    With GUARDIAN_CACHE_SECONDS > 0 a decision (a grant or a denial; never a failure) is kept for that long per
    (SHA-256 of the token, resource name, operation) in the shared cache of CACHE_URL, with the moment it expires;
    each process also keeps the decisions it has seen until that same moment (`_recent`), so that a cached
    decision costs no round trip to the cache. No copy outlives GUARDIAN_CACHE_SECONDS after Guardian's answer
    (docs/behaviour.md §3.2).
    """
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}")
    cache_seconds = settings.GUARDIAN_CACHE_SECONDS
    if cache_seconds <= 0:
        return _begin_ask(token=token, user_id=user_id, resource_name=resource_name, operation=operation)
    # The process's copy is found by the token itself (the shared key's digest is computed only when it is not
    # there), and holds the reader of its decision ready.
    mine = (token, resource_name, operation)
    now = time.time()
    recent = _recent.get(mine)
    if recent is not None and now < recent[0]:
        return recent[1]
    key = f"guardian:{hashlib.sha256(token.encode()).hexdigest()}:{resource_name}:{operation}"
    cached = cache.get(key)
    if isinstance(cached, tuple) and len(cached) == 3 and now < cached[2]:
        known = _known(Decision(cached[0], cached[1]))
        _recent.keep(mine, (min(cached[2], now + cache_seconds), known))
        return known
    answer = _begin_ask(token=token, user_id=user_id, resource_name=resource_name, operation=operation)

    def decide() -> Decision:
        decision = answer()
        expires = now + cache_seconds
        cache.set(key, (decision.granted, decision.reason, expires), cache_seconds)
        _recent.keep(mine, (expires, _known(decision)))
        return decision

    return decide


def _known(decision: Decision) -> Callable[[], Decision]:
    """The reader of a decision already known: it gives `decision` (a C callable, no Python frame per call)."""
    return itertools.repeat(decision).__next__


# This process's copies of cached decisions: (token, resource name, operation) → (expiry as time.time(), the
# decision's reader). The tokens are those the process already keeps with their claims (identity.authentication).
_recent: BoundedMap[tuple[str, str, str], tuple[float, Callable[[], Decision]]] = BoundedMap(10_000)


def _begin_ask(*, token: str, user_id: str | UUID, resource_name: str, operation: str) -> Callable[[], Decision]:
    body = _check_body(user_id, resource_name, operation)
    # A check asks and changes nothing: sent again should its kept-alive connection turn out closed.
    return partial(_decision, _client.begin("POST", "/check-access", token=token, json=body, repeatable=True))


@lru_cache(maxsize=4096)
def _check_body(user_id: str | UUID, resource_name: str, operation: str) -> JSONText:
    """The body of a check (docs/behaviour.md §3.1); a caller asks the same few checks again and again (by the
    caller's id as it comes, so that a UUID is made text only once)."""
    body = {"user_id": str(user_id), "service": "identity", "resource_name": resource_name, "operation": operation}
    return JSONText(json.dumps(body).encode())


def _decision(call: Call) -> Decision:
    try:
        reply = call.reply()
    except ServiceRefused as refused:  # a 4xx is a denial, like any other
        return Decision(False, refused.reason)
    if reply.status != 200 and not 400 <= reply.status < 500:
        raise _client.unexpected(reply)
    # A decision is a function of the answer's status and body, and Guardian gives the same few again and again.
    key = (reply.status, reply.content)
    decision = _decisions.get(key)
    if decision is None:
        decision = _decided(reply)
        if len(reply.content) <= MAX_KEPT_BODY:
            _decisions.keep(key, decision)
    return decision


MAX_KEPT_BODY = 4096  # bytes of an answer's body kept with the decision it gives
_decisions: BoundedMap[tuple[int, bytes], Decision] = BoundedMap(256)


def _decided(reply: Reply) -> Decision:
    """The decision of an answer of 200 or 4xx; ServiceUnavailable for a 200 whose body is not an object."""
    payload = reply.json_or_none()
    if reply.status == 200:
        return Decision(_object(payload).get("access_granted") is True, reason_of(payload))
    return Decision(False, reason_of(payload))


# --- role, policy and permission look-ups ------------------------------------------------------------------------
# Each forwards the caller's cookie. Besides the base's ServiceUnavailable (5xx, deadline, transport) and
# ServiceRefused (401/403), a status a call does not expect and an unreadable body raise ServiceUnavailable.


def list_user_roles(*, token: str, user_id: str) -> list[dict]:
    """The user's role assignments (`GET /user-roles?user_id=`), items `{id, user_id, role_id, ...}`."""
    reply, payload = _call("GET", "/user-roles", token=token, params={"user_id": str(user_id)})
    if reply.status != 200:
        raise _client.unexpected(reply)
    items = _unwrap(payload, "roles")
    if any(not isinstance(item.get("role_id"), (str, int)) for item in items):
        raise unavailable(SERVICE, "GET /user-roles answered an assignment without a role id")
    return items


def get_role(*, token: str, role_id: str) -> dict | None:
    """The role (`GET /roles/{id}`), or None when Guardian does not know it; raises ServiceRejected on 400."""
    found, payload = _get_one("/roles/{}", role_id, token=token, rejected=(400,))
    return _object(payload) if found else None


def create_user_role(*, token: str, user_id: str, role_id: str) -> dict:
    """Assigns the role (`POST /user-roles`) and returns Guardian's assignment; raises ServiceConflict on 409 and
    ServiceRejected on 400/404/422."""
    reply, payload = _call("POST", "/user-roles", token=token, body={"user_id": str(user_id), "role_id": role_id})
    if reply.status == 409:
        raise ServiceConflict(SERVICE, "the role is already assigned")
    if reply.status in (400, 404, 422):
        raise ServiceRejected(SERVICE, f"{reply.what} answered {reply.status}")
    if reply.status not in (200, 201):
        raise _client.unexpected(reply)
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
    reply, _ = _call("DELETE", f"/user-roles/{segment}", token=token)
    if reply.status in (400, 404):
        return False
    if reply.status not in (200, 202, 204):
        raise _client.unexpected(reply)
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
    does not know it (`missing` statuses, or a value that cannot name a resource); ServiceRejected for the
    `rejected` statuses, ServiceUnavailable for anything else."""
    segment = _segment(value)
    if segment is None:
        return False, None
    reply, payload = _call("GET", template.format(segment), token=token)
    if reply.status in missing:
        return False, None
    if reply.status in rejected:
        raise ServiceRejected(SERVICE, f"{reply.what} answered {reply.status}")
    if reply.status != 200:
        raise _client.unexpected(reply)
    return True, payload


def _segment(value) -> str | None:
    """`value` as one percent-encoded path segment; None for values that cannot name a resource (empty, `.`,
    `..`), which HTTP clients would otherwise resolve to another path."""
    text = str(value)
    if text.strip(".") == "":
        return None
    return quote(text, safe="")


def _call(method: str, path: str, *, token: str, params: dict | None = None, body: dict | None = None):
    """(the reply, its body as JSON or None); the body of a success must be JSON."""
    reply = _client.request(method, path, token=token, params=params, json=body)
    payload = reply.json() if reply.content and 200 <= reply.status < 300 else reply.json_or_none()
    return reply, payload


def _object(payload) -> dict:
    if not isinstance(payload, dict):
        raise unavailable(SERVICE, "answered something other than an object")
    return payload


def _unwrap(payload, key: str) -> list[dict]:
    """A list reply, or the list an object reply wraps under `key`; anything else is an unreadable answer."""
    if isinstance(payload, dict):
        payload = payload.get(key)
    if not isinstance(payload, list) or not all(isinstance(item, dict) for item in payload):
        raise unavailable(SERVICE, f"answered no list of {key}")
    return payload
