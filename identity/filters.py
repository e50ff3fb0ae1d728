"""The list-query grammar shared by every collection: exact filters, `search`, `id__in`, `sort`/`order`.

Each resource declares a FilterSet subclass with its allow-lists (`search_fields`, `sort_fields`) and
its exact filters; nothing here is re-implemented per view.
"""

import uuid
from functools import reduce
from operator import or_

import django_filters
from django import forms
from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class UUIDListField(forms.Field):
    """`a,b,c` → list of UUIDs; absent → None; present but empty → []; any malformed id → error."""

    def to_python(self, value):
        if value is None:
            return None
        items = [item.strip() for item in str(value).split(",")]
        try:
            return [uuid.UUID(item) for item in items if item]
        except ValueError:
            raise forms.ValidationError("Enter a comma-separated list of valid UUIDs.") from None

    def validate(self, value):
        pass  # an empty list is meaningful (an empty page)


@extend_schema_field({"type": "string", "description": "Comma-separated ids"})
class IdInFilter(django_filters.Filter):
    field_class = UUIDListField

    def filter(self, qs, value):
        if value is None:
            return qs
        if not value:
            return qs.none()
        return qs.filter(pk__in=value)


class StrictBooleanField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise forms.ValidationError("Must be true or false.")


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.Filter):
    """`true`/`false` (also 1/0, yes/no); anything else → 400 under the parameter's name."""

    field_class = StrictBooleanField


class NullableUUIDField(forms.Field):
    NULL = "null"

    def to_python(self, value):
        if value in (None, ""):
            return None
        if str(value).strip().lower() == self.NULL:
            return self.NULL
        try:
            return uuid.UUID(str(value).strip())
        except ValueError:
            raise forms.ValidationError("Must be a valid UUID or null.") from None


@extend_schema_field({"type": "string", "description": "A UUID, or null"})
class NullableUUIDFilter(django_filters.Filter):
    """A foreign-key filter where the literal `null` selects rows without one."""

    field_class = NullableUUIDField

    def filter(self, qs, value):
        if value is None:
            return qs
        if value == NullableUUIDField.NULL:
            return qs.filter(**{f"{self.field_name}__isnull": True})
        return qs.filter(**{self.field_name: value})


@extend_schema_field(OpenApiTypes.UUID)
class StrictUUIDFilter(django_filters.Filter):
    field_class = forms.UUIDField


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.Filter):
    field_class = forms.IntegerField


class CollectionFilterSet(django_filters.FilterSet):
    """Base FilterSet: subclasses set `search_fields` and `sort_fields` (the first sort field is not special)."""

    search_fields: tuple[str, ...] = ()
    sort_fields: tuple[str, ...] = ("created_at", "updated_at")
    default_sort = "created_at"

    search = django_filters.CharFilter(method="filter_search")
    id__in = IdInFilter()

    def get_form_class(self):
        # django-filter builds a new form class on every request; the fields are the same for every instance
        # of a FilterSet class (forms deep-copy them per instance), so build it once per class.
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            cls._form_class = form_class
        return form_class

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value or not self.search_fields:
            return queryset
        # icontains escapes % and _ itself, so they match literally.
        return queryset.filter(reduce(or_, (Q(**{f"{field}__icontains": value}) for field in self.search_fields)))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset.order_by(*self.ordering(self.data))

    @classmethod
    def ordering(cls, data) -> list[str]:
        """The `order_by` of the query string `data` (`sort` within `sort_fields`, `order=desc`), ids last."""
        sort = (data.get("sort") or "").strip()
        if sort not in cls.sort_fields:
            sort = cls.default_sort
        descending = (data.get("order") or "").strip().lower() == "desc"
        prefix = "-" if descending else ""
        return [f"{prefix}{sort}", f"{prefix}id"]

    @classmethod
    def unfiltered(cls, data) -> bool:
        """Whether the query string `data` names no filter: the list is every row of the company, only sorted
        and paged (its total is the company's count). A FilterSet that narrows rows without a parameter must
        answer False."""
        return all(name in UNFILTERED_PARAMETERS for name in data)


# The parameters of the list grammar that choose the order, the page and the shape of rows, never which rows.
UNFILTERED_PARAMETERS = frozenset({"page", "limit", "sort", "order", "expand"})


class CollectionFilterBackend(DjangoFilterBackend):
    """Applies a view's `filterset_class` on list requests only (by-id routes are never filtered)."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        return super().filter_queryset(request, queryset, view)
