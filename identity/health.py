"""Public health probes: `/health`, `/health/live`, `/health/ready`."""

import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from identity.version import VERSION


def _check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means unhealthy; the reason is not for the public
        return {"healthy": False, "message": "Database connection failed",
                "response_time_ms": round((time.perf_counter() - started) * 1000, 2)}
    return {"healthy": True, "message": "Database connection successful",
            "response_time_ms": round((time.perf_counter() - started) * 1000, 2)}


def _check_cache() -> dict:
    try:
        cache.set("health:ping", "1", 5)
        healthy = cache.get("health:ping") == "1"
    except Exception:  # noqa: BLE001
        healthy = False
    return {"healthy": healthy, "message": "Cache reachable" if healthy else "Cache unreachable"}


@require_GET
def health(request):
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
    return JsonResponse(body, status=200 if healthy else 503)


@require_GET
def live(request):
    return JsonResponse({"status": "alive"})


@require_GET
def ready(request):
    checks = {"database": _check_database(), "cache": _check_cache()}
    healthy = all(check["healthy"] for check in checks.values())
    return JsonResponse({"status": "ready" if healthy else "not_ready", "checks": checks},
                        status=200 if healthy else 503)
