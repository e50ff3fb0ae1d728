"""Tokens as the Auth service issues them (docs/integrations.md §1)."""

import datetime as dt
import uuid

import jwt
from django.conf import settings


def make_token(
    user=None,
    *,
    secret: str | None = None,
    algorithm: str = "HS256",
    minutes: int = 15,
    drop: tuple[str, ...] = (),
    **claims,
) -> str:
    payload = {}
    if user is not None:
        payload = {"sub": str(user.pk), "email": user.email, "company_id": str(user.company_id)}
    payload["exp"] = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
    payload["jti"] = uuid.uuid4().hex
    payload.update(claims)
    for key in drop:
        payload.pop(key, None)
    return jwt.encode(payload, secret if secret is not None else settings.JWT_SECRET, algorithm=algorithm)
