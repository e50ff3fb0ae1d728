"""HTTP wiring of `/organization_units` (with the tree reads) and `/positions`."""

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from identity import textrows
from identity.tenancy import caller_company_id
from identity.viewsets import SUB_COLLECTION, CrudViewSet
from org import selectors, services
from org.api.serializers import OrganizationUnitSerializer, PositionSerializer, UnitPositionSerializer
from org.filters import OrganizationUnitFilterSet, PositionFilterSet
from org.models import OrganizationUnit, Position


class OrganizationUnitViewSet(CrudViewSet):
    """Units of the caller's company and their tree: children, positions, descendants, ancestors."""

    queryset = OrganizationUnit.objects.all()
    serializer_class = OrganizationUnitSerializer
    filterset_class = OrganizationUnitFilterSet
    lookup_url_kwarg = "unit_id"
    guardian_resource = "organization_unit"
    reads_with_guardian = CrudViewSet.reads_with_guardian | {"children", "positions", "descendants", "ancestors"}
    list_rows = True
    expandable = {
        "parent": lambda queryset: selectors.with_unit_summary(queryset, "parent"),
        "children": lambda queryset: queryset.prefetch_related(selectors.children_prefetch()),
        "positions": lambda queryset: queryset.prefetch_related(selectors.positions_prefetch()),
    }

    def create_instance(self, data):
        return services.org_unit_create(company_id=caller_company_id(self.request), data=data)

    def update_instance(self, instance, data):
        return services.org_unit_update(unit=instance, data=data)

    def destroy_instance(self, instance):
        services.org_unit_delete(unit=instance)

    def _array(self, serializer_class, queryset) -> Response:
        return Response(serializer_class(queryset, many=True, context=self.get_serializer_context()).data)

    def _rows_array(self, serializer_class, read, *, equal: dict, ordering: tuple[str, ...]) -> Response:
        """The sub-collection of the rows whose fields equal `equal` (`{field: value}`), sorted by `ordering`, as a
        plain array: read as their representation's text where the database can (identity.textrows), else the
        queryset `read()` gives (the same rows, in the same order)."""
        model = serializer_class.Meta.model
        rows = textrows.rows(model, serializer_class.keys, equal=equal, ordering=ordering)
        return Response(rows) if rows is not None else self._array(serializer_class, read())

    @extend_schema(responses=OrganizationUnitSerializer(many=True), summary="Direct children, by name")
    @action(
        detail=True,
        methods=["get"],
        guardian_resource="organization_unit_children",
        guardian_operations={"GET": "LIST"},
        **SUB_COLLECTION,
    )
    def children(self, request, unit_id=None):
        unit = self.get_object()
        return self._rows_array(
            OrganizationUnitSerializer,
            lambda: selectors.org_unit_children(unit=unit),
            equal={"company_id": unit.company_id, "parent_id": unit.pk},
            ordering=selectors.CHILDREN_ORDER,
        )

    @extend_schema(methods=["GET"], responses=PositionSerializer(many=True), summary="The unit's positions, by title")
    @extend_schema(
        methods=["POST"],
        request=UnitPositionSerializer,
        responses={201: PositionSerializer},
        summary="Create a position in this unit (a body organization_unit_id is ignored)",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        guardian_resource="organization_unit_positions",
        guardian_operations={"GET": "LIST", "POST": "CREATE"},
        **SUB_COLLECTION,
    )
    def positions(self, request, unit_id=None):
        unit = self.get_object()
        if request.method != "POST":
            return self._rows_array(
                PositionSerializer,
                lambda: selectors.org_unit_positions(unit=unit),
                equal={"company_id": unit.company_id, "organization_unit_id": unit.pk},
                ordering=selectors.UNIT_POSITIONS_ORDER,
            )
        data = request.data
        if isinstance(data, Mapping):
            data = {key: value for key, value in data.items() if key != "organization_unit_id"}
        serializer = UnitPositionSerializer(data=data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        position = services.position_create(
            company_id=unit.company_id, organization_unit_id=unit.pk, data=serializer.validated_data
        )
        return Response(
            PositionSerializer(position, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(responses=OrganizationUnitSerializer(many=True), summary="The whole subtree below the unit, by path")
    @action(
        detail=True,
        methods=["get"],
        guardian_resource="organization_unit_descendants",
        guardian_operations={"GET": "LIST"},
        **SUB_COLLECTION,
    )
    def descendants(self, request, unit_id=None):
        return self._array(OrganizationUnitSerializer, selectors.org_unit_descendants(unit=self.get_object()))

    @extend_schema(responses=OrganizationUnitSerializer(many=True), summary="The units above this one, root first")
    @action(
        detail=True,
        methods=["get"],
        guardian_resource="organization_unit_ancestors",
        guardian_operations={"GET": "LIST"},
        **SUB_COLLECTION,
    )
    def ancestors(self, request, unit_id=None):
        return self._array(OrganizationUnitSerializer, selectors.org_unit_ancestors(unit=self.get_object()))


class PositionViewSet(CrudViewSet):
    """Positions of the caller's company."""

    queryset = Position.objects.all()
    serializer_class = PositionSerializer
    filterset_class = PositionFilterSet
    lookup_url_kwarg = "position_id"
    guardian_resource = "position"
    list_rows = True
    expandable = {"organization_unit": lambda queryset: selectors.with_unit_summary(queryset, "organization_unit")}

    def create_instance(self, data):
        return services.position_create(
            company_id=caller_company_id(self.request), organization_unit_id=data["organization_unit_id"], data=data
        )

    def update_instance(self, instance, data):
        return services.position_update(position=instance, data=data)

    def destroy_instance(self, instance):
        services.position_delete(position=instance)
