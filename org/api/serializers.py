"""Organization unit and position request/response shapes.

Output is built by hand (`to_representation`): lists of up to 1000 rows with their expansions stay cheap, and
the declared fields still drive input validation and the OpenAPI schema.
"""

from rest_framework import serializers

from identity.serializers import StrictModelSerializer, iso_datetime, str_or_none
from org import selectors
from org.models import OrganizationUnit, Position

MAX_POSITION_LEVEL = 2_147_483_647  # PostgreSQL integer


def unit_summary(unit: OrganizationUnit) -> dict:
    return {
        "id": str(unit.pk),
        "name": unit.name,
        "description": unit.description,
        "level": unit.level,
        "parent_id": str_or_none(unit.parent_id),
        "path": unit.path,
    }


def position_summary(position: Position) -> dict:
    return {
        "id": str(position.pk),
        "title": position.title,
        "description": position.description,
        "level": position.level,
        "organization_unit_id": str_or_none(position.organization_unit_id),
    }


class UnitSummarySerializer(serializers.ModelSerializer):
    """The expanded shape of a unit: `organization_unit`, `parent`, `children[]` (contract §5)."""

    class Meta:
        model = OrganizationUnit
        fields = ["id", "name", "description", "level", "parent_id", "path"]
        read_only_fields = fields

    def to_representation(self, instance):
        return unit_summary(instance)


class PositionSummarySerializer(serializers.ModelSerializer):
    """The expanded shape of a position: users' `position`, units' `positions[]` (contract §5)."""

    class Meta:
        model = Position
        fields = ["id", "title", "description", "level", "organization_unit_id"]
        read_only_fields = fields

    def to_representation(self, instance):
        return position_summary(instance)


class OrganizationUnitSerializer(StrictModelSerializer):
    """A unit; `parent`, `children`, `positions` appear only when expanded."""

    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=255, allow_null=True, allow_blank=True, required=False)
    parent_id = serializers.UUIDField(allow_null=True, required=False)
    company_id = serializers.UUIDField(read_only=True)
    parent = UnitSummarySerializer(read_only=True, allow_null=True, required=False,
                                   help_text="Only with expand=parent.")
    children = UnitSummarySerializer(many=True, read_only=True, required=False,
                                     help_text="Only with expand=children; by name.")
    positions = PositionSummarySerializer(many=True, read_only=True, required=False,
                                          help_text="Only with expand=positions; by title.")

    class Meta:
        model = OrganizationUnit
        fields = [
            "id", "name", "description", "parent_id", "path", "level", "company_id", "created_at", "updated_at",
            "parent", "children", "positions",
        ]
        read_only_fields = ["id", "path", "level", "created_at", "updated_at"]

    def to_representation(self, instance):
        data = {
            "id": str(instance.pk),
            "name": instance.name,
            "description": instance.description,
            "parent_id": str_or_none(instance.parent_id),
            "path": instance.path,
            "level": instance.level,
            "company_id": str_or_none(instance.company_id),
            "created_at": iso_datetime(instance.created_at),
            "updated_at": iso_datetime(instance.updated_at),
        }
        expand = self.context.get("expand", ())
        if "parent" in expand:
            data["parent"] = unit_summary(instance.parent) if instance.parent_id is not None else None
        if "children" in expand:
            children = getattr(instance, selectors.CHILDREN_ATTR, None)
            if children is None:  # not prefetched (a unit built outside the viewset's queryset)
                children = selectors.org_unit_children(unit=instance)
            data["children"] = [unit_summary(child) for child in children]
        if "positions" in expand:
            positions = getattr(instance, selectors.POSITIONS_ATTR, None)
            if positions is None:
                positions = selectors.org_unit_positions(unit=instance)
            data["positions"] = [position_summary(position) for position in positions]
        return data


class PositionSerializer(StrictModelSerializer):
    """A position; `organization_unit` appears only when expanded."""

    title = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=255, allow_null=True, allow_blank=True, required=False)
    level = serializers.IntegerField(min_value=0, max_value=MAX_POSITION_LEVEL, allow_null=True, required=False)
    organization_unit_id = serializers.UUIDField()
    company_id = serializers.UUIDField(read_only=True)
    organization_unit = UnitSummarySerializer(read_only=True, allow_null=True, required=False,
                                              help_text="Only with expand=organization_unit.")

    class Meta:
        model = Position
        fields = [
            "id", "title", "description", "level", "organization_unit_id", "company_id", "created_at", "updated_at",
            "organization_unit",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def to_representation(self, instance):
        data = {
            "id": str(instance.pk),
            "title": instance.title,
            "description": instance.description,
            "level": instance.level,
            "organization_unit_id": str_or_none(instance.organization_unit_id),
            "company_id": str_or_none(instance.company_id),
            "created_at": iso_datetime(instance.created_at),
            "updated_at": iso_datetime(instance.updated_at),
        }
        if "organization_unit" in self.context.get("expand", ()):
            data["organization_unit"] = unit_summary(instance.organization_unit)
        return data


class UnitPositionSerializer(PositionSerializer):
    """`POST /organization_units/{id}/positions`: the unit comes from the path (a body value is ignored)."""

    organization_unit_id = serializers.UUIDField(read_only=True)
