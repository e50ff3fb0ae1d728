"""Routes of the users app: `/users` and everything under it, `/positions/{position_id}/users`,
`/verify_password` and `/init-db`. No two route patterns overlap, so their order does not matter."""

from identity.file_views import image_viewset
from identity.routers import Router
from users.api.credential_views import UserCredentialViewSet, VerifyPasswordViewSet
from users.api.role_views import UserRoleViewSet
from users.api.views import InitDbViewSet, PositionUsersViewSet, UserViewSet
from users.models import User

router = Router()
router.register("users", UserViewSet, basename="user")
router.register("users", image_viewset(User, lookup_url_kwarg="user_id"), basename="user-avatar")
router.register("users", UserCredentialViewSet, basename="user-credentials")
router.register("users", UserRoleViewSet, basename="user-roles")
router.register("positions", PositionUsersViewSet, basename="position-users")
router.register("verify_password", VerifyPasswordViewSet, basename="verify-password")
router.register("init-db", InitDbViewSet, basename="init-db")
urlpatterns = router.urls
