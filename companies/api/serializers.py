"""Company request/response shapes."""

from rest_framework import serializers

from companies.models import Company
from identity.serializers import KeyedSerializerMixin, PhoneField, StrictModelSerializer

COMPANY_KEYS = (
    "id",
    "name",
    "description",
    "website",
    "phone_number",
    "email",
    "address",
    "postal_code",
    "city",
    "country",
    "logo_file_id",
    "has_logo",
    "created_at",
    "updated_at",
)


class CompanySerializer(KeyedSerializerMixin, StrictModelSerializer):
    name = serializers.CharField(min_length=1, max_length=100)
    website = serializers.URLField(max_length=255, required=False, allow_null=True)
    email = serializers.EmailField(max_length=100, required=False, allow_null=True)
    phone_number = PhoneField(max_length=20)

    keys = COMPANY_KEYS

    class Meta:
        model = Company
        fields = list(COMPANY_KEYS)
        read_only_fields = ["id", "logo_file_id", "has_logo", "created_at", "updated_at"]
        extra_kwargs = {
            "description": {"allow_null": True, "required": False},
            "address": {"allow_null": True, "required": False},
            "postal_code": {"allow_null": True, "required": False},
            "city": {"allow_null": True, "required": False},
            "country": {"allow_null": True, "required": False},
        }
