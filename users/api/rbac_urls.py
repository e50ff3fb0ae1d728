"""Routes of `/users/{user_id}/roles`, `/users/{user_id}/policies` and `/users/{user_id}/permissions`."""

from django.urls import re_path

from users.api.rbac_views import UserPermissionsViewSet, UserPoliciesViewSet, UserRolesViewSet, UserRoleViewSet

urlpatterns = [
    re_path(r"^users/(?P<user_id>[^/]+)/roles/?$",
            UserRolesViewSet.as_view({"get": "list_roles", "post": "assign_role"}), name="user-roles"),
    re_path(r"^users/(?P<user_id>[^/]+)/roles/(?P<user_role_id>[^/]+)/?$",
            UserRoleViewSet.as_view({"get": "retrieve_role", "delete": "remove_role"}), name="user-role"),
    re_path(r"^users/(?P<user_id>[^/]+)/policies/?$",
            UserPoliciesViewSet.as_view({"get": "list_policies"}), name="user-policies"),
    re_path(r"^users/(?P<user_id>[^/]+)/permissions/?$",
            UserPermissionsViewSet.as_view({"get": "list_permissions"}), name="user-permissions"),
]
