"""Organization unit and position request/response shapes: each shape's keys are stated once (`keys`)."""

from rest_framework import serializers

from identity.serializers import KeyedSerializerMixin, StrictModelSerializer
from org import selectors
from org.models import OrganizationUnit, Position

MAX_POSITION_LEVEL = 2_147_483_647  # PostgreSQL integer


class UnitSummarySerializer(KeyedSerializerMixin, serializers.ModelSerializer):
    """The expanded shape of a unit: `organization_unit`, `parent`, `children[]`."""

    keys = selectors.UNIT_SUMMARY_FIELDS

    class Meta:
        model = OrganizationUnit
        fields = list(selectors.UNIT_SUMMARY_FIELDS)
        read_only_fields = fields


class PositionSummarySerializer(KeyedSerializerMixin, serializers.ModelSerializer):
    """The expanded shape of a position: users' `position`, units' `positions[]`."""

    keys = selectors.POSITION_SUMMARY_FIELDS

    class Meta:
        model = Position
        fields = list(selectors.POSITION_SUMMARY_FIELDS)
        read_only_fields = fields


UNIT_KEYS = ("id", "name", "description", "parent_id", "path", "level", "company_id", "created_at", "updated_at")
POSITION_KEYS = (
    "id",
    "title",
    "description",
    "level",
    "organization_unit_id",
    "company_id",
    "created_at",
    "updated_at",
)


class OrganizationUnitSerializer(KeyedSerializerMixin, StrictModelSerializer):
    """A unit; `parent`, `children`, `positions` appear only when expanded."""

    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=255, allow_null=True, allow_blank=True, required=False)
    parent_id = serializers.UUIDField(allow_null=True, required=False)
    company_id = serializers.UUIDField(read_only=True)
    parent = UnitSummarySerializer(
        read_only=True, allow_null=True, required=False, help_text="Only with expand=parent."
    )
    children = UnitSummarySerializer(
        many=True, read_only=True, required=False, help_text="Only with expand=children; by name."
    )
    positions = PositionSummarySerializer(
        many=True, read_only=True, required=False, help_text="Only with expand=positions; by title."
    )

    keys = UNIT_KEYS

    class Meta:
        model = OrganizationUnit
        fields = [*UNIT_KEYS, "parent", "children", "positions"]
        read_only_fields = ["id", "path", "level", "created_at", "updated_at"]

    def expand_representation(self, instance, data, expand):
        if "parent" in expand:
            data["parent"] = UnitSummarySerializer.represent(instance.parent) if instance.parent_id else None
        if "children" in expand:
            children = getattr(instance, selectors.CHILDREN_ATTR, None)
            if children is None:  # not prefetched (a unit built outside the viewset's queryset)
                children = selectors.org_unit_children(unit=instance)
            data["children"] = [UnitSummarySerializer.represent(child) for child in children]
        if "positions" in expand:
            positions = getattr(instance, selectors.POSITIONS_ATTR, None)
            if positions is None:
                positions = selectors.org_unit_positions(unit=instance)
            data["positions"] = [PositionSummarySerializer.represent(position) for position in positions]


class PositionSerializer(KeyedSerializerMixin, StrictModelSerializer):
    """A position; `organization_unit` appears only when expanded."""

    title = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=255, allow_null=True, allow_blank=True, required=False)
    level = serializers.IntegerField(min_value=0, max_value=MAX_POSITION_LEVEL, allow_null=True, required=False)
    organization_unit_id = serializers.UUIDField()
    company_id = serializers.UUIDField(read_only=True)
    organization_unit = UnitSummarySerializer(
        read_only=True, allow_null=True, required=False, help_text="Only with expand=organization_unit."
    )

    keys = POSITION_KEYS

    class Meta:
        model = Position
        fields = [*POSITION_KEYS, "organization_unit"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def expand_representation(self, instance, data, expand):
        if "organization_unit" in expand:
            data["organization_unit"] = UnitSummarySerializer.represent(instance.organization_unit)


class UnitPositionSerializer(PositionSerializer):
    """`POST /organization_units/{id}/positions`: the unit comes from the path (a body value is ignored)."""

    organization_unit_id = serializers.UUIDField(read_only=True)
