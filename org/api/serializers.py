"""Organization unit and position request/response shapes."""

from rest_framework import serializers

from org.models import OrganizationUnit, Position


class UnitSummarySerializer(serializers.ModelSerializer):
    """The expanded shape of a unit: `organization_unit`, `parent`, `children[]` (contract §5)."""

    class Meta:
        model = OrganizationUnit
        fields = ["id", "name", "description", "level", "parent_id", "path"]
        read_only_fields = fields


class PositionSummarySerializer(serializers.ModelSerializer):
    """The expanded shape of a position: users' `position`, units' `positions[]` (contract §5)."""

    class Meta:
        model = Position
        fields = ["id", "title", "description", "level", "organization_unit_id"]
        read_only_fields = fields
