"""Customer and subcontractor request/response shapes."""

from rest_framework import serializers

from identity.serializers import PhoneField, StrictModelSerializer
from partners.models import Customer, Subcontractor

PARTNER_FIELDS = [
    "id", "name", "email", "contact_person", "phone_number", "address", "logo_file_id", "has_logo", "company_id",
    "created_at", "updated_at",
]
PARTNER_READ_ONLY = ["id", "logo_file_id", "has_logo", "company_id", "created_at", "updated_at"]
NULLABLE = {"allow_null": True, "required": False}


class PartnerSerializer(StrictModelSerializer):
    name = serializers.CharField(min_length=1, max_length=100)
    email = serializers.EmailField(max_length=100, required=False, allow_null=True)
    phone_number = PhoneField(max_length=50)
    company_id = serializers.UUIDField(read_only=True)


class CustomerSerializer(PartnerSerializer):
    class Meta:
        model = Customer
        fields = PARTNER_FIELDS
        read_only_fields = PARTNER_READ_ONLY
        extra_kwargs = {"contact_person": NULLABLE, "address": NULLABLE}


class SubcontractorSerializer(PartnerSerializer):
    class Meta:
        model = Subcontractor
        fields = [*PARTNER_FIELDS, "description"]
        read_only_fields = PARTNER_READ_ONLY
        extra_kwargs = {"contact_person": NULLABLE, "address": NULLABLE, "description": NULLABLE}
