"""Rate limits of the public credential endpoints (docs/behaviour.md §7.7): the client-IP key, counters, the 429
answer."""

import ipaddress
import json
import logging
from functools import lru_cache, wraps

from django.conf import settings
from django.http.request import RawPostDataException
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

from identity.exceptions import TooManyRequests, Unavailable
from identity.parsers import is_storable_text

logger = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    networks = []
    for entry in (part.strip() for item in entries for part in item.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            # Not trusting a proxy is the safe failure: its clients then share its bucket.
            logger.error("RATELIMIT_TRUSTED_PROXIES: ignoring %r, which is not an address or CIDR network", entry)
    return tuple(networks)


def trusted_proxy_networks() -> tuple:
    """`RATELIMIT_TRUSTED_PROXIES` as networks (read on every call so that settings overrides apply)."""
    raw = settings.RATELIMIT_TRUSTED_PROXIES or ()
    return _networks((raw,) if isinstance(raw, str) else tuple(raw))


def _address(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _is_trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def _bucket(address) -> str:
    # Same grouping as django-ratelimit's own `ip` key: one IPv4 address, or one IPv6 /64 (one subscriber).
    if address.version == 6:
        mask = getattr(settings, "RATELIMIT_IPV6_MASK", 64)
        return str(ipaddress.ip_network(f"{address}/{mask}", strict=False).network_address)
    return str(address)


def client_ip(request) -> str:
    """`REMOTE_ADDR`, or behind a trusted proxy the right-most `X-Forwarded-For` entry that is not a trusted proxy.

    Entries to the left of that one were written by the client and can be forged; the right-most untrusted
    entry is the address a trusted proxy saw.
    """
    remote_raw = request.META.get("REMOTE_ADDR", "") or ""
    remote = _address(remote_raw)
    networks = trusted_proxy_networks()
    if remote is None:
        return remote_raw
    if not _is_trusted(remote, networks):
        return _bucket(remote)
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return hop  # a trusted proxy wrote something that is not an address: still that client's bucket
        if not _is_trusted(address, networks):
            return _bucket(address)
    # Every hop is a trusted proxy: the request started inside the trusted network.
    first = _address(hops[0]) if hops else None
    return _bucket(first or remote)


def json_email(request) -> str:
    """The JSON body's `email`, stripped and lower-cased ("" when absent or unreadable).

    Read from the raw body: django-ratelimit's `post:` keys see form data only, and the limit is checked before
    the body is parsed (docs/behaviour.md §1.5), so a malformed body must not fail here.
    """
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError, RawPostDataException, RecursionError):
        return ""
    if not isinstance(body, dict) or not isinstance(body.get("email"), str) or not is_storable_text(body["email"]):
        return ""
    return body["email"].strip().lower()


def enforce(request, *, group: str, rate_setting: str, value: str) -> None:
    """Counts this request in the `(group, value)` bucket; raises TooManyRequests once over the setting's rate.

    `Retry-After` is the whole seconds left in django-ratelimit's (aligned) window, at least 1. An unreachable
    cache raises Unavailable (503).
    """
    rate = getattr(settings, rate_setting, None)
    if not rate:
        return
    try:
        usage = get_usage(request, group=group, key=lambda _group, _request: value, rate=rate, increment=True)
    except (OSError, RedisError):
        # Without its counters the limit cannot be applied; refusing is safer than letting guesses through.
        logger.exception("Rate-limit cache unavailable")
        raise Unavailable("Rate limit store unavailable") from None
    if usage is not None and usage["should_limit"]:
        raise TooManyRequests(retry_after=max(1, usage["time_left"]))


def ip_rate_limit(group: str, rate_setting: str):
    """Decorator: limits a DRF handler (or DRF function view) per client IP, e.g.
    `@ip_rate_limit("init_db", "RATELIMIT_INIT_DB")` on an APIView's `post`. Over the limit it raises
    TooManyRequests, which DRF's exception handler answers with 429 and `Retry-After`. On a handler method the
    check runs after authentication and the 405 decision, as docs/behaviour.md §1.5 orders them.
    """

    def decorator(handler):
        @wraps(handler)
        def wrapped(*args, **kwargs):
            request = next(arg for arg in args if hasattr(arg, "META"))
            enforce(request, group=group, rate_setting=rate_setting, value=client_ip(request))
            return handler(*args, **kwargs)

        return wrapped

    return decorator
