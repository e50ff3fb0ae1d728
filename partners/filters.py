"""Query-string filters of the customer and subcontractor lists."""

import django_filters

from identity.filters import CollectionFilterSet
from partners.models import Customer, Subcontractor


class PartnerFilterSet(CollectionFilterSet):
    search_fields = ("name", "email", "contact_person")
    sort_fields = ("created_at", "updated_at", "name")

    name = django_filters.CharFilter(field_name="name", lookup_expr="exact")


class CustomerFilterSet(PartnerFilterSet):
    class Meta:
        model = Customer
        fields = []


class SubcontractorFilterSet(PartnerFilterSet):
    class Meta:
        model = Subcontractor
        fields = []
