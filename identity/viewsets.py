"""The scoped base viewsets: every queryset is filtered by the caller's company, other companies' rows are 404.

`CrudViewSet` serves a resource: subclasses declare `queryset`, `serializer_class`, `guardian_resource`,
`filterset_class`, `expandable`, and implement `prepare_queryset` (optional) and the write hooks
`create_instance(data)`, `update_instance(instance, data)` and `destroy_instance(instance)`, which call services.
`CompanySubresourceViewSet` serves what hangs under one path object (its avatar, its roles): `@action`s that
resolve the object with `get_object()`. Neither can override the scoping: defining `get_queryset`,
`scope_queryset`, `get_object` or `initial` raises at import time.

`CrudViewSet` also answers conditional requests (docs/behaviour.md §1.5, identity.conditional): every single-object
representation carries its ETag, a by-id GET answers 304 to a current `If-None-Match`, and a by-id write with an
`If-Match` that is not current answers 412 — after the 404 of the path object, before the body is read — with the
check and the write in one transaction that holds the object's row lock.
"""

from contextlib import contextmanager

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from rest_framework import mixins, status
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from identity import conditional, counters
from identity.exceptions import NotFound
from identity.filters import CollectionFilterBackend
from identity.permissions import settle_check
from identity.serializers import KeyedSerializerMixin
from identity.tenancy import caller_company_id, parse_path_id

_SEALED = ("get_queryset", "scope_queryset", "get_object", "initial")

# `@action(detail=True, **SUB_COLLECTION)`: a plain array under a path object, no list filters, no pagination.
SUB_COLLECTION = {"pagination_class": None, "filter_backends": []}


class CompanyScopedViewSet(GenericViewSet):
    lookup_field = "pk"
    lookup_value_regex = "[^/]+"
    filter_backends = [CollectionFilterBackend]
    # expand name -> callable(queryset) -> queryset (select/prefetch what the expanded shape needs)
    expandable: dict = {}
    not_found_message: str | None = None
    # The Guardian declaration (identity.permissions): the resource, and the operation per HTTP method. The router
    # sets `guardian_operations` on the standard routes; an `@action` sets both for its route.
    guardian_resource: str | None = None
    guardian_operations: dict | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in _SEALED:
            if name in cls.__dict__:
                raise ImproperlyConfigured(
                    f"{cls.__name__} overrides {name}(); tenant scoping lives in CompanyScopedViewSet only. "
                    "Implement prepare_queryset() instead."
                )

    # --- scoping (sealed) -------------------------------------------------------------
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.expand = self._parse_expand(request)

    def scope_queryset(self, queryset):
        return queryset.for_company(caller_company_id(self.request))

    def get_queryset(self):
        base = self.queryset.all()
        if getattr(self, "swagger_fake_view", False):
            return base.none()
        queryset = self.prepare_queryset(self.scope_queryset(base))
        for name in getattr(self, "expand", ()):
            queryset = self.expandable[name](queryset)
        return queryset

    def get_object(self, *, lock: bool = False):
        """The path object of the caller's company: 400 for a malformed id, 404 when missing or foreign.

        `lock`: read it under a row lock held until the transaction ends (the caller opens one), after its
        company's row (identity.conditional.lock_company_then_row)."""
        kwarg = self.lookup_url_kwarg or self.lookup_field
        pk = parse_path_id(self.kwargs[kwarg], kwarg)
        if lock:
            obj = conditional.lock_company_then_row(
                self.get_queryset(), pk=pk, company_id=caller_company_id(self.request)
            )
        elif self.expand or type(self).prepare_queryset is not CompanyScopedViewSet.prepare_queryset:
            obj = self.get_queryset().filter(pk=pk).first()
        else:
            # The common case: a plain row, read without compiling an ORM query, from the row cache where it can
            # vouch for the row (identity.rowcache) — for a write too: the row is the one committed before the
            # request, what a read of the database at that moment would give (a lock, where one is needed, is
            # taken above).
            fence = getattr(self.request._request, "row_fence", None)
            obj = self.queryset.get_in_company(pk=pk, company_id=caller_company_id(self.request), fence=fence)
        if obj is None:
            raise NotFound(self.get_not_found_message())
        return obj

    # --- Guardian's answer, read after the view's own work (identity.permissions) ---------
    # The actions whose GET reads only this service's database: the check is sent before them and its answer read
    # after them, so that Guardian and the view work at the same time. Not for routes that call another service
    # (Storage, Guardian's role views) or write: those wait for the answer first.
    reads_with_guardian: frozenset[str] = frozenset()
    guardian_answer = None

    def reads_while_guardian_answers(self, request) -> bool:
        return request.method in ("GET", "HEAD") and self.action in self.reads_with_guardian

    def _guardian_refusal(self) -> Exception | None:
        answer, self.guardian_answer = self.guardian_answer, None
        return settle_check(answer) if answer is not None else None

    def finalize_response(self, request, response, *args, **kwargs):
        # Every answer passes here, the view's own errors too: Guardian's 403/503 replace whatever the view found
        # (a malformed id, a missing object — Guardian comes first, docs/behaviour.md §1.6).
        refusal = self._guardian_refusal()
        if refusal is not None:
            response = self.handle_exception(refusal)
        return super().finalize_response(request, response, *args, **kwargs)

    # --- hooks ------------------------------------------------------------------------
    def prepare_queryset(self, queryset):
        """Hook: receives the already scoped queryset (add select_related, annotations…)."""
        return queryset

    def get_not_found_message(self) -> str:
        if self.not_found_message:
            return self.not_found_message
        return f"{self.queryset.model._meta.verbose_name.capitalize()} not found"

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["expand"] = getattr(self, "expand", frozenset())
        return context

    def _parse_expand(self, request) -> frozenset:
        # `expand` belongs to the list and the by-id GET, not to writes or sub-collections.
        if request.method not in ("GET", "HEAD") or self.action not in ("list", "retrieve") or not self.expandable:
            return frozenset()
        raw = request.query_params.get("expand", "")
        names = {item.strip().lower() for item in raw.split(",")}
        return frozenset(name for name in names if name in self.expandable)


# The routes under one path object of the caller's company (`/users/{user_id}/roles`, `…/avatar`): detail
# `@action`s that resolve the object with `get_object()` first; no list filters, no pagination. (A comment: the
# schema would show a class docstring on every operation of a subclass without its own.)
class CompanySubresourceViewSet(CompanyScopedViewSet):
    filter_backends = []
    pagination_class = None


class CollectionListMixin:
    """The list route of a scoped collection: the view's FilterSet, then one page in the list envelope.

    A list that names no filter (`CollectionFilterSet.unfiltered`) skips the FilterSet and takes its total from
    the company's counter (identity.counters); without `expand`, on PostgreSQL, it is read with a prepared
    statement that returns each row as the representation's text (`EnvelopePagination.prepared_page`).
    """

    # Opt-in of the list: read the serializer's `keys` as named tuples instead of model instances (half the cost
    # of a 1000-row page); the serializer must represent both (identity.serializers.KeyedSerializerMixin).
    list_rows = False

    def list(self, request, *args, **kwargs):
        params = request.query_params
        filterset_class = self.filterset_class
        paginator = self.paginator
        keys = self.get_serializer_class().keys if self.list_rows and not self.expand else None
        if not filterset_class.unfiltered(params):
            queryset = self.filter_queryset(self.get_queryset())
            page = paginator.paginate_queryset(queryset, request, view=self, columns=keys)
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        model, company_id = self.queryset.model, caller_company_id(request)
        ordering = filterset_class.ordering(params)
        if keys is not None:
            rows = paginator.prepared_page(request, model=model, keys=keys, ordering=ordering, company_id=company_id)
            if rows is not None:
                return self.get_paginated_response(rows)
        queryset = self.get_queryset().order_by(*ordering)
        total = counters.counter_total(model, company_id)
        page = paginator.paginate_queryset(queryset, request, view=self, columns=keys, total=total)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class CrudViewSet(
    CollectionListMixin,
    mixins.RetrieveModelMixin,
    CompanyScopedViewSet,
):
    """List/read from the scoped queryset; writes validate with the serializer and call the `*_instance` hooks."""

    schema = conditional.ConditionalAutoSchema()
    reads_with_guardian = frozenset({"list", "retrieve"})

    def retrieve(self, request, *args, **kwargs):
        return Response(self.representation(self.get_object()))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.create_instance(serializer.validated_data)
        return Response(self.representation(instance), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        with self.object_to_write() as instance:
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            instance = self.update_instance(instance, serializer.validated_data)
        return Response(self.representation(instance))

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        with self.object_to_write() as instance:
            self.destroy_instance(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def representation(self, instance) -> dict:
        """`self.get_serializer(instance).data`, without building a serializer (and its field objects) when the
        class's own shape is the whole answer: a KeyedSerializerMixin whose representation nothing overrides,
        asked for no `expand`."""
        serializer_class = self.get_serializer_class()
        if (
            not self.expand
            and issubclass(serializer_class, KeyedSerializerMixin)
            and serializer_class.to_representation is KeyedSerializerMixin.to_representation
        ):
            return serializer_class.represent(instance)
        return self.get_serializer(instance).data

    # --- conditional requests (docs/behaviour.md §1.5) ------------------------------------------
    @contextmanager
    def object_to_write(self):
        """The path object of a PUT, PATCH or DELETE, for the `with` block that writes it.

        With an `If-Match` naming tags, the block runs in a transaction that first locks the object (its company's
        row before it) and raises PreconditionFailed (412) unless the object's current tag is among them: of two
        writers holding the same tag, the second reads the first one's committed row and is refused.
        """
        tags = conditional.if_match_tags(self.request)
        if tags is None:
            yield self.get_object()
            return
        with transaction.atomic(using=self.queryset.db):
            instance = self.get_object(lock=True)
            if self.current_etag(instance) not in tags:
                raise conditional.PreconditionFailed()
            yield instance

    def current_etag(self, instance) -> str:
        """The tag a GET of `instance` without `expand` answers now: its representation rendered as this request's
        answer would be."""
        request = self.request
        content = request.accepted_renderer.render(
            self.get_serializer(instance).data, request.accepted_media_type, self.get_renderer_context()
        )
        return conditional.etag_of(content)

    def finalize_response(self, request, response, *args, **kwargs):
        """Tags each single-object representation with the hash of its bytes (the by-id GET, PUT, PATCH, and any
        201, which answers the object it created); a by-id GET whose `If-None-Match` names that tag answers 304
        instead."""
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and conditional.tagged(self.action, response.status_code):
            response["ETag"] = conditional.etag_of(response.render().content)
            if self.action == conditional.READ_ACTION and conditional.none_match(request, response["ETag"]):
                return conditional.not_modified(response)
        return response

    def create_instance(self, data: dict):
        """Hook: the service call that creates the object from validated `data`; returns it."""
        raise NotImplementedError

    def update_instance(self, instance, data: dict):
        """Hook: the service call that changes `instance` with validated `data`; returns it."""
        raise NotImplementedError

    def destroy_instance(self, instance) -> None:
        """Hook: the service call that deletes `instance`."""
        raise NotImplementedError
