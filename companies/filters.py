"""Query-string filters of the company list."""

import django_filters

from companies.models import Company
from identity.filters import CollectionFilterSet


class CompanyFilterSet(CollectionFilterSet):
    search_fields = ("name", "description")
    sort_fields = ("created_at", "updated_at", "name")

    name = django_filters.CharFilter(field_name="name", lookup_expr="exact")

    class Meta:
        model = Company
        fields = []
