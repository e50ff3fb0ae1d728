"""Routes of the credential endpoints; included before the users router so static segments win over user ids."""

from django.urls import re_path

from users.api.credential_views import (
    AdminPasswordResetViewSet,
    ChangePasswordView,
    PasswordResetConfirmView,
    PasswordResetRequestView,
    VerifyPasswordView,
)

urlpatterns = [
    re_path(r"^verify_password/?$", VerifyPasswordView.as_view(), name="verify-password"),
    re_path(r"^users/me/change-password/?$", ChangePasswordView.as_view(), name="user-change-password"),
    re_path(r"^users/password-reset/request/?$", PasswordResetRequestView.as_view(), name="password-reset-request"),
    re_path(r"^users/password-reset/confirm/?$", PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    re_path(r"^users/(?P<user_id>[^/]+)/admin-reset-password/?$",
            AdminPasswordResetViewSet.as_view({"post": "reset"}), name="user-admin-reset-password"),
]
