"""Root URLs: the contract's paths, the docs and the admin."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
    SpectacularYAMLAPIView,
)

from identity import health
from identity.views import ConfigView, VersionView

handler400 = "identity.exception_handler.bad_request_view"
handler403 = "identity.exception_handler.permission_denied_view"
handler404 = "identity.exception_handler.not_found_view"
handler500 = "identity.exception_handler.server_error_view"

urlpatterns = [
    re_path(r"^health/?$", health.health, name="health"),
    re_path(r"^health/live/?$", health.live, name="health-live"),
    re_path(r"^health/ready/?$", health.ready, name="health-ready"),
    re_path(r"^version/?$", VersionView.as_view(), name="version"),
    re_path(r"^config/?$", ConfigView.as_view(), name="config"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi-json"),
    path("openapi.yaml", SpectacularYAMLAPIView.as_view(), name="openapi-yaml"),
    path("docs", SpectacularSwaggerView.as_view(url_name="openapi-json"), name="docs"),
    path("redoc", SpectacularRedocView.as_view(url_name="openapi-json"), name="redoc"),
    path("admin/", admin.site.urls),
    path("", include("companies.api.urls")),
    path("", include("org.api.urls")),
    path("", include("partners.api.urls")),
    # Static segments first: /users/me/…, /users/password-reset/…, /verify_password, /init-db.
    path("", include("users.api.credential_urls")),
    path("", include("users.api.urls")),
]
