"""`GET|POST /init-db`: the public, one-shot creation of the first tenant (contract §10)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from identity.ratelimit import ip_rate_limit
from users import selectors, services
from users.api.serializers import bootstrap_representation, validate_bootstrap


class InitDbView(APIView):
    """Public: whether the identity store holds anything, and its one-shot initialisation."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses=inline_serializer("InitDbState", {"initialized": serializers.BooleanField()}))
    def get(self, request):
        return Response({"initialized": selectors.identity_initialized()})

    @extend_schema(
        request=inline_serializer("InitDb", {"company": serializers.DictField(),
                                                    "user": serializers.DictField()}),
        responses={201: {"type": "object", "properties": {name: {"type": "object"} for name in
                                                          ("company", "organization_unit", "position", "user")}}},
    )
    @ip_rate_limit("init_db", "RATELIMIT_INIT_DB")
    def post(self, request):
        # The emptiness check comes first and holds for the whole transaction, so the body is read inside it.
        with services.identity_init_guard():
            company_data, user_data = validate_bootstrap(request.data)
            result = services.tenant_bootstrap(company_data=company_data, user_data=user_data)
        return Response(bootstrap_representation(result), status=status.HTTP_201_CREATED)
