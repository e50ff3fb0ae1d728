"""Abstract model bases shared by every app."""

import uuid

from django.db import models


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

    class Meta:
        abstract = True
