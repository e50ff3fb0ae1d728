"""The admin's base: a site that refuses unscoped model admins, the one company-scoping mixin, and change forms
that validate with the API's serializers and write through the services (which record the audit events; the site
marks them `source: "admin"`).

A staff user who is not a superuser sees and changes only rows of their own company: changelists, change forms
(another company's object → 404), search, filters, autocomplete results, foreign-key choices and actions all
start from `CompanyScopedAdmin.get_queryset`, which subclasses cannot override (as identity.viewsets for the API).
"""

from functools import update_wrapper

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.filters import RelatedOnlyFieldListFilter
from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured
from django.db import models, transaction
from django.db.models.base import ModelBase
from django.http import Http404
from rest_framework import serializers

from identity.context import acting
from identity.exceptions import DomainError

COMPANY_MODEL = "companies.company"
_SEALED = (
    "get_queryset",
    "get_field_queryset",
    "get_list_filter",
    "_get_obj_does_not_exist_redirect",
    "get_search_results",
    "delete_queryset",
)


def company_lookup(model) -> str | None:
    """How rows of `model` name their company (`pk` for the company itself), or None for a model of no company."""
    if model._meta.label_lower == COMPANY_MODEL:
        return "pk"
    names = {field.attname for field in model._meta.concrete_fields}
    return "company_id" if "company_id" in names else None


def scope(queryset, user):
    """`queryset` limited to the company of `user`, unless a superuser (who sees every company)."""
    lookup = company_lookup(queryset.model)
    if lookup is None or user.is_superuser:
        return queryset
    return queryset.filter(**{lookup: user.company_id})


class IdentityAdminSite(admin.AdminSite):
    site_header = "Identity Service administration"
    site_title = "Identity Service"
    index_title = "Directory"

    def register(self, model_or_iterable, admin_class=None, **options):
        models_ = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else list(model_or_iterable)
        for model in models_:
            if company_lookup(model) and not (admin_class and issubclass(admin_class, CompanyScopedAdmin)):
                raise ImproperlyConfigured(
                    f"The admin of {model._meta.label} must subclass identity.admin_base.CompanyScopedAdmin: "
                    "its rows belong to a company."
                )
        super().register(model_or_iterable, admin_class, **options)

    def admin_view(self, view, cacheable=False):
        """Every admin view records its changes as `source: "admin"`, done by the signed-in staff user."""
        inner = super().admin_view(view, cacheable)

        def acting_view(request, *args, **kwargs):
            actor = request.user if request.user.is_authenticated else None
            with acting(source="admin", actor=actor):
                return inner(request, *args, **kwargs)

        return update_wrapper(acting_view, inner)

    def login(self, request, extra_context=None):
        # Not wrapped by admin_view: the credential checks of a sign-in are the admin's too.
        with acting(source="admin"):
            return super().login(request, extra_context)


def _field_name(form, key: str) -> str:
    """The form field an API error key belongs to (`parent_id` → `parent`, `password` → `new_password`)."""
    for name in (key, key.removesuffix("_id"), f"new_{key}"):
        if name in form.fields:
            return name
    return NON_FIELD_ERRORS


class ServiceForm(forms.ModelForm):
    """A change form with no rules of its own: the changed values are validated by the API's serializer
    (`serializer_class`) and written by the admin's `service_write`, and whatever either refuses (validation,
    policy, tree rules, uniqueness) comes back as a form error. The write happens during validation, inside the
    admin view's transaction, so nothing is kept when the view fails afterwards."""

    serializer_class: type[serializers.Serializer] | None = None
    model_admin = None  # set by CompanyScopedAdmin.get_form
    request = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.adding = self.instance._state.adding

    def api_payload(self) -> dict:
        """The changed fields (every field on add) as the API names them: foreign keys as `<name>_id`."""
        payload = {}
        names = self.fields if self.adding else self.changed_data
        assert self.serializer_class is not None, "CompanyScopedAdmin.get_form gives the form its serializer"
        api_fields = self.serializer_class().fields
        for name in names:
            value = self.cleaned_data.get(name)
            if isinstance(value, models.Model):
                name, value = f"{name}_id", value.pk
            elif name in self._meta.model._meta._forward_fields_map and value is None:
                field = self._meta.model._meta.get_field(name)
                if field.is_relation:
                    name = f"{name}_id"
            if name.startswith("new_"):
                if not value:
                    continue
                name = name.removeprefix("new_")
            if name in api_fields and not api_fields[name].read_only:
                payload[name] = value
        return payload

    def _post_clean(self):
        if self._errors:
            return
        serializer = self.serializer_class(
            None if self.adding else self.instance, data=self.api_payload(), partial=not self.adding
        )
        if not serializer.is_valid():
            self._add_errors(serializer.errors)
            return
        try:
            with transaction.atomic():
                self.instance = self.model_admin.service_write(self.request, self, dict(serializer.validated_data))
        except DomainError as exc:
            if exc.errors:
                self._add_errors(exc.errors)
            else:
                self.add_error(None, exc.message)

    def _add_errors(self, errors: dict) -> None:
        for key, texts in errors.items():
            texts = texts if isinstance(texts, list) else [texts]
            name = _field_name(self, key)
            prefix = "" if name != NON_FIELD_ERRORS or key == "non_field_errors" else f"{key}: "
            for text in texts:
                self.add_error(None if name == NON_FIELD_ERRORS else name, f"{prefix}{text}")


class CompanyScopedAdmin(admin.ModelAdmin):
    """Base of every model admin whose rows belong to a company; writes go through `service_write` and
    `service_delete`, which the subclass implements with the app's services."""

    form = ServiceForm
    serializer_class: type[serializers.Serializer] | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in _SEALED:
            if name in cls.__dict__:
                raise ImproperlyConfigured(
                    f"{cls.__name__} overrides {name}(); company scoping lives in CompanyScopedAdmin only."
                )

    # --- scoping (sealed) ---------------------------------------------------------------
    def get_queryset(self, request):
        return scope(super().get_queryset(request), request.user)

    def get_field_queryset(self, db, db_field, request):
        queryset = super().get_field_queryset(db, db_field, request)
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(db).all()
        return scope(queryset, request.user)

    def get_list_filter(self, request):
        """Foreign-key filters offer only the values of the visible rows (never another company's)."""
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and self.model._meta.get_field(entry).is_relation:
                entry = (entry, RelatedOnlyFieldListFilter)
            filters.append(entry)
        return filters

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, scope(queryset, request.user), search_term)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404(f"{opts.verbose_name.capitalize()} not found")

    def delete_queryset(self, request, queryset):
        refused = []
        for obj in scope(queryset, request.user):
            try:
                with transaction.atomic():
                    self.delete_model(request, obj)
            except DomainError as exc:
                refused.append(f"{obj}: {exc.message}")
        for text in refused:
            self.message_user(request, text, messages.ERROR)

    # --- writes -------------------------------------------------------------------------
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(
            form.__name__, (form,), {"model_admin": self, "request": request, "serializer_class": self.serializer_class}
        )

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if "company" in [field.name for field in self.model._meta.fields]:
            initial.setdefault("company", request.user.company_id)
        return initial

    def get_readonly_fields(self, request, obj=None):
        # A row never changes company (company_id is read-only in the API as well).
        fields = tuple(super().get_readonly_fields(request, obj))
        has_company = any(field.name == "company" for field in self.model._meta.fields)
        if obj is not None and has_company and "company" not in fields:
            fields += ("company",)
        return fields

    def save_model(self, request, obj, form, change):
        """Nothing left to do: the form's validation already wrote through the service."""

    def delete_model(self, request, obj):
        self.service_delete(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return self.response_post_save_change(request, None)

    def service_write(self, request, form, data: dict):
        """Creates (`form.adding`) or updates `form.instance` from the validated API `data`; returns the row."""
        raise NotImplementedError

    def service_delete(self, request, obj) -> None:
        raise NotImplementedError

    @staticmethod
    def company_id_for(form):
        return form.cleaned_data["company"].pk
