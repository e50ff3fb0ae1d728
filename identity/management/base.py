"""The base of the project's management commands: what a command changes is recorded as `source: "command"`."""

from django.core.management.base import BaseCommand

from identity.context import acting


class IdentityCommand(BaseCommand):
    """A BaseCommand whose whole run is a command's change for the audit trail (identity.audit): no actor, no
    request id, no client address."""

    def execute(self, *args, **options):
        with acting(source="command"):
            return super().execute(*args, **options)
