"""The list envelope `{data, pagination}` with the contract's page/limit clamping (never a 404 past the end)."""

import math

from django.db import connections, models
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from identity import counters, textrows

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
    def _clamp(self, request) -> int:
        """Sets the page and the limit of the request; returns the offset of the page."""
        page = _int_param(request, "page")
        self.page = page if page is not None and page >= 1 else 1
        limit = _int_param(request, "limit")
        self.limit = DEFAULT_LIMIT if limit is None else min(max(limit, 1), MAX_LIMIT)
        return (self.page - 1) * self.limit

    def paginate_queryset(
        self,
        queryset,
        request,
        view=None,
        columns: tuple[str, ...] | None = None,
        total: models.Expression | None = None,
    ):
        """The page's rows: model instances, or named tuples of `columns` when given. `total`: the expression of
        the total when the caller knows a cheaper one than counting `queryset` (identity.counters)."""
        offset = self._clamp(request)
        if offset > MAX_OFFSET:  # far past any data, and past what the database's integers hold
            self.total = queryset.count()
            return []
        # One row more than the page tells whether anything follows; every row also carries the exact total, an
        # uncorrelated subquery the database counts once (on the company's index) or the company's counter, so a
        # page costs one query, not two. Only a page past the end (no row to carry it) counts on its own.
        page = queryset.annotate(**{TOTAL: _count_of(queryset) if total is None else total})
        if columns is not None:
            page = page.values_list(*columns, TOTAL, named=True)
        rows = list(page[offset : offset + self.limit + 1])
        if rows:
            self.total = getattr(rows[0], TOTAL)
        else:
            self.total = 0 if offset == 0 else queryset.count()
        return rows[: self.limit]

    def prepared_page(self, request, *, model, keys: tuple[str, ...], ordering: list[str], company_id):
        """The represented rows (dicts of `keys`) of an unfiltered page of `model` in `company_id`, sorted by
        `ordering`, with its total from the company's counter; or None where there is no prepared query (another
        database, a model without counter, a key whose text the database cannot give as the API writes it).

        One statement, built once per shape: the database writes ids and datetimes as the API's text, so a row
        becomes its representation without a Python conversion per value (docs/architecture.md §6).
        """
        if model._meta.db_table not in counters.COUNTED_TABLES:
            return None
        statement = textrows.select_sql(model, keys, ("company_id",), tuple(ordering), _COUNTER_COLUMN)
        if statement is None:
            return None
        connection = connections[model._default_manager.db]
        offset = self._clamp(request)
        if offset > MAX_OFFSET:
            return None
        company = model._meta.get_field("company_id").get_db_prep_value(company_id, connection)
        table = model._meta.db_table
        # LIMIT and OFFSET as numbers in the text, as the ORM writes them: the statement a connection prepares for
        # a page then has a plan for that page, which PostgreSQL keeps; with both as parameters its generic plan
        # assumes a tenth of the company's rows, costs more than a plan for the page and is planned anew for every
        # request once the company has a few thousand rows.
        with connection.cursor() as cursor:
            cursor.execute(f"{statement} LIMIT {int(self.limit) + 1} OFFSET {int(offset)}", (table, company, company))
            rows = cursor.fetchall()
            if rows:
                self.total = rows[0][-1]
            else:
                cursor.execute(_COUNTER_SQL, (table, company))
                self.total = cursor.fetchone()[0]
        return [dict(zip(keys, row, strict=False)) for row in rows[: self.limit]]

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


_COUNTER_SQL = "SELECT " + counters.COUNTER_SQL
# The page's total in every row, from the company's counter (parameters: table name, company).
_COUNTER_COLUMN = ", " + counters.COUNTER_SQL
