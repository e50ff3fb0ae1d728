"""User request/response shapes: users, the credential actions' bodies, roles in Guardian, and a tenant bootstrap
(`POST /init-db`, `init_identity`)."""

from collections.abc import Mapping

from rest_framework import serializers
from rest_framework.utils import html

from companies.api.serializers import CompanySerializer
from identity import files
from identity.exceptions import DomainError, Forbidden
from identity.serializers import (
    EmailTextField,
    KeyedSerializerMixin,
    PhoneField,
    StrictInputSerializer,
    StrictModelSerializer,
    TextField,
)
from org.api.serializers import OrganizationUnitSerializer, PositionSerializer, PositionSummarySerializer
from users.models import User

AVATAR_ON_CREATE = "An avatar cannot be uploaded when creating a user."
AVATAR_NOT_A_FILE = "The submitted data was not a file. Check the encoding type on the form."
BOOTSTRAP_REQUIRED = "'company' and 'user' data are required."
USER_KEYS = (
    "id",
    "email",
    "first_name",
    "last_name",
    "language",
    "phone_number",
    "avatar_file_id",
    "has_avatar",
    "is_active",
    "is_verified",
    "last_login_at",
    "position_id",
    "company_id",
    "password_reset_required",
    "last_password_change",
    "created_at",
    "updated_at",
)


class UserSerializer(KeyedSerializerMixin, StrictModelSerializer):
    """A user; `position` ({id, title, description, level, organization_unit_id} or null) is added with
    `expand=position`."""

    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True, required=False, trim_whitespace=False, style={"input_type": "password"}
    )
    phone_number = PhoneField(max_length=50)
    position_id = serializers.UUIDField(required=False, allow_null=True)
    company_id = serializers.UUIDField(read_only=True)

    keys = USER_KEYS

    class Meta:
        model = User
        fields = [*USER_KEYS, "password"]
        read_only_fields = [
            "id",
            "avatar_file_id",
            "has_avatar",
            "last_login_at",
            "company_id",
            "last_password_change",
            "created_at",
            "updated_at",
        ]

    def validate(self, attrs):
        # Required on create only (absent on PUT/PATCH = unchanged). Checked here rather than by toggling the
        # field in __init__, which would build every field for each response, even the read-only ones.
        if self.instance is None and "password" not in attrs:
            raise serializers.ValidationError({"password": ["This field is required."]})
        return attrs

    def to_internal_value(self, data):
        if not html.is_html_input(data):
            return super().to_internal_value(data)
        # A multipart body: the `avatar` part is checked first (only the user itself may send one: 403 before any
        # 400), and its error is reported together with the other fields' errors.
        values = self._form_values(data)
        errors, avatar = {}, None
        if "avatar" in data:
            try:
                avatar = self._avatar(data.get("avatar"))
            except serializers.ValidationError as exc:
                errors["avatar"] = exc.detail
        try:
            attrs = super().to_internal_value(values)
        except serializers.ValidationError as exc:
            errors = {**exc.detail, **errors}
        if errors:
            raise serializers.ValidationError(errors)
        if avatar is not None:
            attrs["avatar"] = avatar
        return attrs

    def _form_values(self, data) -> dict:
        """A multipart body (but its `avatar` part) as a plain dict: absent stays absent (DRF would read a missing
        boolean as False); the base turns an empty string into null for nullable fields."""
        return {key: data.get(key) for key in data if key != "avatar"}

    def _avatar(self, upload) -> files.Upload:
        """The `avatar` part, validated (docs/behaviour.md §6.6): refused on create, 403 on another user than the
        caller."""
        if self.instance is None:
            raise serializers.ValidationError([AVATAR_ON_CREATE])
        request = self.context.get("request")
        if request is None or str(request.user.pk) != str(self.instance.pk):
            raise Forbidden(files.OTHER_USERS_AVATAR)
        if not hasattr(upload, "read"):
            raise serializers.ValidationError([AVATAR_NOT_A_FILE])
        try:
            image = files.validate_image(upload, field="avatar")
        except DomainError as exc:
            assert exc.errors is not None, "validate_image refuses with the field's errors"
            raise serializers.ValidationError(exc.errors["avatar"]) from None
        return files.Upload(image=image, token=request.auth)

    def expand_representation(self, user, data, expand):
        if "position" in expand:
            data["position"] = PositionSummarySerializer.represent(user.position) if user.position_id else None


class BootstrapUserSerializer(UserSerializer):
    """The first admin of a tenant: a user without `position_id` (it gets the Administrator position)."""

    position_id = None

    class Meta(UserSerializer.Meta):
        fields = [name for name in UserSerializer.Meta.fields if name != "position_id"]


def validate_bootstrap(body) -> tuple[dict, dict]:
    """(company data, user data) of a bootstrap body `{"company": {...}, "user": {...}}` (other keys ignored).

    Raises ValidationError: the message BOOTSTRAP_REQUIRED when either object is missing, else the field errors
    of the first invalid object (company, then user) under its own field names.
    """
    if not (isinstance(body, dict) and isinstance(body.get("company"), dict) and isinstance(body.get("user"), dict)):
        raise serializers.ValidationError(BOOTSTRAP_REQUIRED)
    company = CompanySerializer(data=body["company"])
    company.is_valid(raise_exception=True)
    user = BootstrapUserSerializer(data=body["user"])
    user.is_valid(raise_exception=True)
    return dict(company.validated_data), dict(user.validated_data)


def bootstrap_representation(result) -> dict:
    """`{"company", "organization_unit", "position", "user"}`, each in its full representation."""
    return {
        "company": CompanySerializer(result.company).data,
        "organization_unit": OrganizationUnitSerializer(result.organization_unit).data,
        "position": PositionSerializer(result.position).data,
        "user": UserSerializer(result.user).data,
    }


# --- the credential actions' bodies -----------------------------------------------------------
class VerifyPasswordInputSerializer(StrictInputSerializer):
    required_fields = ("email", "password")
    required_message = {"email": "Email is required", "password": "Password is required"}

    email = EmailTextField()
    password = TextField()


class ChangePasswordInputSerializer(StrictInputSerializer):
    required_fields = ("current_password", "new_password")
    required_message = "current_password and new_password are required"

    current_password = TextField()
    new_password = TextField()


# Documents the body only: the request answers the same 200 whatever it holds (see the view).
class PasswordResetRequestInputSerializer(serializers.Serializer):
    email = EmailTextField()


def _otp_text(value):
    """The code as text: digits sent as a JSON number lose their leading zeros; other text is stripped."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:06d}" if 0 <= value < 1_000_000 else str(value)
    return value.strip() if isinstance(value, str) else None


class PasswordResetConfirmInputSerializer(StrictInputSerializer):
    required_fields = ("email", "otp_code", "new_password")
    required_message = "email, otp_code, and new_password are required"

    email = EmailTextField()
    otp_code = TextField()
    new_password = TextField()

    def to_internal_value(self, data):
        if isinstance(data, Mapping) and "otp_code" in data:
            data = {**data, "otp_code": _otp_text(data["otp_code"])}
        return super().to_internal_value(data)


# --- roles, policies and permissions (Guardian's objects) -------------------------------------
class AssignRoleInputSerializer(StrictInputSerializer):
    """`{"role_id"}`; the legacy key `role` is accepted too."""

    role_id = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    role = serializers.CharField(required=False, allow_blank=True, allow_null=True, help_text="Legacy name of role_id")


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
