"""The root resolver tries a path's first-segment group only, and picks what trying every route in order picks
(docs/behaviour.md §1.1)."""

import pytest
from django.urls import URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern, URLPattern

from config.urls import routes
from identity.routers import first_segment

ID = "0b5f9a52-4d1e-4c7a-9a53-1f0c2f6f7e21"
PATHS = [
    "/",
    "/health",
    "/health/",
    "/health/live",
    "/health/ready/",
    "/healthz",
    "/metrics",
    "/openapi.json",
    "/openapi.yaml/",
    "/openapiXjson",
    "/docs",
    "/redoc",
    "/admin/",
    "/admin/login/",
    "/adminx/",
    "/companies",
    f"/companies/{ID}",
    f"/companies/{ID}/logo/",
    f"/organization_units/{ID}/children",
    "/positions",
    f"/positions/{ID}/users",
    f"/users/{ID}",
    f"/users/{ID}/",
    "/users/me/change-password",
    "/users/password-reset/request",
    f"/users/{ID}/roles/{ID}",
    "/users/not-a-uuid/avatar",
    f"/users/{ID}/unknown",
    "/usersX",
    "/customers/",
    f"/subcontractors/{ID}/logo",
    "/audit-events",
    "/verify_password",
    "/init-db/",
    "/nowhere/at/all",
]


def _linear() -> URLResolver:
    return URLResolver(RegexPattern(r"^/"), routes)


@pytest.mark.parametrize("path", PATHS)
def test_the_first_segment_groups_resolve_as_the_declared_order(path):
    grouped, linear = get_resolver().resolve(path), _linear().resolve(path)
    assert (grouped.func, grouped.args, grouped.kwargs) == (linear.func, linear.args, linear.kwargs)
    assert (grouped.url_name, grouped.route, grouped.namespaces) == (linear.url_name, linear.route, linear.namespaces)


def test_reverse_sees_the_declared_routes():
    assert reverse("health") == "/health"
    assert reverse("admin:index") == "/admin/"


@pytest.mark.parametrize(
    "pattern, segment",
    [
        (r"^users/?$", "users"),
        (r"^users/(?P<user_id>[^/]+)/?$", "users"),
        (r"^openapi\.json/?$", "openapi.json"),
        (r"^health$", "health"),
        (r"^.*$", None),
        (r"^users/*", None),
        (r"^users", None),
        (r"^users/|^admin/", None),
        (r"^(?i)users/", None),
        (r"users/", None),
    ],
)
def test_a_regex_has_a_first_segment_only_when_every_match_starts_with_it(pattern, segment):
    assert first_segment(URLPattern(RegexPattern(pattern), lambda request: None)) == segment


@pytest.mark.parametrize("route, segment", [("admin/", "admin"), ("admin", None), ("<int:pk>/", None), ("", None)])
def test_a_route_prefix_has_a_first_segment_only_before_a_slash(route, segment):
    assert first_segment(URLResolver(RoutePattern(route), [])) == segment
