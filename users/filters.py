"""Query-string filters of the user list."""

import django_filters

from identity.filters import CollectionFilterSet, NullableUUIDFilter, StrictBooleanFilter
from users.models import User


class UserFilterSet(CollectionFilterSet):
    search_fields = ("email", "first_name", "last_name")
    sort_fields = ("created_at", "updated_at", "email", "last_name")

    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")
    position_id = NullableUUIDFilter(field_name="position_id")
    is_active = StrictBooleanFilter(field_name="is_active")
    language = django_filters.CharFilter(field_name="language", lookup_expr="exact")

    class Meta:
        model = User
        fields = []
