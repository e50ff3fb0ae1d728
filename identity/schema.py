"""OpenAPI: the cookie security scheme and the shared error shape."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema


class CookieJWTScheme(OpenApiAuthenticationExtension):
    target_class = "identity.authentication.CookieJWTAuthentication"
    name = ["cookieAuth", "bearerAuth"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "cookie", "name": "access_token"},
            {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        ]


class AutoSchema(BaseAutoSchema):
    """Tags each operation by its first path segment."""

    def get_tags(self):
        segment = self.path.strip("/").split("/")[0] or "system"
        return [segment.replace("{", "").replace("}", "")]
