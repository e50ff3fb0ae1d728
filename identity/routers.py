"""The router: contract paths without a trailing slash (one is also accepted, no redirect), and the Guardian
operations of the standard routes."""

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
