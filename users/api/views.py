"""HTTP wiring of `/users`, `/positions/{position_id}/users` and `/init-db`."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.viewsets import ViewSet

from identity.parsers import StrictJSONParser, StrictMultiPartParser
from identity.ratelimit import ip_rate_limit
from identity.tenancy import caller_company_id
from identity.viewsets import CompanySubresourceViewSet, CrudViewSet
from org.models import Position
from users import selectors
from users.api.serializers import UserSerializer, bootstrap_representation, validate_bootstrap
from users.filters import UserFilterSet
from users.models import User
from users.services import accounts


class UserViewSet(CrudViewSet):
    """The caller's company's users; writes accept JSON or multipart/form-data."""

    queryset = User.objects.all()
    serializer_class = UserSerializer
    filterset_class = UserFilterSet
    parser_classes = [StrictJSONParser, StrictMultiPartParser]
    lookup_url_kwarg = "user_id"
    guardian_resource = "user"
    expandable = {"position": lambda queryset: queryset.select_related("position")}
    list_rows = True

    def create_instance(self, data):
        return accounts.user_create(company_id=caller_company_id(self.request), data=data)

    def update_instance(self, instance, data):
        return accounts.user_update(user=instance, data=data)

    def destroy_instance(self, instance):
        accounts.user_delete(user=instance, token=self.request.auth)


class PositionUsersViewSet(CompanySubresourceViewSet):
    """`GET /positions/{position_id}/users`: the users holding a position of the caller's company (by email)."""

    queryset = Position.objects.all()
    serializer_class = UserSerializer
    lookup_url_kwarg = "position_id"
    reads_with_guardian = frozenset({"users"})

    @extend_schema(operation_id="positions_users_list", responses=UserSerializer(many=True))
    @action(detail=True, methods=["get"], guardian_resource="user_position", guardian_operations={"GET": "READ"})
    def users(self, request, position_id=None):
        users = selectors.position_users(position=self.get_object())
        return Response(self.get_serializer(users, many=True).data)


@extend_schema_serializer(many=False)  # `GET /init-db` is one object, though served by the route's `list`
class InitDbStateSerializer(serializers.Serializer):
    initialized = serializers.BooleanField()


class InitDbViewSet(ViewSet):
    """Public: whether the identity store holds anything, and its one-shot initialisation."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(operation_id="init_db_retrieve", responses=InitDbStateSerializer)
    def list(self, request):
        return Response({"initialized": selectors.identity_initialized()})

    @extend_schema(
        operation_id="init_db_create",
        request=inline_serializer("InitDb", {"company": serializers.DictField(), "user": serializers.DictField()}),
        responses={
            201: {
                "type": "object",
                "properties": {
                    name: {"type": "object"} for name in ("company", "organization_unit", "position", "user")
                },
            }
        },
    )
    @ip_rate_limit("init_db", "RATELIMIT_INIT_DB")
    def create(self, request):
        # The emptiness check comes first and holds for the whole transaction, so the body is read inside it.
        with accounts.identity_init_guard():
            company_data, user_data = validate_bootstrap(request.data)
            result = accounts.tenant_bootstrap(company_data=company_data, user_data=user_data)
        return Response(bootstrap_representation(result), status=status.HTTP_201_CREATED)
