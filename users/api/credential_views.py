"""HTTP wiring of the credential endpoints (contract §7): verify, change, admin reset, reset by emailed code."""

import hmac
import time
from functools import wraps

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions as drf_exceptions
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from identity import ratelimit
from identity.exceptions import DomainError, ValidationFailed
from identity.permissions import TokenRequired
from identity.serializers import UNKNOWN_FIELD
from identity.viewsets import CompanyScopedViewSet
from users import credentials
from users.api.serializers import UserSerializer
from users.models import User

RESET_REQUESTED = "If the email exists, a password reset code has been sent."
RESET_DONE = "Password reset successful. You can now log in with your new password."
TEMPORARY_PASSWORD_NOTE = ("User must change password on next login. "
                           "This is the only time the temporary password will be shown.")


class InvalidInternalToken(DomainError):
    status = 401
    message = "Invalid internal token"


def _message(name: str, text: str = ""):
    return inline_serializer(name, {"message": serializers.CharField(default=text)})


# --- body helpers -----------------------------------------------------------------------------
def _object_body(request) -> dict:
    """The parsed JSON body, which must be an object (an empty body reads as `{}`)."""
    data = request.data
    if not isinstance(data, dict):
        raise ValidationFailed(errors={"non_field_errors": [
            f"Invalid data. Expected a dictionary, but got {type(data).__name__}."]})
    return data


def _text(body: dict, name: str) -> str | None:
    """A non-empty string field, or None when absent, empty or not a string."""
    value = body.get(name)
    return value if isinstance(value, str) and value != "" else None


def _reject_unknown(body: dict, known: set[str]) -> None:
    unknown = {name: [UNKNOWN_FIELD] for name in body if name not in known}
    if unknown:
        raise ValidationFailed(errors=unknown)


# --- /verify_password -------------------------------------------------------------------------
class InternalTokenRequired(permissions.BasePermission):
    """When INTERNAL_AUTH_TOKEN is set, `X-Internal-Token` must equal it (compared in constant time) → else 401."""

    def has_permission(self, request, view):
        expected = settings.INTERNAL_AUTH_TOKEN
        if not expected:
            return True
        provided = request.headers.get("X-Internal-Token", "")
        if not hmac.compare_digest(provided.encode(), expected.encode()):
            # A caller without the token is limited per IP like any other (contract §7.7): guesses at the
            # internal token are not free.
            _limit_verify_per_ip(request)
            raise InvalidInternalToken()
        return True


def _limit_verify_per_ip(request) -> None:
    ratelimit.enforce(request, group="verify_password:ip", rate_setting="RATELIMIT_VERIFY_PASSWORD",
                      value=ratelimit.client_ip(request))


class VerifyPasswordView(APIView):
    """The Auth service's login call."""

    authentication_classes = []
    # A permission, so the token is checked before the 405 decision and the rate limit (contract §1.5).
    permission_classes = [InternalTokenRequired]

    @extend_schema(
        operation_id="verify_password",
        parameters=[OpenApiParameter("X-Internal-Token", OpenApiTypes.STR, OpenApiParameter.HEADER,
                                     description="Required when INTERNAL_AUTH_TOKEN is configured")],
        request=inline_serializer("VerifyPasswordInput", {"email": serializers.EmailField(),
                                                          "password": serializers.CharField()}),
        responses={200: UserSerializer, 400: _message("VerifyPasswordMissing"),
                   401: _message("InvalidInternalToken"), 403: _message("VerifyPasswordRefused"),
                   429: _message("TooManyRequests")},
    )
    def post(self, request):
        email_key = ratelimit.json_email(request)
        if settings.INTERNAL_AUTH_TOKEN and email_key:
            # The caller proved to be the Auth service, whose address every login shares: count per account.
            ratelimit.enforce(request, group="verify_password:email", rate_setting="RATELIMIT_VERIFY_PASSWORD_EMAIL",
                              value=email_key)
        else:
            _limit_verify_per_ip(request)
        body = _object_body(request)
        email, password = _text(body, "email"), _text(body, "password")
        if email is None:
            raise ValidationFailed("Email is required")
        if password is None:
            raise ValidationFailed("Password is required")
        _reject_unknown(body, {"email", "password"})
        user = credentials.password_verify(email=email, password=password)
        return Response(UserSerializer(user).data)


# --- /users/me/change-password ----------------------------------------------------------------
class ChangePasswordView(APIView):
    """The caller changes their own password: token only, no Guardian call."""

    permission_classes = [TokenRequired]

    @extend_schema(
        operation_id="users_me_change_password",
        request=inline_serializer("ChangePasswordInput", {"current_password": serializers.CharField(),
                                                          "new_password": serializers.CharField()}),
        responses={200: inline_serializer("ChangePasswordResult", {
            "message": serializers.CharField(), "password_reset_required": serializers.BooleanField()}),
            400: _message("ChangePasswordInvalid"), 429: _message("TooManyRequestsChange")},
    )
    def patch(self, request):
        ratelimit.enforce(request, group="change_password", rate_setting="RATELIMIT_CHANGE_PASSWORD",
                          value=str(request.user.pk))
        body = _object_body(request)
        current, new = _text(body, "current_password"), _text(body, "new_password")
        if current is None or new is None:
            raise ValidationFailed("current_password and new_password are required")
        _reject_unknown(body, {"current_password", "new_password"})
        credentials.password_change(user=request.user, current_password=current, new_password=new)
        return Response({"message": "Password changed successfully", "password_reset_required": False})


# --- /users/{user_id}/admin-reset-password ----------------------------------------------------
class AdminPasswordResetViewSet(CompanyScopedViewSet):
    """An administrator sets a temporary password for a user of the caller's company."""

    queryset = User.objects.all()
    lookup_url_kwarg = "user_id"
    guardian_resource = "admin_password_reset"
    guardian_operations = {"POST": "UPDATE"}

    @extend_schema(
        operation_id="users_admin_reset_password",
        parameters=[OpenApiParameter("user_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        request=None,
        responses={200: inline_serializer("AdminPasswordResetResult", {
            "message": serializers.CharField(), "temporary_password": serializers.CharField(),
            "password_reset_required": serializers.BooleanField(), "note": serializers.CharField()}),
            404: _message("UserNotFound")},
    )
    def reset(self, request, user_id=None):
        user = self.get_object()
        temporary = credentials.password_admin_reset(user=user)
        return Response({"message": "Password reset successful", "temporary_password": temporary,
                         "password_reset_required": True, "note": TEMPORARY_PASSWORD_NOTE})


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


class PasswordResetRequestView(APIView):
    """Always the same 200, whatever the email, the body or the email delivery (only the rate limit shows)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="users_password_reset_request",
        request=inline_serializer("PasswordResetRequestInput", {"email": serializers.EmailField()}),
        responses={200: _message("PasswordResetRequested", RESET_REQUESTED), 429: _message("TooManyRequestsReset")},
    )
    @_uniform_timing
    def post(self, request):
        ratelimit.enforce(request, group="password_reset_request:ip", rate_setting="RATELIMIT_RESET_REQUEST_IP",
                          value=ratelimit.client_ip(request))
        email_key = ratelimit.json_email(request)
        if email_key:
            ratelimit.enforce(request, group="password_reset_request:email",
                              rate_setting="RATELIMIT_RESET_REQUEST_EMAIL", value=email_key)
        try:
            data = request.data
        except (drf_exceptions.ParseError, drf_exceptions.UnsupportedMediaType):
            data = None
        email = _text(data, "email") if isinstance(data, dict) else None
        if email is not None:
            credentials.password_reset_request(email=email)
        return Response({"message": RESET_REQUESTED})


class PasswordResetConfirmView(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="users_password_reset_confirm",
        request=inline_serializer("PasswordResetConfirmInput", {
            "email": serializers.EmailField(), "otp_code": serializers.CharField(),
            "new_password": serializers.CharField()}),
        responses={200: _message("PasswordResetDone", RESET_DONE),
                   400: OpenApiResponse(_message("PasswordResetInvalid"),
                                        description="Missing fields, policy errors or an invalid email/code"),
                   429: _message("TooManyRequestsConfirm")},
    )
    @_uniform_timing
    def post(self, request):
        ratelimit.enforce(request, group="password_reset_confirm", rate_setting="RATELIMIT_RESET_CONFIRM",
                          value=ratelimit.client_ip(request))
        body = _object_body(request)
        code = body.get("otp_code")
        if isinstance(code, int) and not isinstance(code, bool):
            # Digits sent as a JSON number lose their leading zeros.
            code = f"{code:06d}" if 0 <= code < 1_000_000 else str(code)
        code = code.strip() if isinstance(code, str) else None
        email, new_password = _text(body, "email"), _text(body, "new_password")
        if not email or not code or new_password is None:
            raise ValidationFailed("email, otp_code, and new_password are required")
        _reject_unknown(body, {"email", "otp_code", "new_password"})
        credentials.password_reset_confirm(email=email, code=code, new_password=new_password)
        return Response({"message": RESET_DONE})
