"""`GET /audit-events` and `GET /audit-events/{event_id}`: the caller's company's audit trail, read-only."""

import django_filters
from rest_framework import mixins, serializers

from identity.filters import CollectionFilterSet, StrictUUIDFilter
from identity.models import AuditEvent
from identity.routers import Router
from identity.serializers import KeyedSerializerMixin
from identity.viewsets import CollectionListMixin, CompanyScopedViewSet

EVENT_KEYS = (
    "id",
    "created_at",
    "request_id",
    "company_id",
    "actor_id",
    "actor_email",
    "ip",
    "source",
    "action",
    "object_type",
    "object_id",
    "changed_fields",
)


class AuditEventFilterSet(CollectionFilterSet):
    """Exact filters, an inclusive `since`/`until` window, `sort=created_at` only, newest first by default."""

    sort_fields = ("created_at",)

    action = django_filters.CharFilter(field_name="action")
    object_type = django_filters.CharFilter(field_name="object_type")
    object_id = StrictUUIDFilter(field_name="object_id")
    actor_id = StrictUUIDFilter(field_name="actor_id")
    request_id = django_filters.CharFilter(field_name="request_id")
    source = django_filters.ChoiceFilter(field_name="source", choices=AuditEvent.Source.choices)
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = AuditEvent
        fields = []

    @classmethod
    def ordering(cls, data) -> list[str]:
        ascending = (data.get("order") or "").strip().lower() == "asc"
        prefix = "" if ascending else "-"
        return [f"{prefix}created_at", f"{prefix}id"]


class AuditEventSerializer(KeyedSerializerMixin, serializers.ModelSerializer):
    keys = EVENT_KEYS

    class Meta:
        model = AuditEvent
        fields = list(EVENT_KEYS)
        read_only_fields = fields


class AuditEventViewSet(CollectionListMixin, mixins.RetrieveModelMixin, CompanyScopedViewSet):
    """Events are immutable: the routes answer GET only (other methods → 405)."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilterSet
    lookup_url_kwarg = "event_id"
    guardian_resource = "audit_event"
    not_found_message = "Audit event not found"


router = Router()
router.register("audit-events", AuditEventViewSet, basename="audit-event")
urlpatterns = router.urls
