"""The router: contract paths without a trailing slash, with one also accepted (no redirect)."""

from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"
