"""`manage.py prune_audit [--older-than-days N]`: deletes audit events older than the retention, in batches."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from identity.management.base import IdentityCommand
from identity.models import AuditEvent

BATCH_SIZE = 5000


class Command(IdentityCommand):
    help = "Deletes audit events older than N days (default AUDIT_RETENTION_DAYS), in batches, and prints how many."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, default=None, help="Default: AUDIT_RETENTION_DAYS (365).")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, **options):
        days = options["older_than_days"]
        days = settings.AUDIT_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--older-than-days must be 0 or more.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be 1 or more.")
        cutoff = timezone.now() - timedelta(days=days)
        deleted = 0
        while True:
            # One short transaction per batch: the table is never locked for long and progress survives a stop.
            with transaction.atomic():
                ids = list(
                    AuditEvent.objects.filter(created_at__lt=cutoff)
                    .order_by("created_at")
                    .values_list("pk", flat=True)[: options["batch_size"]]
                )
                if not ids:
                    break
                deleted += AuditEvent.objects.filter(pk__in=ids)._raw_delete(AuditEvent.objects.db)
            if options["verbosity"] > 1:
                self.stdout.write(f"... {deleted} deleted")
        self.stdout.write(f"Deleted {deleted} audit event(s) older than {days} day(s).")
