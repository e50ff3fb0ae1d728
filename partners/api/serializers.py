"""Customer and subcontractor request/response shapes."""

from rest_framework import serializers

from identity.serializers import KeyedSerializerMixin, PhoneField, StrictModelSerializer
from partners.models import Customer, Subcontractor

PARTNER_KEYS = (
    "id",
    "name",
    "email",
    "contact_person",
    "phone_number",
    "address",
    "logo_file_id",
    "has_logo",
    "company_id",
    "created_at",
    "updated_at",
)
PARTNER_READ_ONLY = ["id", "logo_file_id", "has_logo", "company_id", "created_at", "updated_at"]
NULLABLE = {"allow_null": True, "required": False}


class PartnerSerializer(KeyedSerializerMixin, StrictModelSerializer):
    name = serializers.CharField(min_length=1, max_length=100)
    email = serializers.EmailField(max_length=100, required=False, allow_null=True)
    phone_number = PhoneField(max_length=50)
    company_id = serializers.UUIDField(read_only=True)


class CustomerSerializer(PartnerSerializer):
    keys = PARTNER_KEYS

    class Meta:
        model = Customer
        fields = list(PARTNER_KEYS)
        read_only_fields = PARTNER_READ_ONLY
        extra_kwargs = {"contact_person": NULLABLE, "address": NULLABLE}


class SubcontractorSerializer(PartnerSerializer):
    keys = (*PARTNER_KEYS, "description")

    class Meta:
        model = Subcontractor
        fields = [*PARTNER_KEYS, "description"]
        read_only_fields = PARTNER_READ_ONLY
        extra_kwargs = {"contact_person": NULLABLE, "address": NULLABLE, "description": NULLABLE}
