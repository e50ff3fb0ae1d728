"""The audit trail in the admin: read-only for everyone, filterable by company, action, object type and date."""

from django.apps import apps
from django.contrib import admin

from identity import audit
from identity.admin_base import CompanyScopedAdmin, scope
from identity.models import AuditEvent


class CompanyFilter(admin.SimpleListFilter):
    """Companies by name (events keep a plain company id, which outlives the company)."""

    title = "company"
    parameter_name = "company_id"

    def lookups(self, request, model_admin):
        companies = scope(apps.get_model("companies", "Company").objects.order_by("name"), request.user)
        return [(str(pk), name) for pk, name in companies.values_list("pk", "name")]

    def queryset(self, request, queryset):
        return queryset.filter(company_id=self.value()) if self.value() else queryset


class ChoiceFilter(admin.SimpleListFilter):
    """A fixed list of values (a DISTINCT over millions of events would not be)."""

    values: tuple[str, ...] = ()

    def lookups(self, request, model_admin):
        return [(value, value) for value in self.values]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.parameter_name: self.value()}) if self.value() else queryset


class ActionFilter(ChoiceFilter):
    title = parameter_name = "action"
    values = audit.ACTIONS


class ObjectTypeFilter(ChoiceFilter):
    title = "object type"
    parameter_name = "object_type"
    values = audit.OBJECT_TYPES


@admin.register(AuditEvent)
class AuditEventAdmin(CompanyScopedAdmin):
    list_display = ("created_at", "action", "object_type", "object_id", "actor_email", "source", "ip", "request_id")
    list_filter = (CompanyFilter, ActionFilter, ObjectTypeFilter, "source", "created_at")
    search_fields = ("actor_email", "request_id", "=object_id", "=actor_id")
    date_hierarchy = None
    ordering = ("-created_at", "-id")
    show_full_result_count = False  # no second COUNT over the whole table
    fields = (
        "created_at",
        "company_id",
        "action",
        "object_type",
        "object_id",
        "changed_fields",
        "actor_id",
        "actor_email",
        "source",
        "ip",
        "request_id",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
