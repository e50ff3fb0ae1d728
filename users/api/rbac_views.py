"""HTTP wiring of `/users/{user_id}/roles`, `/policies` and `/permissions` (views onto Guardian, contract §9)."""

from collections.abc import Mapping

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from identity.serializers import UNKNOWN_FIELD
from identity.tenancy import caller_company_id, parse_path_id
from identity.viewsets import CompanyScopedViewSet
from users import rbac
from users.models import User

USER_ROLE_ID = OpenApiParameter("user_role_id", OpenApiTypes.UUID, OpenApiParameter.PATH,
                                description="Guardian's id of the assignment")


class AssignRoleInputSerializer(serializers.Serializer):
    """`{"role_id"}`; the legacy key `role` is accepted too."""

    role_id = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    role = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                 help_text="Legacy name of role_id")

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = {name: [UNKNOWN_FIELD] for name in data if name not in self.fields}
            if unknown:
                raise serializers.ValidationError(unknown)
        return super().to_internal_value(data)


class UserRoleAssignmentSerializer(serializers.Serializer):
    """Guardian's assignment object (other keys Guardian adds are passed through)."""

    id = serializers.CharField()
    user_id = serializers.CharField()
    role_id = serializers.CharField()
    company_id = serializers.CharField(required=False, allow_null=True)
    created_at = serializers.CharField(required=False, allow_null=True)
    updated_at = serializers.CharField(required=False, allow_null=True)


class RoleSerializer(serializers.Serializer):
    """Guardian's role object, or the placeholder of a role Guardian does not know."""

    id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    company_id = serializers.CharField(allow_null=True)


class UserRoleSerializer(serializers.Serializer):
    id = serializers.CharField()
    user_id = serializers.CharField()
    role_id = serializers.CharField()
    role = RoleSerializer()
    created_at = serializers.CharField(allow_null=True)


class UserRolesSerializer(serializers.Serializer):
    roles = UserRoleSerializer(many=True)


class PolicySerializer(serializers.Serializer):
    """Guardian's policy object (passed through)."""

    id = serializers.CharField()


class UserPoliciesSerializer(serializers.Serializer):
    policies = PolicySerializer(many=True)


class PermissionSerializer(serializers.Serializer):
    """Guardian's permission object (passed through)."""

    id = serializers.CharField()
    service = serializers.CharField()
    resource_name = serializers.CharField()
    operation = serializers.CharField()
    description = serializers.CharField(allow_null=True)


class UserPermissionsSerializer(serializers.Serializer):
    permissions = PermissionSerializer(many=True)


class _UserGuardianViewSet(CompanyScopedViewSet):
    """The path user of the caller's company (400 malformed id, 404 missing or foreign) before any Guardian look-up."""

    queryset = User.objects.all()
    lookup_url_kwarg = "user_id"
    filter_backends = []
    pagination_class = None


class UserRolesViewSet(_UserGuardianViewSet):
    """`GET|POST /users/{user_id}/roles`."""

    guardian_resource = "user_roles"
    guardian_operations = {"GET": "LIST", "POST": "CREATE"}
    serializer_class = AssignRoleInputSerializer

    @extend_schema(operation_id="users_roles_list", responses=UserRolesSerializer)
    def list_roles(self, request, *args, **kwargs):
        user = self.get_object()
        return Response({"roles": rbac.user_role_list(user=user, token=request.auth)})

    @extend_schema(operation_id="users_roles_create", request=AssignRoleInputSerializer,
                   responses={201: UserRoleAssignmentSerializer})
    def assign_role(self, request, *args, **kwargs):
        user = self.get_object()
        serializer = AssignRoleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        role_id = data.get("role_id") or data.get("role")
        assignment = rbac.user_role_assign(user=user, token=request.auth, company_id=caller_company_id(request),
                                           role_id=role_id)
        return Response(assignment, status=status.HTTP_201_CREATED)


class UserRoleViewSet(_UserGuardianViewSet):
    """`GET|DELETE /users/{user_id}/roles/{user_role_id}`."""

    guardian_resource = "user_roles"
    guardian_operations = {"GET": "READ", "DELETE": "DELETE"}
    serializer_class = UserRoleAssignmentSerializer

    def _user_role_id(self) -> str:
        # Path ids are UUIDs (contract §1.1): a malformed one is 400 "Invalid user role id", checked with the
        # other path ids before any object lookup (§1.5).
        parse_path_id(self.kwargs["user_role_id"], "user_role_id")
        return self.kwargs["user_role_id"]

    @extend_schema(operation_id="users_roles_retrieve", parameters=[USER_ROLE_ID],
                   responses=UserRoleAssignmentSerializer)
    def retrieve_role(self, request, *args, **kwargs):
        user_role_id = self._user_role_id()
        user = self.get_object()
        assignment = rbac.user_role_get(user=user, token=request.auth, user_role_id=user_role_id)
        return Response(assignment)

    @extend_schema(operation_id="users_roles_destroy", parameters=[USER_ROLE_ID], responses={204: None})
    def remove_role(self, request, *args, **kwargs):
        user_role_id = self._user_role_id()
        user = self.get_object()
        rbac.user_role_remove(user=user, token=request.auth, user_role_id=user_role_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserPoliciesViewSet(_UserGuardianViewSet):
    """`GET /users/{user_id}/policies`."""

    guardian_resource = "user_policies"
    guardian_operations = {"GET": "READ"}

    @extend_schema(operation_id="users_policies_list", responses=UserPoliciesSerializer)
    def list_policies(self, request, *args, **kwargs):
        user = self.get_object()
        return Response({"policies": rbac.user_policy_list(user=user, token=request.auth)})


class UserPermissionsViewSet(_UserGuardianViewSet):
    """`GET /users/{user_id}/permissions`."""

    guardian_resource = "user_permissions"
    guardian_operations = {"GET": "READ"}

    @extend_schema(operation_id="users_permissions_list", responses=UserPermissionsSerializer)
    def list_permissions(self, request, *args, **kwargs):
        user = self.get_object()
        return Response({"permissions": rbac.user_permission_list(user=user, token=request.auth)})
