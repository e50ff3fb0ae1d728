"""The HTTP half of avatars and logos (docs/behaviour.md §8): `POST · GET · DELETE /<owners>/{id}/<avatar|logo>`."""

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
from identity.viewsets import CompanySubresourceViewSet

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


def image_action(model):
    """The `@action` of the image `model` declares (`image_slot`), with its OpenAPI description: POST multipart,
    GET bytes, DELETE."""
    slot = model.image_slot
    field, component = slot.field, slot.resource.title().replace("_", "")
    uploaded = inline_serializer(
        f"{component}Uploaded",
        {
            "message": serializers.CharField(),
            slot.id_field: serializers.CharField(),
            slot.flag_field: serializers.BooleanField(),
        },
    )
    upload_body = inline_serializer(f"{component}Upload", {field: serializers.FileField()})
    only_self = " User avatars: only the user itself, else 403."

    def endpoint(self, request, **kwargs):
        return self.image(request)

    endpoint.__name__ = field
    method = action(
        detail=True,
        methods=["get", "post", "delete"],
        url_path=field,
        guardian_resource=slot.resource,
        guardian_operations=OPERATIONS,
        parser_classes=[StrictMultiPartParser],
    )(endpoint)
    method = extend_schema(
        methods=["POST"],
        request={"multipart/form-data": upload_body},
        responses={201: uploaded},
        summary=f"Upload the {field} (JPEG, PNG, GIF, BMP, WebP)",
        description=f"Multipart part `{field}`: a JPEG, PNG, GIF, BMP or WebP image judged "
        "from its bytes, at most MAX_AVATAR_SIZE_MB MiB; replaces the previous file." + only_self,
    )(method)
    method = extend_schema(
        methods=["GET"],
        request=None,
        responses={
            **{
                (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description="The image bytes")
                for media_type in sorted(files.CONTENT_TYPES.values())
            },
            304: OpenApiResponse(description="Not modified (If-None-Match)"),
        },
        summary=f"The {field} image",
        description="The bytes with their stored Content-Type, "
        "`Cache-Control: private, max-age=3600` and an ETag; a matching If-None-Match answers 304.",
    )(method)
    return extend_schema(
        methods=["DELETE"],
        request=None,
        responses={204: None},
        summary=f"Remove the {field}",
        description="Removes the file and clears the flag." + only_self,
    )(method)


def image_viewset(model, *, lookup_url_kwarg: str) -> type:
    """The viewset of the image `model` declares (`image_slot`): `/<owners>/{<lookup_url_kwarg>}/<field>`, for the
    app's router (`router.register("customers", image_viewset(Customer, lookup_url_kwarg="customer_id"))`)."""
    field = model.image_slot.field
    return type(
        f"{model.__name__}{field.title()}ViewSet",
        (ImageViewSet,),
        {
            "__module__": model.__module__,
            "queryset": model.objects.all(),
            "lookup_url_kwarg": lookup_url_kwarg,
            field: image_action(model),
        },
    )


class ImageViewSet(CompanySubresourceViewSet):
    """One owner's avatar or logo (see `image_viewset`); everything comes from the model's `image_slot`."""

    content_negotiation_class = AnyAcceptNegotiation

    @property
    def slot(self):
        return self.queryset.model.image_slot

    @property
    def no_file_message(self) -> str:
        """ "User has no avatar", "Customer has no logo", …"""
        return f"{self.queryset.model._meta.verbose_name.capitalize()} has no {self.slot.field}"

    def image(self, request):
        owner = self.get_object()
        if self.slot.self_only and request.method in ("POST", "DELETE") and str(owner.pk) != str(request.user.pk):
            raise Forbidden(files.OTHER_USERS_AVATAR)
        handler = {"POST": self._upload, "DELETE": self._delete}.get(request.method, self._download)
        try:
            return handler(request, owner)
        except type(owner).DoesNotExist:  # deleted meanwhile
            raise NotFound(self.get_not_found_message()) from None

    # --- the three operations -------------------------------------------------------------
    def _upload(self, request, owner):
        field = self.slot.field
        upload = request.FILES.get(field)
        if upload is None:
            raise ValidationFailed(f"No {field} file provided")
        image = files.validate_image(upload, field=field)
        file_id = files.attach(owner, files.Upload(image, request.auth))
        return Response(
            {
                "message": f"{field.capitalize()} uploaded successfully",
                self.slot.id_field: file_id,
                self.slot.flag_field: True,
            },
            status=status.HTTP_201_CREATED,
        )

    def _download(self, request, owner):
        stored = files.load(files.location_of(owner), self._file_id(owner), token=request.auth)
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
        files.detach(owner, token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _file_id(self, owner) -> str:
        file_id = getattr(owner, self.slot.id_field)
        if not file_id or not getattr(owner, self.slot.flag_field):
            raise NotFound(self.no_file_message)
        return file_id
