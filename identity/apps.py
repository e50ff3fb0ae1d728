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
