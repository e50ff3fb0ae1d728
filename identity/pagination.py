"""The list envelope `{data, pagination}` with the contract's page/limit clamping (never a 404 past the end)."""

import math

from django.db import models
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
MAX_OFFSET = 2**31


def _int_param(request, name: str) -> int | None:
    try:
        return int(request.query_params.get(name, ""))
    except (TypeError, ValueError):
        return None


TOTAL = "pagination_total"


def _count_of(queryset) -> models.Subquery:
    """`(SELECT COUNT(*) FROM … the same filter)` as an expression (a plain COUNT, not an aggregate of the outer
    query: no GROUP BY is added)."""
    counted = queryset.order_by().annotate(**{TOTAL: models.Func(models.Value(1), function="COUNT")})
    return models.Subquery(counted.values(TOTAL)[:1], output_field=models.IntegerField())


class EnvelopePagination(BasePagination):
    def paginate_queryset(self, queryset, request, view=None, columns: tuple[str, ...] | None = None):
        """The page's rows: model instances, or named tuples of `columns` when given."""
        page = _int_param(request, "page")
        self.page = page if page is not None and page >= 1 else 1
        limit = _int_param(request, "limit")
        self.limit = DEFAULT_LIMIT if limit is None else min(max(limit, 1), MAX_LIMIT)
        offset = (self.page - 1) * self.limit
        if offset > MAX_OFFSET:  # far past any data, and past what the database's integers hold
            self.total = queryset.count()
            return []
        # One row more than the page tells whether anything follows; every row also carries the exact total, an
        # uncorrelated subquery the database counts once (on the company's index), so a page costs one query,
        # not two. Only a page past the end (no row to carry it) counts on its own.
        page = queryset.annotate(**{TOTAL: _count_of(queryset)})
        if columns is not None:
            page = page.values_list(*columns, TOTAL, named=True)
        rows = list(page[offset : offset + self.limit + 1])
        if rows:
            self.total = getattr(rows[0], TOTAL)
        else:
            self.total = 0 if offset == 0 else queryset.count()
        return rows[: self.limit]

    def get_paginated_response(self, data):
        pages = math.ceil(self.total / self.limit) if self.total else 0
        return Response(
            {
                "data": data,
                "pagination": {
                    "page": self.page,
                    "limit": self.limit,
                    "total": self.total,
                    "pages": pages,
                    "has_next": self.page < pages,
                    "has_prev": self.page > 1,
                },
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["data", "pagination"],
            "properties": {
                "data": schema,
                "pagination": {
                    "type": "object",
                    "properties": {
                        "page": {"type": "integer"},
                        "limit": {"type": "integer"},
                        "total": {"type": "integer"},
                        "pages": {"type": "integer"},
                        "has_next": {"type": "boolean"},
                        "has_prev": {"type": "boolean"},
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            },
        ]
