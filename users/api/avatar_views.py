"""HTTP wiring of `/users/{user_id}/avatar` (contract §8): only the user itself uploads or removes it."""

from identity.file_views import ImageViewSet, image_endpoint
from users import services
from users.models import User


class UserAvatarViewSet(ImageViewSet):
    queryset = User.objects.all()
    lookup_url_kwarg = "user_id"
    file_kind = "avatar"
    file_field = "avatar"
    self_only = True

    def swap(self, owner, file_id):
        return services.user_avatar_set(user=owner, file_id=file_id)

    @image_endpoint(url_path="avatar", resource="user_avatar", field="avatar")
    def avatar(self, request, user_id=None):
        return self.image(request)
