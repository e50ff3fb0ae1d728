"""`OPTIONS` answers (DRF's metadata): the token only, and never an error from the route's shape."""

from rest_framework.metadata import SimpleMetadata
from rest_framework.request import clone_request


class TokenOnlyMetadata(SimpleMetadata):
    """DRF's SimpleMetadata, describing the PUT/POST body of every route that has a serializer.

    DRF's own version asks the permissions and reads the path object for each write method; here OPTIONS needs
    only the token (docs/behaviour.md §1.5), so neither Guardian nor the database is consulted, and routes without a
    serializer (image uploads, the admin reset) are described without `actions` instead of failing.
    """

    def determine_actions(self, request, view):
        if not _has_serializer(view):
            return {}
        actions = {}
        for method in {"PUT", "POST"} & set(view.allowed_methods):
            view.request = clone_request(request, method)
            try:
                actions[method] = self.get_serializer_info(view.get_serializer())
            finally:
                view.request = request
        return actions


def _has_serializer(view) -> bool:
    from rest_framework.generics import GenericAPIView  # DRF's views module imports this one's class at start-up

    if not isinstance(view, GenericAPIView):
        return False
    overridden = type(view).get_serializer_class is not GenericAPIView.get_serializer_class
    return overridden or view.serializer_class is not None
