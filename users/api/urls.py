"""Routes of `/users`, `/positions/{position_id}/users` and `/init-db`."""

from django.urls import re_path

from identity.routers import Router
from users.api.initdb_views import InitDbView
from users.api.views import PositionUsersViewSet, UserViewSet

router = Router()
router.register("users", UserViewSet, basename="user")

urlpatterns = [
    re_path(r"^init-db/?$", InitDbView.as_view(), name="init-db"),
    re_path(r"^positions/(?P<position_id>[^/]+)/users/?$", PositionUsersViewSet.as_view({"get": "users"}),
            name="position-users"),
    *router.urls,
]
