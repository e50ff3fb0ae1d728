"""App configuration of the shared core."""

import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger(__name__)


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = "Identity core"

    def ready(self):
        from identity import schema  # noqa: F401  (registers the OpenAPI auth extension)

        if not settings.USE_GUARDIAN_SERVICE:
            logger.warning("USE_GUARDIAN_SERVICE=false: every authenticated request is granted without Guardian")
        skip_noop_cache_close()


def skip_noop_cache_close() -> bool:
    """Disconnects Django's `close_caches` from `request_finished` when no configured cache has anything to close.

    Once a request has used a cache (a rate limit, a Guardian decision), Django closes every used cache after every
    later request: about ten Python calls through the caches' thread-local handler, to call `BaseCache.close`,
    which does nothing for the local-memory, Redis, database and file caches. Memcached's backends close their
    connections there, and a configuration that names one keeps Django's handler. True when it was disconnected.
    """
    from django.core import signals
    from django.core.cache import close_caches
    from django.core.cache.backends.base import BaseCache
    from django.utils.module_loading import import_string

    for config in settings.CACHES.values():
        if import_string(config["BACKEND"]).close is not BaseCache.close:
            return False
    return signals.request_finished.disconnect(close_caches)
