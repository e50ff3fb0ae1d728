"""Client of the Guardian RBAC service: the per-request access check (and, later, role look-ups)."""

import hashlib
import logging
from dataclasses import dataclass

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
