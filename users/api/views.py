"""HTTP wiring of `/users` and `/positions/{position_id}/users`."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from identity.parsers import StrictJSONParser, StrictMultiPartParser
from identity.tenancy import caller_company_id
from identity.viewsets import CompanyScopedViewSet, CrudViewSet
from org.models import Position
from users import selectors, services
from users.api.serializers import UserSerializer
from users.filters import UserFilterSet
from users.models import User


class UserViewSet(CrudViewSet):
    """The caller's company's users; writes accept JSON or multipart/form-data."""

    queryset = User.objects.all()
    serializer_class = UserSerializer
    filterset_class = UserFilterSet
    parser_classes = [StrictJSONParser, StrictMultiPartParser]
    lookup_url_kwarg = "user_id"
    guardian_resource = "user"
    expandable = {"position": lambda queryset: queryset.select_related("position")}

    def perform_create(self, data):
        return services.user_create(company_id=caller_company_id(self.request), data=data)

    def perform_update(self, instance, data):
        return services.user_update(user=instance, data=data)

    def perform_destroy(self, instance):
        services.user_delete(user=instance, token=self.request.auth)


class PositionUsersViewSet(CompanyScopedViewSet):
    """`GET /positions/{position_id}/users`: the users holding a position of the caller's company (by email)."""

    queryset = Position.objects.all()
    serializer_class = UserSerializer
    lookup_url_kwarg = "position_id"
    guardian_resource = "user_position"
    guardian_operations = {"GET": "READ"}
    filter_backends = []
    pagination_class = None

    @extend_schema(operation_id="positions_users_list", responses=UserSerializer(many=True))
    def users(self, request, *args, **kwargs):
        position = self.get_object()
        users = selectors.position_users(position=position)
        return Response(self.get_serializer(users, many=True).data)
