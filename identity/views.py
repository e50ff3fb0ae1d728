"""`/version` and `/config` (token + Guardian)."""

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from identity.version import VERSION


def mask_url(url: str) -> str:
    """The URL with its password replaced by `***` (no secret value ever leaves)."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    userinfo = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{userinfo}:***@{netloc[1]}"))


class VersionView(APIView):
    guardian_resource = "version"
    guardian_operations = {"GET": "LIST"}

    @extend_schema(responses=inline_serializer("Version", {"version": serializers.CharField()}))
    def get(self, request):
        return Response({"version": VERSION})


class ConfigView(APIView):
    guardian_resource = "config"
    guardian_operations = {"GET": "READ"}

    @extend_schema(responses={200: {"type": "object", "additionalProperties": True}})
    def get(self, request):
        s = settings
        return Response(
            {
                "APP_ENV": s.APP_ENV,
                "LOG_LEVEL": s.LOG_LEVEL,
                "DATABASE_URL": mask_url(s.DATABASE_URL) or "sqlite (embedded)",
                "JWT_SECRET_SET": bool(s.JWT_SECRET),
                "INTERNAL_AUTH_TOKEN_SET": bool(s.INTERNAL_AUTH_TOKEN),
                "USE_GUARDIAN_SERVICE": s.USE_GUARDIAN_SERVICE,
                "GUARDIAN_SERVICE_URL": mask_url(s.GUARDIAN_SERVICE_URL),
                "GUARDIAN_SERVICE_TIMEOUT": s.GUARDIAN_SERVICE_TIMEOUT,
                "USE_STORAGE_SERVICE": s.USE_STORAGE_SERVICE,
                "STORAGE_SERVICE_URL": mask_url(s.STORAGE_SERVICE_URL),
                "STORAGE_REQUEST_TIMEOUT": s.STORAGE_REQUEST_TIMEOUT,
                "MAX_AVATAR_SIZE_MB": s.MAX_AVATAR_SIZE_MB,
                "USE_EMAIL_SERVICE": s.USE_EMAIL_SERVICE,
                "MAIL_SERVER": s.MAIL_SERVER,
                "MAIL_PORT": s.MAIL_PORT,
                "MAIL_USE_TLS": s.MAIL_USE_TLS,
                "MAIL_USE_SSL": s.MAIL_USE_SSL,
                "MAIL_USERNAME": s.MAIL_USERNAME,
                "MAIL_DEFAULT_SENDER": s.MAIL_DEFAULT_SENDER,
                "RATELIMIT_ENABLED": s.RATELIMIT_ENABLED,
                "CACHE_URL": mask_url(s.CACHE_URL) or "locmem",
                "PASSWORD_RESET_OTP_TTL_MINUTES": s.PASSWORD_RESET_OTP_TTL_MINUTES,
                "PASSWORD_RESET_OTP_MAX_ATTEMPTS": s.PASSWORD_RESET_OTP_MAX_ATTEMPTS,
            }
        )
