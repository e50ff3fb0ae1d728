"""Abstract model bases shared by every app, and the audit trail every app writes to."""

import uuid
from dataclasses import dataclass

from django.db import models
from django.utils import timezone

from identity.tenancy import CompanyScopedQuerySet


class TimestampedModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class CompanyOwnedModel(TimestampedModel):
    """A row that belongs to exactly one company."""

    # Reverse accessors (`company.users`, `company.organizationunits`, …) let `companies` count its dependants
    # through the ORM relation without importing the apps to its right.
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="%(class)ss")

    objects = CompanyScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """One recorded change or credential event (written by identity.audit.record only, never changed).

    No foreign keys: an event outlives the company, actor and object it names (a delete is recorded in the
    same transaction as the row going away).
    """

    class Source(models.TextChoices):
        API = "api"
        ADMIN = "admin"
        COMMAND = "command"
        SYSTEM = "system"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    request_id = models.CharField(max_length=128, null=True, blank=True, editable=False)
    company_id = models.UUIDField(null=True, blank=True, editable=False)
    actor_id = models.UUIDField(null=True, blank=True, editable=False)
    actor_email = models.CharField(max_length=254, null=True, blank=True, editable=False)
    ip = models.CharField(max_length=64, null=True, blank=True, editable=False)
    source = models.CharField(max_length=16, choices=Source.choices, editable=False)
    action = models.CharField(max_length=64, editable=False)
    object_type = models.CharField(max_length=32, editable=False)
    object_id = models.UUIDField(editable=False)
    changed_fields = models.JSONField(default=list, blank=True, editable=False)

    objects = CompanyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "audit event"
        ordering = ["-created_at", "-id"]
        # Every read is scoped to one company and newest first: each filter the list offers has an index that
        # starts with the company and ends with created_at, so a page stays an index range scan at any size.
        indexes = [
            models.Index(fields=["company_id", "created_at", "id"], name="audit_company_created_idx"),
            models.Index(fields=["company_id", "action", "created_at"], name="audit_company_action_idx"),
            models.Index(
                fields=["company_id", "object_type", "object_id", "created_at"], name="audit_company_object_idx"
            ),
            models.Index(fields=["company_id", "actor_id", "created_at"], name="audit_company_actor_idx"),
            models.Index(fields=["company_id", "request_id"], name="audit_company_request_idx"),
            models.Index(fields=["company_id", "source", "created_at"], name="audit_company_source_idx"),
            models.Index(fields=["created_at"], name="audit_created_idx"),  # prune_audit
        ]

    def __str__(self):
        return f"{self.action} {self.object_id}"


@dataclass(frozen=True)
class ImageSlot:
    """The one declaration of a model's image (`image_slot = ImageSlot(...)` on the model): its storage kind,
    its field (`avatar` | `logo`: the multipart part, the `<field>_file_id` and `has_<field>` columns), the
    Guardian resource of its endpoint, and whether only the owner itself may change it (user avatars)."""

    kind: str
    field: str
    resource: str
    self_only: bool = False

    @property
    def id_field(self) -> str:
        return f"{self.field}_file_id"

    @property
    def flag_field(self) -> str:
        return f"has_{self.field}"


class CompanyRowCount(models.Model):
    """How many rows of one table belong to one company: the `total` of an unfiltered list page
    (docs/behaviour.md §1.3) without counting the company's rows on every request.

    Kept on PostgreSQL by the triggers of migration 0003 on every table of `identity.counters.COUNTED_TABLES`, in
    the transaction of each INSERT, DELETE, TRUNCATE or change of `company_id`, whatever issued it (API, admin,
    commands, bulk inserts, set-based deletes, cascades). Never written by the application. On SQLite (development,
    one process) there are no triggers and lists count their rows instead.
    """

    pk = models.CompositePrimaryKey("table_name", "company_id")
    table_name = models.CharField(max_length=63)
    company_id = models.UUIDField()
    total = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "company row count"

    def __str__(self):
        return f"{self.table_name} of {self.company_id}: {self.total}"
