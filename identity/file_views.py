"""The HTTP half of avatars and logos (contract §8): `POST · GET · DELETE /<owners>/{id}/<avatar|logo>`."""

import hashlib

from django.http import HttpResponse
from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from identity import files
from identity.exceptions import Forbidden, NotFound, ValidationFailed
from identity.parsers import StrictMultiPartParser
from identity.viewsets import CompanyScopedViewSet

CACHE_CONTROL = "private, max-age=3600"
OPERATIONS = {"POST": "UPDATE", "GET": "READ", "DELETE": "DELETE"}


class AnyAcceptNegotiation(DefaultContentNegotiation):
    """An image endpoint answers whatever the client accepts (`Accept: image/png` included): bytes on success,
    the JSON envelope otherwise — never 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except drf_exceptions.NotAcceptable:
            return renderers[0], renderers[0].media_type


def image_endpoint(*, url_path: str, resource: str, field: str):
    """The `@action` of one image endpoint with its OpenAPI description (POST multipart, GET bytes, DELETE)."""
    id_key, flag_key = f"{field}_file_id", f"has_{field}"
    uploaded = inline_serializer(f"{resource.title().replace('_', '')}Uploaded", {
        "message": serializers.CharField(), id_key: serializers.CharField(), flag_key: serializers.BooleanField(),
    })
    upload_body = inline_serializer(f"{resource.title().replace('_', '')}Upload", {field: serializers.FileField()})

    def decorate(method):
        method = action(detail=True, methods=["get", "post", "delete"], url_path=url_path,
                        guardian_resource=resource, guardian_operations=OPERATIONS,
                        parser_classes=[StrictMultiPartParser])(method)
        method = extend_schema(methods=["POST"], request={"multipart/form-data": upload_body},
                               responses={201: uploaded}, summary=f"Upload the {field} (JPEG, PNG, GIF, BMP, WebP)",
                               description=f"Multipart part `{field}`: a JPEG, PNG, GIF, BMP or WebP image judged "
                               "from its bytes, at most MAX_AVATAR_SIZE_MB MiB; replaces the previous file. "
                               "User avatars: only the user itself, else 403.")(method)
        method = extend_schema(methods=["GET"], request=None, responses={
            **{(200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description="The image bytes")
               for media_type in sorted(files.CONTENT_TYPES.values())},
            304: OpenApiResponse(description="Not modified (If-None-Match)"),
        }, summary=f"The {field} image", description="The bytes with their stored Content-Type, "
            "`Cache-Control: private, max-age=3600` and an ETag; a matching If-None-Match answers 304.")(method)
        return extend_schema(methods=["DELETE"], request=None, responses={204: None},
                             summary=f"Remove the {field}", description="Removes the file and clears the flag. "
                             "User avatars: only the user itself, else 403.")(method)

    return decorate


class ImageViewSet(CompanyScopedViewSet):
    """One owner's avatar or logo. Subclasses declare the owner and call `self.image(request)` from their action."""

    content_negotiation_class = AnyAcceptNegotiation
    filter_backends = []
    pagination_class = None
    file_kind: str = ""  # avatar | company_logo | customer_logo | subcontractor_logo
    file_field: str = ""  # avatar | logo (the multipart part and the `<field>_file_id` / `has_<field>` keys)
    self_only = False  # only the owner itself may POST/DELETE (user avatars)

    @property
    def no_file_message(self) -> str:
        """"User has no avatar", "Customer has no logo", …"""
        return f"{self.queryset.model._meta.verbose_name.capitalize()} has no {self.file_field}"

    @property
    def uploaded_message(self) -> str:
        return f"{self.file_field.capitalize()} uploaded successfully"

    def swap(self, owner, file_id: str | None) -> str | None:
        """Records `file_id` (None: none) on the owner through its app's service; returns the previous id."""
        raise NotImplementedError

    def image(self, request):
        owner = self.get_object()
        if self.self_only and request.method in ("POST", "DELETE") and str(owner.pk) != str(request.user.pk):
            raise Forbidden(files.OTHER_USERS_AVATAR)
        handler = {"POST": self._upload, "DELETE": self._delete}.get(request.method, self._download)
        return handler(request, owner)

    # --- the three operations -------------------------------------------------------------
    def _upload(self, request, owner):
        upload = request.FILES.get(self.file_field)
        if upload is None:
            raise ValidationFailed(f"No {self.file_field} file provided")
        image = files.validate_image(upload, field=self.file_field)
        file_id = files.attach(files.location_for(self.file_kind, owner), files.Upload(image, request.auth),
                               swap=lambda new_id: self._swap(owner, new_id))
        return Response({"message": self.uploaded_message, f"{self.file_field}_file_id": file_id,
                         f"has_{self.file_field}": True}, status=status.HTTP_201_CREATED)

    def _download(self, request, owner):
        file_id = self._file_id(owner)
        stored = files.load(files.location_for(self.file_kind, owner), file_id, token=request.auth)
        if stored is None:
            raise NotFound(self.no_file_message)
        etag = f'"{hashlib.sha256(stored.content).hexdigest()[:32]}"'
        # If-None-Match compares weakly (RFC 9110 §13.1.2): a `W/` prefix does not matter.
        wanted = {tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))}
        if etag in wanted or "*" in wanted:
            response = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
        else:
            response = HttpResponse(stored.content, content_type=stored.content_type)
        response["ETag"] = etag
        response["Cache-Control"] = CACHE_CONTROL
        return response

    def _delete(self, request, owner):
        self._file_id(owner)
        files.detach(files.location_for(self.file_kind, owner), swap=lambda new_id: self._swap(owner, new_id),
                     token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- helpers ---------------------------------------------------------------------------
    def _file_id(self, owner) -> str:
        file_id = getattr(owner, f"{self.file_field}_file_id")
        if not file_id or not getattr(owner, f"has_{self.file_field}"):
            raise NotFound(self.no_file_message)
        return file_id

    def _swap(self, owner, file_id):
        try:
            return self.swap(owner, file_id)
        except type(owner).DoesNotExist:  # deleted meanwhile
            raise NotFound(self.get_not_found_message()) from None
