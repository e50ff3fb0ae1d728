"""The request parsers: bodies must be text a database can store (valid UTF-8, no NUL), and nesting must stay sane."""

import codecs

from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, JSONParser, MultiPartParser

INVALID_TEXT = "Body contains characters that are not valid text (NUL or unpaired surrogates)."
INVALID_MULTIPART_TEXT = "Multipart text must be valid UTF-8."


def is_storable_text(value: str) -> bool:
    """True for text PostgreSQL can store and UTF-8 can encode: no NUL, no lone surrogate (`"\\ud800"` is valid
    JSON but not valid text)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def ensure_storable(data) -> None:
    """Raises ParseError when any key or string value anywhere in `data` is not storable text."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not is_storable_text(item):
                raise ParseError(INVALID_TEXT)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # Python's json raises RecursionError (not ValueError) on deeply nested input such as "[[[[…".
            raise ParseError("JSON parse error - nested too deeply") from None
        ensure_storable(data)
        return data


# Django's multipart parser decodes field names, values and file names with `errors="replace"`, which would store
# U+FFFD in place of bytes that are not UTF-8 (docs/behaviour.md §1.2 wants a 400). Handing it this codec (UTF-8
# that ignores the requested error handler and stays strict) turns such a body into a UnicodeDecodeError, answered
# 400 below.
STRICT_UTF8 = "identity_strict_utf_8"
_UTF8 = codecs.lookup("utf-8")


def _strict_codec(name: str):
    if name != STRICT_UTF8:
        return None
    return codecs.CodecInfo(
        name=STRICT_UTF8,
        encode=lambda text, errors="strict": _UTF8.encode(text, "strict"),
        decode=lambda data, errors="strict": _UTF8.decode(data, "strict"),
    )


codecs.register(_strict_codec)


class StrictMultiPartParser(MultiPartParser):
    """multipart/form-data whose text parts (names, values, file names) must be valid UTF-8 without NUL."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        try:
            data, files = DjangoMultiPartParser(meta, stream, request.upload_handlers, STRICT_UTF8).parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from None
        except UnicodeDecodeError:
            raise ParseError(INVALID_MULTIPART_TEXT) from None
        ensure_storable([*data.keys(), *(value for _key, values in data.lists() for value in values), *files.keys()])
        return DataAndFiles(data, files)
