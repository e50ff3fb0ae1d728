"""Log records stamped with the current request's ids, and the JSON line format (`LOG_FORMAT=json`)."""

import logging

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from identity.context import company_id_var, request_id_var, user_id_var


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.company_id = company_id_var.get()
        record.user_id = user_id_var.get()
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: timestamp, level, logger, message, the request's ids and any `extra` fields
    (a traceback, when there is one, is a string inside the same line)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", ["asctime", "levelname", "name", "message", "request_id", "company_id", "user_id"])
        kwargs.setdefault("rename_fields", {"asctime": "timestamp", "levelname": "level", "name": "logger"})
        kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%S%z")
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)
