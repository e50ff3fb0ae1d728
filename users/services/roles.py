"""A user's roles, policies and permissions, read from and written to Guardian.

Guardian's failures are its client's exceptions (identity.clients.base), which the exception handler answers
503 (or 403 when Guardian refuses the caller's cookie); only an assignment gives a rejection and a conflict
meanings of its own.
"""

import contextvars
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

from django.conf import settings

from identity import audit
from identity.clients import guardian
from identity.clients.base import ServiceConflict, ServiceRejected
from identity.exceptions import Conflict, NotFound, Unavailable, ValidationFailed

# Upper bound of concurrent Guardian calls per request: enough for typical role counts, small enough not to
# flood Guardian when a user holds many roles.
MAX_WORKERS = 8

DISABLED = "Guardian Service is disabled"
INVALID_ROLE = "Invalid role or request data"
ROLE_REQUIRED = "Role ID field is required"
USER_ROLE_NOT_FOUND = "User role not found"


def user_role_list(*, user, token: str) -> list[dict]:
    """The user's assignments, each with Guardian's role object (a placeholder for a role Guardian lacks)."""
    if not settings.USE_GUARDIAN_SERVICE:
        return []
    assignments = _assignments(user=user, token=token)
    role_ids = _unique(str(item["role_id"]) for item in assignments)
    # A 400 (ServiceRejected) is expected only where a caller's role id is sent: on ids Guardian gave us it means
    # Guardian is not answering as it should, and is left to count as unavailable.
    roles = dict(
        zip(role_ids, _gather(lambda role_id: guardian.get_role(token=token, role_id=role_id), role_ids), strict=True)
    )
    return [
        {
            "id": item.get("id"),
            "user_id": item.get("user_id"),
            "role_id": item["role_id"],
            "role": roles[str(item["role_id"])] or _placeholder_role(item["role_id"]),
            "created_at": item.get("created_at"),
        }
        for item in assignments
    ]


def user_role_get(*, user, token: str, user_role_id: str) -> dict:
    """Guardian's assignment `user_role_id` of this user; NotFound when it is missing or another user's."""
    _ensure_enabled()
    assignment = guardian.get_user_role(token=token, user_role_id=user_role_id)
    if assignment is None or not _same_id(assignment.get("user_id"), user.pk):
        raise NotFound(USER_ROLE_NOT_FOUND)
    return assignment


def user_role_assign(*, user, token: str, company_id, role_id: str) -> dict:
    """Assigns a role of the caller's company (or a global one) to the user in Guardian, records
    `user_role.assign` once Guardian has, and returns the assignment.

    Raises ValidationFailed for a missing, unknown or foreign role, Conflict when already assigned, Unavailable
    when Guardian is disabled, and the client's ServiceUnavailable when it cannot be used.
    """
    role_id = (role_id or "").strip()
    if not role_id:
        raise ValidationFailed(ROLE_REQUIRED)
    _ensure_enabled()
    try:
        # Guardian does not scope roles by tenant on assignment: read the role first so that a role of another
        # company is refused here.
        role = guardian.get_role(token=token, role_id=role_id)
        company = role.get("company_id") if role is not None else None
        if role is None or (company is not None and not _same_id(company, company_id)):
            raise ValidationFailed(INVALID_ROLE)
        assignment = guardian.create_user_role(token=token, user_id=str(user.pk), role_id=role_id)
    except ServiceRejected:
        raise ValidationFailed(INVALID_ROLE) from None
    except ServiceConflict:
        raise Conflict(f"Role '{role_id}' already assigned to user") from None
    audit.record_alone("user_role.assign", target=user)
    return assignment


def user_role_remove(*, user, token: str, user_role_id: str) -> None:
    """Removes the user's assignment `user_role_id` in Guardian and records `user_role.remove`; NotFound when it
    is missing or another user's."""
    user_role_get(user=user, token=token, user_role_id=user_role_id)
    if not guardian.delete_user_role(token=token, user_role_id=user_role_id):
        raise NotFound(USER_ROLE_NOT_FOUND)
    audit.record_alone("user_role.remove", target=user)


def user_policy_list(*, user, token: str) -> list[dict]:
    """Every policy of every role of the user, de-duplicated by id in discovery order."""
    if not settings.USE_GUARDIAN_SERVICE:
        return []
    return _policies(user=user, token=token)


def user_permission_list(*, user, token: str) -> list[dict]:
    """Every permission of every policy of the user's roles, de-duplicated by id (first occurrence wins)."""
    if not settings.USE_GUARDIAN_SERVICE:
        return []
    policies = _policies(user=user, token=token)
    policy_ids = _unique(str(policy["id"]) for policy in policies if policy.get("id") is not None)
    lists = _gather(lambda policy_id: guardian.list_policy_permissions(token=token, policy_id=policy_id), policy_ids)
    return _dedup(item for items in lists if items is not None for item in items)


# --- internals -----------------------------------------------------------------------------------------------
def _assignments(*, user, token: str) -> list[dict]:
    items = guardian.list_user_roles(token=token, user_id=str(user.pk))
    # Guardian filters by user_id; an item naming another user is dropped all the same.
    return [item for item in items if "user_id" not in item or _same_id(item["user_id"], user.pk)]


def _policies(*, user, token: str) -> list[dict]:
    role_ids = _unique(str(item["role_id"]) for item in _assignments(user=user, token=token))
    lists = _gather(lambda role_id: guardian.list_role_policies(token=token, role_id=role_id), role_ids)
    return _dedup(item for items in lists if items is not None for item in items)


def _placeholder_role(role_id) -> dict:
    return {
        "id": role_id,
        "name": f"Unknown Role ({role_id})",
        "description": "Role not found in Guardian",
        "company_id": None,
    }


def _gather(call: Callable, items: list) -> list:
    """`call(item)` for every item, concurrently (at most MAX_WORKERS at once); results in item order. The first
    failure is raised without waiting for the calls still running."""
    if len(items) <= 1:
        return [call(item) for item in items]
    executor = ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(items)), thread_name_prefix="guardian")
    try:
        # Each call runs in a copy of the request's context, so its log lines keep the request id.
        futures = [executor.submit(contextvars.copy_context().run, call, item) for item in items]
        wait(futures, return_when=FIRST_EXCEPTION)
        return [future.result() for future in futures]
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _dedup(items: Iterable[dict]) -> list[dict]:
    """Items in order, keeping the first of each id (items without an id are all kept)."""
    seen: set = set()
    out = []
    for item in items:
        key = item.get("id")
        if key is not None:
            key = str(key)
            if key in seen:
                continue
            seen.add(key)
        out.append(item)
    return out


def _same_id(left, right) -> bool:
    """Two ids are the same, comparing UUIDs by value (Guardian may spell them in another case)."""
    if left is None or right is None:
        return False
    try:
        return uuid.UUID(str(left)) == uuid.UUID(str(right))
    except ValueError:
        return str(left) == str(right)


def _ensure_enabled() -> None:
    if not settings.USE_GUARDIAN_SERVICE:
        raise Unavailable(DISABLED)
