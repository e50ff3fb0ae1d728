"""Organization units (a changelist in tree order, names indented by level) and positions in the admin."""

from django.contrib import admin
from django.utils.html import format_html

from identity.admin_base import CompanyScopedAdmin
from org import services
from org.api.serializers import OrganizationUnitSerializer, PositionSerializer
from org.models import OrganizationUnit, Position

INDENT = "\u2003"  # an em space per level


@admin.register(OrganizationUnit)
class OrganizationUnitAdmin(CompanyScopedAdmin):
    serializer_class = OrganizationUnitSerializer
    list_display = ("indented_name", "company", "parent", "level", "created_at")
    list_filter = ("company", "level", "created_at")
    list_select_related = ("company", "parent")
    search_fields = ("name", "description")
    autocomplete_fields = ("company", "parent")
    ordering = ("path",)
    fields = ("company", "name", "description", "parent", "path", "level", "created_at", "updated_at")
    readonly_fields = ("path", "level", "created_at", "updated_at")

    @admin.display(description="name", ordering="path")
    def indented_name(self, unit):
        return format_html("{}{}", INDENT * unit.level, unit.name)

    def service_write(self, request, form, data):
        if form.adding:
            return services.org_unit_create(company_id=self.company_id_for(form), data=data)
        return services.org_unit_update(unit=form.instance, data=data)

    def service_delete(self, request, obj):
        services.org_unit_delete(unit=obj)


@admin.register(Position)
class PositionAdmin(CompanyScopedAdmin):
    serializer_class = PositionSerializer
    list_display = ("title", "company", "organization_unit", "level", "created_at")
    list_filter = ("company", "organization_unit", "created_at")
    list_select_related = ("company", "organization_unit")
    search_fields = ("title", "description")
    autocomplete_fields = ("company", "organization_unit")
    ordering = ("title", "id")
    fields = ("company", "title", "description", "level", "organization_unit", "created_at", "updated_at")
    readonly_fields = ("created_at", "updated_at")

    def service_write(self, request, form, data):
        if form.adding:
            unit_id = data.pop("organization_unit_id")
            return services.position_create(
                company_id=self.company_id_for(form), organization_unit_id=unit_id, data=data
            )
        return services.position_update(position=form.instance, data=data)

    def service_delete(self, request, obj):
        services.position_delete(position=obj)
