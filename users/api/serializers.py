"""User request/response shapes, and the shapes of a tenant bootstrap (`POST /init-db`, `init_identity`)."""

from rest_framework import serializers
from rest_framework.utils import html

from companies.api.serializers import CompanySerializer
from identity import files
from identity.exceptions import DomainError, Forbidden
from identity.serializers import PhoneField, StrictModelSerializer, iso_datetime, str_or_none
from org.api.serializers import OrganizationUnitSerializer, PositionSerializer, position_summary
from users.models import User

AVATAR_ON_CREATE = "An avatar cannot be uploaded when creating a user."
AVATAR_NOT_A_FILE = "The submitted data was not a file. Check the encoding type on the form."
BOOTSTRAP_REQUIRED = "'company' and 'user' data are required."

USER_KEYS = (
    "id", "email", "first_name", "last_name", "language", "phone_number", "avatar_file_id", "has_avatar",
    "is_active", "is_verified", "last_login_at", "position_id", "company_id", "password_reset_required",
    "last_password_change", "created_at", "updated_at",
)




class UserSerializer(StrictModelSerializer):
    """A user; `position` ({id, title, description, level, organization_unit_id} or null) is added with
    `expand=position`. Output is written by hand so that a page of 1000 users stays cheap."""

    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, required=False, trim_whitespace=False,
                                     style={"input_type": "password"})
    phone_number = PhoneField(max_length=50)
    position_id = serializers.UUIDField(required=False, allow_null=True)
    company_id = serializers.UUIDField(read_only=True)

    # Columns `to_representation` reads: lists without `expand` fetch just these, as named tuples.
    row_fields = USER_KEYS

    class Meta:
        model = User
        fields = [*USER_KEYS, "password"]
        read_only_fields = [
            "id", "avatar_file_id", "has_avatar", "last_login_at", "company_id", "last_password_change",
            "created_at", "updated_at",
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
        boolean as False) and an empty string is null for nullable fields."""
        values = {}
        for key in data:
            if key == "avatar":
                continue
            value = data.get(key)
            field = self.fields.get(key)
            if value == "" and field is not None and field.allow_null:
                value = None
            values[key] = value
        return values

    def _avatar(self, upload) -> files.Upload:
        """The `avatar` part, validated (contract §6.6): refused on create, 403 on another user than the caller."""
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
            raise serializers.ValidationError(exc.errors["avatar"]) from None
        return files.Upload(image=image, token=request.auth)

    def to_representation(self, user):
        data = {
            "id": str(user.id),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
            "phone_number": user.phone_number,
            "avatar_file_id": user.avatar_file_id,
            "has_avatar": user.has_avatar,
            "is_active": user.is_active,
            "is_verified": user.is_verified,
            "last_login_at": iso_datetime(user.last_login_at),
            "position_id": str_or_none(user.position_id),
            "company_id": str_or_none(user.company_id),
            "password_reset_required": user.password_reset_required,
            "last_password_change": iso_datetime(user.last_password_change),
            "created_at": iso_datetime(user.created_at),
            "updated_at": iso_datetime(user.updated_at),
        }
        if "position" in self.context.get("expand", ()):
            data["position"] = position_summary(user.position) if user.position_id is not None else None
        return data


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
