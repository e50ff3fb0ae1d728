"""Organization units (materialised-path tree) and the positions inside them."""

from django.db import models

from identity.models import CompanyOwnedModel

# A tree has at most 50 levels (root level 0 … level 49); the Flask service's 255-character path allowed ~6.
MAX_DEPTH = 50
MAX_LEVEL = MAX_DEPTH - 1


class OrganizationUnit(CompanyOwnedModel):
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=255, null=True, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    # Ids from the root to this unit joined by "/"; a root's path is its own id. Kept by org.services only.
    path = models.TextField(editable=False)
    level = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = "organization unit"
        indexes = [
            models.Index(fields=["path"], name="orgunit_path_idx", opclasses=["text_pattern_ops"]),
            models.Index(fields=["company", "parent"], name="orgunit_company_parent_idx"),
            models.Index(fields=["company", "name"], name="orgunit_company_name_idx"),
            models.Index(fields=["company", "created_at"], name="orgunit_company_created_idx"),
            models.Index(fields=["company", "level"], name="orgunit_company_level_idx"),
        ]

    def __str__(self):
        return self.name


class Position(CompanyOwnedModel):
    title = models.CharField(max_length=100)
    description = models.CharField(max_length=255, null=True, blank=True)
    organization_unit = models.ForeignKey(OrganizationUnit, on_delete=models.CASCADE, related_name="positions")
    level = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "position"
        indexes = [
            models.Index(fields=["company", "title"], name="position_company_title_idx"),
            models.Index(fields=["company", "organization_unit"], name="position_company_unit_idx"),
            models.Index(fields=["company", "created_at"], name="position_company_created_idx"),
        ]

    def __str__(self):
        return self.title
