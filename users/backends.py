"""Django authentication backend (the admin's login) that goes through the same checks as `/verify_password`."""

from django.contrib.auth.backends import ModelBackend

from identity.exceptions import Forbidden
from users.services import passwords


class IdentityBackend(ModelBackend):
    """Case-insensitive email, lockout counting and refusal, hash upgrade: the admin login is no side door."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        username = username if username is not None else kwargs.get("email")
        if not username or password is None:
            return None
        try:
            user = passwords.password_verify(email=username, password=password)
        except Forbidden:
            return None
        return user if self.user_can_authenticate(user) else None
