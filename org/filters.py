"""Query-string filters of the unit and position lists."""

import django_filters

from identity.filters import CollectionFilterSet, IntegerFilter, NullableUUIDFilter, StrictUUIDFilter
from org.models import OrganizationUnit, Position


class OrganizationUnitFilterSet(CollectionFilterSet):
    search_fields = ("name", "description")
    sort_fields = ("created_at", "updated_at", "name", "level")

    name = django_filters.CharFilter(field_name="name", lookup_expr="exact")
    parent_id = NullableUUIDFilter(field_name="parent_id")
    level = IntegerFilter(field_name="level")

    class Meta:
        model = OrganizationUnit
        fields = []


class PositionFilterSet(CollectionFilterSet):
    search_fields = ("title", "description")
    sort_fields = ("created_at", "updated_at", "title")

    title = django_filters.CharFilter(field_name="title", lookup_expr="exact")
    organization_unit_id = StrictUUIDFilter(field_name="organization_unit_id")

    class Meta:
        model = Position
        fields = []
