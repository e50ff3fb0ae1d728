"""The Company: the tenant every other row belongs to."""

from django.db import models
from django.db.models.functions import Lower

from identity.models import ImageSlot, TimestampedModel
from identity.tenancy import TenantQuerySet
from identity.uniqueness import register_constraint


class Company(TimestampedModel):
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=255, null=True, blank=True)
    website = models.CharField(max_length=255, null=True, blank=True)
    phone_number = models.CharField(max_length=20, null=True, blank=True)
    email = models.CharField(max_length=100, null=True, blank=True)
    address = models.CharField(max_length=255, null=True, blank=True)
    postal_code = models.CharField(max_length=20, null=True, blank=True)
    city = models.CharField(max_length=100, null=True, blank=True)
    country = models.CharField(max_length=100, null=True, blank=True)
    logo_file_id = models.CharField(max_length=64, null=True, blank=True)
    has_logo = models.BooleanField(default=False)

    objects = TenantQuerySet.as_manager()
    image_slot = ImageSlot(kind="company_logo", field="logo", resource="company_logo")

    class Meta:
        verbose_name = "company"
        verbose_name_plural = "companies"
        constraints = [
            models.UniqueConstraint(Lower("name"), name=register_constraint("company_name_ci_unique", "name")),
        ]
        indexes = [models.Index(fields=["name"], name="company_name_idx")]

    def __str__(self):
        return self.name
