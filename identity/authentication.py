"""JWT authentication from the `access_token` cookie (or `Authorization: Bearer`), as issued by the Auth service."""

import time
import uuid
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework import authentication, exceptions
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError

from identity import rowcache
from identity.bounded import BoundedMap
from identity.context import actor_var, company_id_var, user_id_var

COOKIE_NAME = "access_token"
INVALID_TOKEN = "Missing or invalid JWT token"


def read_raw_token(request) -> str | None:
    """The cookie wins; the Bearer header is read only when no cookie is present."""
    token = request.COOKIES.get(COOKIE_NAME)
    if token:
        return token
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


@lru_cache(maxsize=4)
def _token_backend(secret: str) -> TokenBackend:
    # One per secret: building it looks up PyJWT's algorithm table on every request otherwise.
    return TokenBackend("HS256", signing_key=secret)


# Claims of the tokens this process has verified, by raw token, until they expire: a caller sends the same token on
# every request, and its decoding (the signature, the base64 and claim checks) was a fifth of a by-id GET's Python
# calls. An unseen token is always decoded and verified in full; a seen one is answered only while `exp` has not
# passed (the decoder's own rule, no leeway) and under the secret that verified it. `nbf` and `iat` were checked at
# the first decoding and stay true. Invalid tokens are not kept. Bounded: the oldest entry makes room for a new one.
CLAIMS_CACHE_SIZE = 2048
_claims: BoundedMap[str, tuple[dict, float, str]] = BoundedMap(CLAIMS_CACHE_SIZE)


def decode_token(raw: str) -> dict:
    """Claims of a valid HS256 token signed with `JWT_SECRET`; raises AuthenticationFailed otherwise. The claims
    are shared with later calls for the same token: read them, do not change them."""
    secret = settings.JWT_SECRET
    known = _claims.get(raw)
    if known is not None:
        if known[2] == secret and time.time() < known[1]:
            return known[0]
        _claims.drop(raw)
    try:
        claims = _token_backend(secret).decode(raw)  # type: ignore[arg-type]  # hinted Token; takes str
    except TokenBackendError:
        raise exceptions.AuthenticationFailed(INVALID_TOKEN) from None
    if not isinstance(claims, dict):
        raise exceptions.AuthenticationFailed(INVALID_TOKEN)
    # The decoder accepted `exp` as an integer; without one a token never expires (docs/behaviour.md §2).
    expires = float(int(claims["exp"])) if "exp" in claims else float("inf")
    _claims.keep(raw, (claims, expires, secret), size=CLAIMS_CACHE_SIZE)
    return claims


class CookieJWTAuthentication(authentication.BaseAuthentication):
    """Authenticates the caller; sets `request.company_id` and keeps the raw token as `request.auth`."""

    def authenticate(self, request):
        raw = read_raw_token(request)
        if raw is None:
            return None
        claims = decode_token(raw)
        user_id = claims.get("sub") or claims.get("user_id")
        if not user_id:
            raise exceptions.AuthenticationFailed("Invalid JWT token: missing user_id")
        company_claim = claims.get("company_id")
        if not company_claim:
            raise exceptions.AuthenticationFailed("Invalid JWT token: missing company_id")
        try:
            company_id = uuid.UUID(str(company_claim))
            user_uuid = uuid.UUID(str(user_id))
        except ValueError:
            if not _is_uuid(company_claim):
                raise exceptions.AuthenticationFailed("Invalid JWT token: company_id must be a valid UUID") from None
            raise exceptions.AuthenticationFailed("User not found or inactive") from None
        # One fence per request covers the caller and the path object (identity.rowcache).
        fence = rowcache.fence()
        user = get_user_model()._default_manager.get_in_company(
            pk=user_uuid, company_id=company_id, active_only=True, fence=fence
        )
        if user is None:
            raise exceptions.AuthenticationFailed("User not found or inactive")
        request._request.company_id = company_id
        request._request.row_fence = fence
        company_id_var.set(str(company_id))
        user_id_var.set(str(user.pk))
        actor_var.set((user.pk, user.email))
        return user, raw

    def authenticate_header(self, request):
        return "Bearer"


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
