"""Customers and subcontractors in the admin, written through partners.services."""

from django.contrib import admin

from identity.admin_base import CompanyScopedAdmin
from partners import services
from partners.api.serializers import CustomerSerializer, SubcontractorSerializer
from partners.models import Customer, Subcontractor

PARTNER_FIELDS = ("company", "name", "email", "contact_person", "phone_number", "address")


class PartnerAdmin(CompanyScopedAdmin):
    list_display = ("name", "company", "email", "contact_person", "phone_number", "has_logo", "created_at")
    list_filter = ("company", "has_logo", "created_at")
    list_select_related = ("company",)
    search_fields: tuple[str, ...] = ("name", "email", "contact_person")
    autocomplete_fields = ("company",)
    ordering = ("name", "id")
    readonly_fields = ("logo_file_id", "has_logo", "created_at", "updated_at")


@admin.register(Customer)
class CustomerAdmin(PartnerAdmin):
    serializer_class = CustomerSerializer
    fields = (*PARTNER_FIELDS, "logo_file_id", "has_logo", "created_at", "updated_at")

    def service_write(self, request, form, data):
        if form.adding:
            return services.customer_create(company_id=self.company_id_for(form), data=data)
        return services.customer_update(customer=form.instance, data=data)

    def service_delete(self, request, obj):
        services.customer_delete(customer=obj)


@admin.register(Subcontractor)
class SubcontractorAdmin(PartnerAdmin):
    serializer_class = SubcontractorSerializer
    fields = (*PARTNER_FIELDS, "description", "logo_file_id", "has_logo", "created_at", "updated_at")
    search_fields = (*PartnerAdmin.search_fields, "description")

    def service_write(self, request, form, data):
        if form.adding:
            return services.subcontractor_create(company_id=self.company_id_for(form), data=data)
        return services.subcontractor_update(subcontractor=form.instance, data=data)

    def service_delete(self, request, obj):
        services.subcontractor_delete(subcontractor=obj)
