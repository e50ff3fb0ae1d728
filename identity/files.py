"""Avatars and logos: image validation and where their bytes live (Django's storage API, or the Storage service)."""

import io
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image as PILImage

from identity import audit
from identity.exceptions import Unavailable, ValidationFailed
from identity.services import delete_row

logger = logging.getLogger(__name__)

STORAGE_UNAVAILABLE = "Storage service unavailable"
EMPTY_FILE = "The submitted file is empty."
NOT_AN_IMAGE = "Upload a valid image: JPEG, PNG, GIF, BMP or WebP."
OTHER_USERS_AVATAR = "Access denied: cannot manage other user's avatar"

# Pillow's format name -> (content type, file extension)
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),  # Pillow's name for a JPEG carrying several pictures (many phone cameras)
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "BMP": ("image/bmp", "bmp"),
    "WEBP": ("image/webp", "webp"),
}
CONTENT_TYPES = {ext: content_type for content_type, ext in FORMATS.values()}


@dataclass(frozen=True)
class Image:
    content: bytes
    content_type: str
    ext: str


@dataclass(frozen=True)
class Upload:
    """A validated image with the caller's token, which the Storage service needs to accept it."""

    image: Image
    token: str | None


@dataclass(frozen=True)
class StoredFile:
    content: bytes
    content_type: str


@dataclass(frozen=True)
class Location:
    """Where an owner's file lives: `kind` is avatar, company_logo, customer_logo or subcontractor_logo."""

    kind: str
    owner_id: str
    company_id: str

    @property
    def folder(self) -> str:
        return f"{self.kind}s/{self.owner_id}"


def location_for(kind: str, owner) -> Location:
    """The location of the avatar of a user or the logo of a company, customer or subcontractor."""
    company_id = getattr(owner, "company_id", owner.pk)  # a company is its own tenant
    return Location(kind=kind, owner_id=str(owner.pk), company_id=str(company_id))


def location_of(owner) -> Location:
    """Where the image its model declares (`image_slot`) lives."""
    return location_for(type(owner).image_slot.kind, owner)


def max_size_bytes() -> int:
    return settings.MAX_AVATAR_SIZE_MB * 1024 * 1024


def validate_image(upload, *, field: str) -> Image:
    """The upload's bytes and type when it is a non-empty JPEG/PNG/GIF/BMP/WebP image within MAX_AVATAR_SIZE_MB,
    judged by Pillow from the bytes (the declared type and name are ignored); else ValidationFailed on `field`."""
    size = getattr(upload, "size", None)
    limit = max_size_bytes()
    if size is not None and size > limit:
        raise ValidationFailed.field(field, _too_large())
    upload.seek(0)
    content = upload.read(limit + 1)
    if not content:
        raise ValidationFailed.field(field, EMPTY_FILE)
    if len(content) > limit:
        raise ValidationFailed.field(field, _too_large())
    try:
        with PILImage.open(io.BytesIO(content)) as picture:
            kind = picture.format
            picture.verify()  # checks the structure without decoding every pixel
    except Exception:  # Pillow raises many types (UnidentifiedImageError, SyntaxError, struct.error, bombs…)
        raise ValidationFailed.field(field, NOT_AN_IMAGE) from None
    if kind not in FORMATS:
        raise ValidationFailed.field(field, NOT_AN_IMAGE)
    content_type, ext = FORMATS[kind]
    return Image(content=content, content_type=content_type, ext=ext)


def _too_large() -> str:
    return f"File too large: the maximum size is {settings.MAX_AVATAR_SIZE_MB} MB."


# --- where the bytes live ---------------------------------------------------------------------
def _service():
    from identity.clients import storage  # imported lazily: only deployments with the Storage service use it

    return storage


def save(location: Location, image: Image, *, token: str | None) -> str:
    """Stores the image and returns its new file id; Unavailable when it cannot be stored."""
    if settings.USE_STORAGE_SERVICE:
        return _service().upload(location, image, token=token)
    file_id = str(uuid.uuid4())
    try:
        default_storage.save(f"{location.folder}/{file_id}.{image.ext}", ContentFile(image.content))
    except Exception:
        logger.exception("Storing %s of %s failed", location.kind, location.owner_id)
        raise Unavailable(STORAGE_UNAVAILABLE) from None
    return file_id


def _local_name(location: Location, file_id: str) -> str | None:
    try:
        _, names = default_storage.listdir(location.folder)
    except FileNotFoundError:
        return None
    prefix = f"{file_id}."
    for name in names:
        if name.startswith(prefix) and name[len(prefix) :] in CONTENT_TYPES:
            return f"{location.folder}/{name}"
    return None


def load(location: Location, file_id: str, *, token: str | None) -> StoredFile | None:
    """The stored file, or None when it is missing; Unavailable / Forbidden from the Storage service."""
    if settings.USE_STORAGE_SERVICE:
        return _service().download(location, file_id, token=token)
    try:
        name = _local_name(location, file_id)
        if name is None:
            return None
        with default_storage.open(name, "rb") as handle:
            content = handle.read()
    except FileNotFoundError:
        return None
    except OSError:
        logger.exception("Reading %s of %s failed", location.kind, location.owner_id)
        raise Unavailable(STORAGE_UNAVAILABLE) from None
    return StoredFile(content=content, content_type=CONTENT_TYPES[name.rsplit(".", 1)[1]])


def remove(location: Location, file_id: str | None, *, token: str | None) -> None:
    """Deletes a stored file, best effort: a failure is logged, never raised."""
    if not file_id:
        return
    try:
        if settings.USE_STORAGE_SERVICE:
            _service().delete(location, file_id, token=token)
            return
        name = _local_name(location, file_id)
        if name is not None:
            default_storage.delete(name)
    except Exception:
        logger.warning("Deleting %s %s of %s failed", location.kind, file_id, location.owner_id, exc_info=True)


def delete_with_file(instance, *, token: str | None) -> None:
    """Deletes the row (with what cascades from it, and its `<object_type>.delete` event), then its stored image,
    best effort, once the row is gone."""
    location, file_id = location_of(instance), getattr(instance, type(instance).image_slot.id_field)
    delete_row(instance)
    remove(location, file_id, token=token)


# --- the owner's image ------------------------------------------------------------------------
def swap_file_id(owner, file_id: str | None, *, also: tuple[str, ...] = ()) -> str | None:
    """Points `owner` at `file_id` (None: no file) and sets its flag, saving the fields `also` names with them,
    and records `<slot resource>.upload` (or `.delete` for None: `user_avatar.delete`, `company_logo.upload`…)
    naming the slot's fields that changed; returns the previous file id.

    The row is locked while the previous id is read, so that of two concurrent uploads each removes the file the
    other replaced rather than both removing the same one. Raises the model's DoesNotExist when the row is gone.
    """
    model, slot = type(owner), type(owner).image_slot
    with transaction.atomic():
        previous, had_file = (
            model.objects.select_for_update().values_list(slot.id_field, slot.flag_field).get(pk=owner.pk)
        )
        setattr(owner, slot.id_field, file_id)
        setattr(owner, slot.flag_field, file_id is not None)
        owner.save(update_fields=[*also, slot.id_field, slot.flag_field, "updated_at"])
        before = {slot.id_field: previous, slot.flag_field: had_file}
        after = {slot.id_field: file_id, slot.flag_field: file_id is not None}
        audit.record(
            f"{slot.resource}.{'delete' if file_id is None else 'upload'}",
            target=owner,
            changed_fields=audit.changed_fields(before, after),
        )
    return previous


def attach(owner, upload: Upload, *, also: tuple[str, ...] = ()) -> str:
    """Stores the upload and records it on the owner (with the fields `also` names, see `swap_file_id`); the
    previous file is removed (best effort) when its id differs. When recording fails, the new file is removed
    and the error raised. Returns the new file id. The one attach path: the image endpoints and the users'
    multipart `avatar` part."""
    location = location_of(owner)
    file_id = save(location, upload.image, token=upload.token)
    try:
        previous = swap_file_id(owner, file_id, also=also)
    except BaseException:
        remove(location, file_id, token=upload.token)
        raise
    if previous and previous != file_id:
        remove(location, previous, token=upload.token)
    return file_id


def detach(owner, *, token: str | None) -> None:
    """Clears the owner's image and removes its file, best effort."""
    previous = swap_file_id(owner, None)
    remove(location_of(owner), previous, token=token)
