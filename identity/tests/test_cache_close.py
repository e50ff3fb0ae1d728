"""Django's `close_caches` runs after a request only where a configured cache has something to close
(identity.apps.skip_noop_cache_close)."""

import pytest
from django.core.cache import close_caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import request_finished
from django.test import override_settings

from identity.apps import skip_noop_cache_close


class ClosingCache(LocMemCache):
    """A cache that closes something after each request."""

    closed = 0

    def close(self, **kwargs):
        type(self).closed += 1


@pytest.fixture
def django_handler_connected():
    """Django's handler connected as it is before the app is ready; afterwards the app's choice made again on the
    project's settings, from the same start (connecting twice connects once)."""
    request_finished.connect(close_caches)
    yield
    request_finished.connect(close_caches)
    skip_noop_cache_close()


def test_the_projects_caches_do_not_close_after_each_request():
    # The project's caches (local memory, or Redis in the PostgreSQL run) have nothing to close: the app took
    # Django's handler off at start, so disconnecting it now finds nothing.
    assert request_finished.disconnect(close_caches) is False


@pytest.mark.parametrize(
    "backend",
    ["django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.redis.RedisCache"],
)
def test_a_noop_close_is_skipped(django_handler_connected, backend):
    with override_settings(CACHES={"default": {"BACKEND": backend, "LOCATION": "redis://127.0.0.1:6379/9"}}):
        assert skip_noop_cache_close() is True
    assert request_finished.disconnect(close_caches) is False


@pytest.mark.parametrize(
    "backend",
    ["django.core.cache.backends.memcached.PyMemcacheCache", f"{__name__}.ClosingCache"],
)
def test_a_cache_that_closes_keeps_djangos_handler(django_handler_connected, backend):
    caches_setting = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "closing": {"BACKEND": backend, "LOCATION": "127.0.0.1:11211"},
    }
    with override_settings(CACHES=caches_setting):
        assert skip_noop_cache_close() is False
        if backend.endswith("ClosingCache"):
            from django.core.cache import caches

            caches["closing"].get("anything")
            before = ClosingCache.closed
            close_caches()  # what the handler kept on request_finished does
            assert ClosingCache.closed == before + 1
    assert request_finished.disconnect(close_caches) is True
