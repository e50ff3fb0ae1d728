"""The router: contract paths without a trailing slash (one is also accepted, no redirect), the Guardian
operations of the standard routes, and the root resolver that tries only the routes of a path's first segment."""

import re

from django.urls import URLPattern, URLResolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.functional import cached_property
from rest_framework.routers import SimpleRouter

from identity.permissions import COLLECTION_OPERATIONS, OBJECT_OPERATIONS


class Router(SimpleRouter):
    """The standard routes of a Guardian-guarded viewset carry their `guardian_operations` (by HTTP method) the
    way an `@action` declares its own: the collection `GET`→LIST, `POST`→CREATE; the object `GET`→READ,
    `PUT|PATCH`→UPDATE, `DELETE`→DELETE."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"

    def get_routes(self, viewset):
        routes = super().get_routes(viewset)
        if not hasattr(viewset, "guardian_operations"):  # a public or token-only viewset
            return routes
        standard = {id(route) for route in self.routes}
        return [
            route._replace(
                initkwargs={
                    **route.initkwargs,
                    "guardian_operations": OBJECT_OPERATIONS if route.detail else COLLECTION_OPERATIONS,
                }
            )
            if id(route) in standard
            else route
            for route in routes
        ]


# A pattern's literal first path segment: `^users/…`, `^health/?$`, `^openapi\.json/?$`, `admin/`. Anything else
# (a group, a class, an alternation, a quantified slash) may match any first segment.
_REGEX_SEGMENT = re.compile(r"\^((?:[A-Za-z0-9_-]|\\\.)+)(?:\$|/\?\$|/(?![?*+{]))")
_ROUTE_SEGMENT = re.compile(r"([A-Za-z0-9_.-]+)/")


def first_segment(pattern: URLPattern | URLResolver) -> str | None:
    """The literal first segment every path this pattern matches starts with, or None when there is none."""
    if isinstance(pattern.pattern, RegexPattern):
        regex = pattern.pattern._regex
        found = None if "|" in regex else _REGEX_SEGMENT.match(regex)
        return found.group(1).replace("\\.", ".") if found else None
    if isinstance(pattern.pattern, RoutePattern):
        found = _ROUTE_SEGMENT.match(str(pattern.pattern))
        return found.group(1) if found else None
    return None


def _flattened(patterns) -> list[URLPattern | URLResolver]:
    """The patterns in their order, with the plain `path("", include(...))` resolvers (no prefix, namespace or
    default arguments: they add nothing to a match) replaced by their own patterns."""
    flat: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if (
            isinstance(pattern, URLResolver)
            and str(pattern.pattern) in ("", "^")
            and not pattern.namespace
            and not pattern.app_name
            and not pattern.default_kwargs
        ):
            flat.extend(_flattened(pattern.url_patterns))
        else:
            flat.append(pattern)
    return flat


class FirstSegmentResolver(URLResolver):
    """The root URL patterns, tried only among those that can match the path's first segment.

    Django tries every pattern in order: a `/users/{id}` went through the thirty patterns declared before it, a
    tenth of a by-id GET's Python calls. Here the patterns are grouped once by their literal first segment (the
    ones without one belong to every group, the catch-all 404 among them) and a path tries its own group, in the
    declared order: the first pattern that matches is the one Django would pick. Reversing, the system checks and
    the schema see the declared patterns unchanged.
    """

    def __init__(self, patterns):
        super().__init__(RoutePattern(""), patterns)

    @cached_property
    def _groups(self) -> tuple[dict[str, URLResolver], URLResolver]:
        flat = [(first_segment(pattern), pattern) for pattern in _flattened(self.url_patterns)]
        segments = {segment for segment, _ in flat if segment is not None}
        groups = {
            segment: URLResolver(RoutePattern(""), [p for s, p in flat if s in (segment, None)]) for segment in segments
        }
        return groups, URLResolver(RoutePattern(""), [p for s, p in flat if s is None])

    def resolve(self, path):
        path = str(path)
        groups, rest = self._groups
        return groups.get(path.partition("/")[0], rest).resolve(path)
