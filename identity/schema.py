"""OpenAPI: the cookie security scheme and the shared error shape."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter


class CookieJWTScheme(OpenApiAuthenticationExtension):
    target_class = "identity.authentication.CookieJWTAuthentication"
    name = ["cookieAuth", "bearerAuth"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "cookie", "name": "access_token"},
            {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        ]


class AutoSchema(BaseAutoSchema):
    """Tags each operation by its first path segment; documents `sort`/`order` and `expand` where they apply."""

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        view = self.view
        action = getattr(view, "action", None)
        filterset_class = getattr(view, "filterset_class", None)
        if action == "list" and filterset_class is not None:
            params += [
                OpenApiParameter("sort", OpenApiTypes.STR, enum=list(filterset_class.sort_fields),
                                 description="Sort key (unknown → created_at); ties broken by id"),
                OpenApiParameter("order", OpenApiTypes.STR, enum=["asc", "desc"], description="Sort direction"),
            ]
        expandable = getattr(view, "expandable", None)
        if expandable and action in ("list", "retrieve"):
            params.append(OpenApiParameter("expand", OpenApiTypes.STR,
                                           description="Comma-separated: " + ", ".join(sorted(expandable))))
        return params

    def get_tags(self):
        segment = self.path.strip("/").split("/")[0] or "system"
        return [segment.replace("{", "").replace("}", "")]


def contract_paths(endpoints):
    """drf-spectacular preprocessing hook: document the contract's paths, without the optional trailing slash."""
    return [(path.rstrip("/") or "/", regex, method, callback) for path, regex, method, callback in endpoints]
