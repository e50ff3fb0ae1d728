"""Root URLs: the API's paths (docs/behaviour.md), the docs and the admin."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularYAMLAPIView

from identity.docs import RedocView, SwaggerView
from identity.exception_handler import not_found_view
from identity.health import HealthView, LiveView, MetricsView, ReadyView
from identity.routers import FirstSegmentResolver
from identity.views import ConfigView, VersionView

handler400 = "identity.exception_handler.bad_request_view"
handler403 = "identity.exception_handler.permission_denied_view"
handler404 = "identity.exception_handler.not_found_view"
handler500 = "identity.exception_handler.server_error_view"

routes = [
    re_path(r"^health/?$", HealthView.as_view(), name="health"),
    re_path(r"^health/live/?$", LiveView.as_view(), name="health-live"),
    re_path(r"^health/ready/?$", ReadyView.as_view(), name="health-ready"),
    re_path(r"^metrics/?$", MetricsView.as_view(), name="metrics"),
    re_path(r"^version/?$", VersionView.as_view(), name="version"),
    re_path(r"^config/?$", ConfigView.as_view(), name="config"),
    re_path(r"^openapi\.json/?$", SpectacularJSONAPIView.as_view(), name="openapi-json"),
    re_path(r"^openapi\.yaml/?$", SpectacularYAMLAPIView.as_view(), name="openapi-yaml"),
    re_path(r"^docs/?$", SwaggerView.as_view(url_name="openapi-json"), name="docs"),
    re_path(r"^redoc/?$", RedocView.as_view(url_name="openapi-json"), name="redoc"),
    path("admin/", admin.site.urls),
    path("", include("companies.api.urls")),
    path("", include("org.api.urls")),
    path("", include("partners.api.urls")),
    path("", include("users.api.urls")),
    path("", include("identity.audit_api")),
    # Last: any other path answers the envelope's 404, also with DEBUG on (Django's debug page would list routes).
    re_path(r"^.*$", not_found_view, name="not-found"),
]
# Tried by first path segment (identity.routers.FirstSegmentResolver): the match of trying them all in order.
urlpatterns = [FirstSegmentResolver(routes)]
