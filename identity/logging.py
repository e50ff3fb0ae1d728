"""A logging filter that stamps every record with the current request's ids."""

import logging

from identity.context import company_id_var, request_id_var, user_id_var


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.company_id = company_id_var.get()
        record.user_id = user_id_var.get()
        return True
