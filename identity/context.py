"""Per-request values (request id, company, user) that log lines carry, and who is acting for audit events."""

import contextvars
from contextlib import contextmanager
from typing import Any

request_id_var = contextvars.ContextVar("request_id", default="-")
company_id_var = contextvars.ContextVar("company_id", default="-")
user_id_var = contextvars.ContextVar("user_id", default="-")

# Read by identity.audit.record(): where a change comes from (`api`, `admin`, `command`, `system`), the client
# address of the request (None outside one) and the acting user as (id, email), None when nobody is signed in.
source_var = contextvars.ContextVar("source", default="system")
ip_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("ip", default=None)
actor_var: contextvars.ContextVar[tuple[Any, str] | None] = contextvars.ContextVar("actor", default=None)


@contextmanager
def acting(*, source: str, actor=None, ip: str | None = None):
    """Within the block, changes are recorded as coming from `source`, done by `actor` (a user or None)."""
    tokens: list[tuple[contextvars.ContextVar[Any], contextvars.Token[Any]]] = [(source_var, source_var.set(source))]
    if actor is not None:
        tokens.append((actor_var, actor_var.set((actor.pk, actor.email))))
    if ip is not None:
        tokens.append((ip_var, ip_var.set(ip)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
