"""Small real images for upload tests, made with Pillow."""

import io
import os

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "BMP": "image/bmp", "WEBP": "image/webp"}
FORMATS = tuple(CONTENT_TYPES)


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 8), color=(200, 30, 30), noise: bool = False) -> bytes:
    """An image of `fmt`; `noise=True` fills it with random pixels (so it does not compress)."""
    if noise:
        picture = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        picture = Image.new("RGB", size, color)
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt)
    return buffer.getvalue()


def upload(content: bytes, name: str = "picture.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def image_upload(fmt: str = "PNG", **kwargs) -> SimpleUploadedFile:
    return upload(image_bytes(fmt, **kwargs), f"picture.{fmt.lower()}", CONTENT_TYPES[fmt])
