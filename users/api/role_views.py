"""HTTP wiring of `/users/{user_id}/roles`, `/policies` and `/permissions` (views onto Guardian)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from identity.tenancy import caller_company_id, parse_path_id
from identity.viewsets import CompanySubresourceViewSet
from users.api.serializers import (
    AssignRoleInputSerializer,
    UserPermissionsSerializer,
    UserPoliciesSerializer,
    UserRoleAssignmentSerializer,
    UserRolesSerializer,
)
from users.models import User
from users.services import roles

USER_ROLE_ID = OpenApiParameter(
    "user_role_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Guardian's id of the assignment"
)


# Each action resolves the path user of the caller's company (400 malformed id, 404 missing or foreign) before
# any Guardian look-up.
class UserRoleViewSet(CompanySubresourceViewSet):
    queryset = User.objects.all()
    lookup_url_kwarg = "user_id"

    @extend_schema(methods=["GET"], operation_id="users_roles_list", responses=UserRolesSerializer)
    @extend_schema(
        methods=["POST"],
        operation_id="users_roles_create",
        request=AssignRoleInputSerializer,
        responses={201: UserRoleAssignmentSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        guardian_resource="user_roles",
        guardian_operations={"GET": "LIST", "POST": "CREATE"},
    )
    def roles(self, request, user_id=None):
        """`GET|POST /users/{user_id}/roles`."""
        user = self.get_object()
        if request.method != "POST":
            return Response({"roles": roles.user_role_list(user=user, token=request.auth)})
        serializer = AssignRoleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        assignment = roles.user_role_assign(
            user=user,
            token=request.auth,
            company_id=caller_company_id(request),
            role_id=data.get("role_id") or data.get("role"),
        )
        return Response(assignment, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        operation_id="users_roles_retrieve",
        parameters=[USER_ROLE_ID],
        responses=UserRoleAssignmentSerializer,
    )
    @extend_schema(
        methods=["DELETE"], operation_id="users_roles_destroy", parameters=[USER_ROLE_ID], responses={204: None}
    )
    @action(
        detail=True,
        methods=["get", "delete"],
        url_path=r"roles/(?P<user_role_id>[^/]+)",
        url_name="role",
        guardian_resource="user_roles",
        guardian_operations={"GET": "READ", "DELETE": "DELETE"},
    )
    def role(self, request, user_id=None, user_role_id=None):
        """`GET|DELETE /users/{user_id}/roles/{user_role_id}`."""
        # A malformed assignment id is 400 "Invalid user role id", checked with the other path ids before any
        # object lookup.
        parse_path_id(user_role_id, "user_role_id")
        user = self.get_object()
        if request.method == "DELETE":
            roles.user_role_remove(user=user, token=request.auth, user_role_id=user_role_id)
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(roles.user_role_get(user=user, token=request.auth, user_role_id=user_role_id))

    @extend_schema(operation_id="users_policies_list", responses=UserPoliciesSerializer)
    @action(detail=True, methods=["get"], guardian_resource="user_policies", guardian_operations={"GET": "READ"})
    def policies(self, request, user_id=None):
        """`GET /users/{user_id}/policies`."""
        user = self.get_object()
        return Response({"policies": roles.user_policy_list(user=user, token=request.auth)})

    @extend_schema(operation_id="users_permissions_list", responses=UserPermissionsSerializer)
    @action(detail=True, methods=["get"], guardian_resource="user_permissions", guardian_operations={"GET": "READ"})
    def permissions(self, request, user_id=None):
        """`GET /users/{user_id}/permissions`."""
        user = self.get_object()
        return Response({"permissions": roles.user_permission_list(user=user, token=request.auth)})
