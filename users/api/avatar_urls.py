"""Routes of `/users/{user_id}/avatar`."""

from identity.routers import Router
from users.api.avatar_views import UserAvatarViewSet

router = Router()
router.register("users", UserAvatarViewSet, basename="user-avatar")
urlpatterns = router.urls
