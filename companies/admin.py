"""Companies in the admin: a staff user sees their own; only superusers add companies."""

from django.contrib import admin

from companies import services
from companies.api.serializers import COMPANY_KEYS, CompanySerializer
from companies.models import Company
from identity.admin_base import CompanyScopedAdmin


@admin.register(Company)
class CompanyAdmin(CompanyScopedAdmin):
    serializer_class = CompanySerializer
    list_display = ("name", "email", "phone_number", "city", "country", "has_logo", "created_at")
    list_filter = ("country", "has_logo", "created_at")
    search_fields = ("name", "description", "email")
    ordering = ("name", "id")
    fields = tuple(key for key in COMPANY_KEYS if key != "id")  # the API representation, in its order
    readonly_fields = ("logo_file_id", "has_logo", "created_at", "updated_at")

    def has_add_permission(self, request):
        # A new company is a tenant of its own, outside a company-bound staff user's reach.
        return request.user.is_superuser and super().has_add_permission(request)

    def service_write(self, request, form, data):
        if form.adding:
            return services.company_create(data=data)
        return services.company_update(company=form.instance, data=data)

    def service_delete(self, request, obj):
        services.company_delete(company=obj)
