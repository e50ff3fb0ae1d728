"""HTTP wiring of the credential endpoints: verify, change, admin reset, reset by emailed code."""

import hmac
import time
from functools import wraps

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions as drf_exceptions
from rest_framework import permissions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import ViewSet

from identity import ratelimit
from identity.exceptions import DomainError
from identity.permissions import TokenRequired
from identity.serializers import present_text
from identity.viewsets import CompanySubresourceViewSet
from users.api.serializers import (
    ChangePasswordInputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetRequestInputSerializer,
    UserSerializer,
    VerifyPasswordInputSerializer,
)
from users.models import User
from users.services import passwords

RESET_REQUESTED = "If the email exists, a password reset code has been sent."
RESET_DONE = "Password reset successful. You can now log in with your new password."
TEMPORARY_PASSWORD_NOTE = (
    "User must change password on next login. This is the only time the temporary password will be shown."
)


class InvalidInternalToken(DomainError):
    status = 401
    message = "Invalid internal token"


def _message(name: str, text: str = ""):
    return inline_serializer(name, {"message": serializers.CharField(default=text)})


# --- /verify_password -------------------------------------------------------------------------
class InternalTokenRequired(permissions.BasePermission):
    """When INTERNAL_AUTH_TOKEN is set, `X-Internal-Token` must equal it (compared in constant time) → else 401."""

    def has_permission(self, request, view):
        expected = settings.INTERNAL_AUTH_TOKEN
        if not expected:
            return True
        provided = request.headers.get("X-Internal-Token", "")
        if not hmac.compare_digest(provided.encode(), expected.encode()):
            # A caller without the token is limited per IP like any other (docs/behaviour.md §7.7): guesses at the
            # internal token are not free.
            _limit_verify_per_ip(request)
            raise InvalidInternalToken()
        return True


def _limit_verify_per_ip(request) -> None:
    ratelimit.enforce(
        request,
        group="verify_password:ip",
        rate_setting="RATELIMIT_VERIFY_PASSWORD",
        value=ratelimit.client_ip(request),
    )


class VerifyPasswordViewSet(ViewSet):
    """The Auth service's login call."""

    authentication_classes = []
    # A permission, so the token is checked before the 405 decision and the rate limit.
    permission_classes = [InternalTokenRequired]

    @extend_schema(
        operation_id="verify_password",
        parameters=[
            OpenApiParameter(
                "X-Internal-Token",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Required when INTERNAL_AUTH_TOKEN is configured",
            )
        ],
        request=VerifyPasswordInputSerializer,
        responses={
            200: UserSerializer,
            400: _message("VerifyPasswordMissing"),
            401: _message("InvalidInternalToken"),
            403: _message("VerifyPasswordRefused"),
            429: _message("TooManyRequests"),
        },
    )
    def create(self, request):
        email_key = ratelimit.json_email(request)
        if settings.INTERNAL_AUTH_TOKEN and email_key:
            # The caller proved to be the Auth service, whose address every login shares: count per account.
            ratelimit.enforce(
                request, group="verify_password:email", rate_setting="RATELIMIT_VERIFY_PASSWORD_EMAIL", value=email_key
            )
        else:
            _limit_verify_per_ip(request)
        body = _valid(VerifyPasswordInputSerializer, request)
        user = passwords.password_verify(email=body["email"], password=body["password"])
        return Response(UserSerializer(user).data)


# --- /users/password-reset/* ------------------------------------------------------------------
def _uniform_timing(handler):
    """Answers no sooner than PASSWORD_RESET_MIN_RESPONSE_SECONDS after the request started, whatever happened
    (known or unknown email, success or error), so the response time does not tell which accounts exist."""

    @wraps(handler)
    def wrapped(self, request, *args, **kwargs):
        started = time.monotonic()
        try:
            return handler(self, request, *args, **kwargs)
        finally:
            left = settings.PASSWORD_RESET_MIN_RESPONSE_SECONDS - (time.monotonic() - started)
            if left > 0:
                time.sleep(left)

    return wrapped


# `/users/me/change-password`, `/users/password-reset/{request,confirm}`, `/users/{user_id}/admin-reset-password`.
class UserCredentialViewSet(CompanySubresourceViewSet):
    queryset = User.objects.all()
    lookup_url_kwarg = "user_id"

    @extend_schema(
        operation_id="users_me_change_password",
        request=ChangePasswordInputSerializer,
        responses={
            200: inline_serializer(
                "ChangePasswordResult",
                {"message": serializers.CharField(), "password_reset_required": serializers.BooleanField()},
            ),
            400: _message("ChangePasswordInvalid"),
            429: _message("TooManyRequestsChange"),
        },
    )
    @action(
        detail=False,
        methods=["patch"],
        url_path="me/change-password",
        url_name="change-password",
        permission_classes=[TokenRequired],
    )
    def change_password(self, request):
        """The caller changes their own password: token only, no Guardian call."""
        ratelimit.enforce(
            request, group="change_password", rate_setting="RATELIMIT_CHANGE_PASSWORD", value=str(request.user.pk)
        )
        body = _valid(ChangePasswordInputSerializer, request)
        passwords.password_change(
            user=request.user, current_password=body["current_password"], new_password=body["new_password"]
        )
        return Response({"message": "Password changed successfully", "password_reset_required": False})

    @extend_schema(
        operation_id="users_admin_reset_password",
        parameters=[OpenApiParameter("user_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        request=None,
        responses={
            200: inline_serializer(
                "AdminPasswordResetResult",
                {
                    "message": serializers.CharField(),
                    "temporary_password": serializers.CharField(),
                    "password_reset_required": serializers.BooleanField(),
                    "note": serializers.CharField(),
                },
            ),
            404: _message("UserNotFound"),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="admin-reset-password",
        guardian_resource="admin_password_reset",
        guardian_operations={"POST": "UPDATE"},
    )
    def admin_reset_password(self, request, user_id=None):
        """An administrator sets a temporary password for a user of the caller's company."""
        temporary = passwords.password_admin_reset(user=self.get_object())
        return Response(
            {
                "message": "Password reset successful",
                "temporary_password": temporary,
                "password_reset_required": True,
                "note": TEMPORARY_PASSWORD_NOTE,
            }
        )

    @extend_schema(
        operation_id="users_password_reset_request",
        request=PasswordResetRequestInputSerializer,
        responses={200: _message("PasswordResetRequested", RESET_REQUESTED), 429: _message("TooManyRequestsReset")},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="password-reset/request",
        url_name="password-reset-request",
        authentication_classes=[],
        permission_classes=[permissions.AllowAny],
    )
    @_uniform_timing
    def password_reset_request(self, request):
        """Always the same 200, whatever the email, the body or the email delivery (only the rate limit shows)."""
        ratelimit.enforce(
            request,
            group="password_reset_request:ip",
            rate_setting="RATELIMIT_RESET_REQUEST_IP",
            value=ratelimit.client_ip(request),
        )
        email_key = ratelimit.json_email(request)
        if email_key:
            ratelimit.enforce(
                request,
                group="password_reset_request:email",
                rate_setting="RATELIMIT_RESET_REQUEST_EMAIL",
                value=email_key,
            )
        try:
            data = request.data
        except (drf_exceptions.ParseError, drf_exceptions.UnsupportedMediaType):
            data = None
        email = data.get("email") if isinstance(data, dict) else None
        if present_text(email):
            passwords.password_reset_request(email=email)
        return Response({"message": RESET_REQUESTED})

    @extend_schema(
        operation_id="users_password_reset_confirm",
        request=PasswordResetConfirmInputSerializer,
        responses={
            200: _message("PasswordResetDone", RESET_DONE),
            400: OpenApiResponse(
                _message("PasswordResetInvalid"), description="Missing fields, policy errors or an invalid email/code"
            ),
            429: _message("TooManyRequestsConfirm"),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="password-reset/confirm",
        url_name="password-reset-confirm",
        authentication_classes=[],
        permission_classes=[permissions.AllowAny],
    )
    @_uniform_timing
    def password_reset_confirm(self, request):
        ratelimit.enforce(
            request,
            group="password_reset_confirm",
            rate_setting="RATELIMIT_RESET_CONFIRM",
            value=ratelimit.client_ip(request),
        )
        body = _valid(PasswordResetConfirmInputSerializer, request)
        passwords.password_reset_confirm(email=body["email"], code=body["otp_code"], new_password=body["new_password"])
        return Response({"message": RESET_DONE})


def _valid(serializer_class, request) -> dict:
    """The body validated by the action's input serializer (400 with its errors otherwise)."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
