"""What operators poll: the health probes `/health`, `/health/live`, `/health/ready`, and `/metrics`."""

import hmac
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from prometheus_client import CONTENT_TYPE_LATEST
from rest_framework import exceptions, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from identity.metrics import exposition
from identity.version import VERSION

_CHECK = inline_serializer(
    "HealthCheck",
    {
        "healthy": serializers.BooleanField(),
        "message": serializers.CharField(),
        "response_time_ms": serializers.FloatField(required=False),
    },
)


def _check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return {
            "healthy": False,
            "message": "Database connection failed",
            "response_time_ms": round((time.perf_counter() - started) * 1000, 2),
        }
    return {
        "healthy": True,
        "message": "Database connection successful",
        "response_time_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def _check_cache() -> dict:
    try:
        cache.set("health:ping", "1", 5)
        healthy = cache.get("health:ping") == "1"
    except Exception:
        healthy = False
    return {"healthy": healthy, "message": "Cache reachable" if healthy else "Cache unreachable"}


class PublicProbe(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]


class HealthView(PublicProbe):
    @extend_schema(
        operation_id="health",
        responses={
            (200, "application/json"): inline_serializer(
                "Health",
                {
                    "status": serializers.CharField(),
                    "service": serializers.CharField(),
                    "timestamp": serializers.DateTimeField(),
                    "version": serializers.CharField(),
                    "environment": serializers.CharField(),
                    "checks": inline_serializer("HealthChecks", {"database": _CHECK}),
                },
            ),
            (503, "application/json"): inline_serializer("Unhealthy", {"status": serializers.CharField()}),
        },
    )
    def get(self, request):
        database = _check_database()
        healthy = database["healthy"]
        body = {
            "status": "healthy" if healthy else "unhealthy",
            "service": settings.SERVICE_NAME,
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "version": VERSION,
            "environment": settings.APP_ENV,
            "checks": {"database": database},
        }
        return Response(body, status=200 if healthy else 503)


class LiveView(PublicProbe):
    @extend_schema(operation_id="health_live", responses=inline_serializer("Live", {"status": serializers.CharField()}))
    def get(self, request):
        return Response({"status": "alive"})


class ReadyView(PublicProbe):
    @extend_schema(
        operation_id="health_ready",
        responses={
            (200, "application/json"): inline_serializer(
                "Ready",
                {
                    "status": serializers.CharField(),
                    "checks": inline_serializer("ReadyChecks", {"database": _CHECK, "cache": _CHECK}),
                },
            ),
            (503, "application/json"): inline_serializer("NotReady", {"status": serializers.CharField()}),
        },
    )
    def get(self, request):
        checks = {"database": _check_database(), "cache": _check_cache()}
        healthy = all(check["healthy"] for check in checks.values())
        return Response(
            {"status": "ready" if healthy else "not_ready", "checks": checks}, status=200 if healthy else 503
        )


class _AnyAccept(BaseContentNegotiation):
    """Scrapers ask for text formats; errors still answer the JSON envelope."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class MetricsView(PublicProbe):
    """`GET /metrics`: Bearer METRICS_TOKEN when set; without one, only where settings allow it (else 404)."""

    content_negotiation_class = _AnyAccept

    @extend_schema(
        operation_id="metrics",
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="Prometheus text exposition"),
        },
    )
    def get(self, request):
        token = settings.METRICS_TOKEN
        if token:
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
                raise exceptions.AuthenticationFailed("Missing or invalid metrics token")
        elif not settings.METRICS_WITHOUT_TOKEN:
            raise exceptions.NotFound()
        return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)

    def get_authenticate_header(self, request):
        return "Bearer"
