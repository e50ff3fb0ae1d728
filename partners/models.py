"""Customers and subcontractors: a company's business partners."""

from django.db import models
from django.db.models.functions import Lower

from identity.models import CompanyOwnedModel, ImageSlot
from identity.uniqueness import register_constraint


class Partner(CompanyOwnedModel):
    name = models.CharField(max_length=100)
    email = models.CharField(max_length=100, null=True, blank=True)
    contact_person = models.CharField(max_length=100, null=True, blank=True)
    phone_number = models.CharField(max_length=50, null=True, blank=True)
    address = models.CharField(max_length=255, null=True, blank=True)
    logo_file_id = models.CharField(max_length=64, null=True, blank=True)
    has_logo = models.BooleanField(default=False)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name


class Customer(Partner):
    image_slot = ImageSlot(kind="customer_logo", field="logo", resource="customer_logo")

    class Meta:
        verbose_name = "customer"
        constraints = [
            models.UniqueConstraint(
                "company", Lower("email"), name=register_constraint("customer_email_ci_unique", "email")
            ),
        ]
        indexes = [
            models.Index(fields=["company", "name"], name="customer_company_name_idx"),
            models.Index(fields=["company", "created_at"], name="customer_company_created_idx"),
        ]


class Subcontractor(Partner):
    description = models.CharField(max_length=255, null=True, blank=True)

    image_slot = ImageSlot(kind="subcontractor_logo", field="logo", resource="subcontractor_logo")

    class Meta:
        verbose_name = "subcontractor"
        constraints = [
            models.UniqueConstraint(
                "company", Lower("name"), name=register_constraint("subcontractor_name_ci_unique", "name")
            ),
        ]
        indexes = [
            models.Index(fields=["company", "name"], name="subcontr_company_name_idx"),
            models.Index(fields=["company", "created_at"], name="subcontr_company_created_idx"),
        ]
