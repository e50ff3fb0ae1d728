"""Per-request values (request id, company, user) that log lines carry."""

import contextvars

request_id_var = contextvars.ContextVar("request_id", default="-")
company_id_var = contextvars.ContextVar("company_id", default="-")
user_id_var = contextvars.ContextVar("user_id", default="-")
