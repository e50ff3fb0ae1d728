"""The JSON parser of every endpoint: bodies must be text a database can store, and nesting must stay sane."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

INVALID_TEXT = "Body contains characters that are not valid text (NUL or unpaired surrogates)."


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
