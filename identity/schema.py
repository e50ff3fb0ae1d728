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


# Keys that appear only when `expand` asks for them (contract §5): documented, never required.
EXPAND_KEYS = frozenset({"parent", "children", "positions", "organization_unit", "position"})

ERROR_SCHEMA = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "reason": {"type": "string", "description": "Guardian's reason, on a 403 denial"},
    },
}
ERROR_TEXTS = {
    "400": "Validation error, malformed id or body",
    "401": "Missing or invalid JWT token",
    "403": "Denied by Guardian",
    "404": "Resource not found (also another company's)",
    "409": "Conflict",
    "503": "Guardian or the database unavailable",
}


def contract_shapes(result, generator, request, public):
    """drf-spectacular postprocessing hook: the shared error envelope on every operation, UUID path ids, and
    expand-only keys marked optional."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for component in schemas.values():
        if "required" in component:
            component["required"] = [key for key in component["required"] if key not in EXPAND_KEYS]
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter["name"].endswith("_id"):
                    parameter["schema"] = {"type": "string", "format": "uuid"}
            codes = []
            if operation.get("security") != [{}]:
                codes += ["401", "403", "503"]
            if "{" in path:
                codes += ["400", "404"]
            if method in ("post", "put", "patch"):
                codes += ["400", "409"]
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, {
                    "description": ERROR_TEXTS[code],
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                })
    return result
