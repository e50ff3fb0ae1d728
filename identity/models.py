"""Abstract model bases shared by every app."""

import uuid
from dataclasses import dataclass

from django.db import models

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
