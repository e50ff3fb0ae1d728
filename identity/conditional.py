"""Conditional requests on single objects (docs/behaviour.md §1.5): the ETag of a representation, `If-None-Match`
→ 304, and `If-Match` → 412 with the check and the write under one row lock.

The tag is a hash of the representation's bytes, as the response carries them: exact by construction (it changes
with any key, whatever changed it — a bulk UPDATE that leaves `updated_at` alone, a SET_NULL of a deleted position,
an `expand`), and cheap, since the bytes are rendered anyway and hashing a few hundred of them takes about a
microsecond. `updated_at` + id would miss those changes.
"""

import copy
import hashlib

from django.http import HttpResponseNotModified
from django.utils.http import parse_etags
from drf_spectacular.utils import OpenApiParameter

from identity.exceptions import DomainError
from identity.schema import AutoSchema

# The actions of a resource's viewset that answer one object's representation with 200 (and carry its ETag), the
# by-id read, and the by-id writes that `If-Match` makes conditional. Any 201 of such a viewset answers the object
# it created (`POST /organization_units/{unit_id}/positions` too) and carries its ETag as well.
TAGGED_ACTIONS = frozenset({"retrieve", "update", "partial_update"})
READ_ACTION = "retrieve"
WRITE_ACTIONS = frozenset({"update", "partial_update", "destroy"})
# The headers a 304 repeats from the 200 it stands for (RFC 9110 §15.4.5).
NOT_MODIFIED_HEADERS = ("Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Vary")


class PreconditionFailed(DomainError):
    status = 412
    message = "Precondition failed"


def tagged(action: str | None, status: int) -> bool:
    """Whether an answer of a resource's viewset is a single-object representation that carries its ETag."""
    return status == 201 or (status == 200 and action in TAGGED_ACTIONS)


def etag_of(content: bytes) -> str:
    """The strong ETag of a representation's bytes."""
    return f'"{hashlib.sha256(content).hexdigest()[:32]}"'


def none_match(request, etag: str) -> bool:
    """Whether `If-None-Match` names `etag` (or `*`): a by-id GET then answers 304. Weak comparison
    (RFC 9110 §13.1.2): a `W/` prefix does not matter."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    wanted = {tag.removeprefix("W/") for tag in parse_etags(header)}
    return etag in wanted or "*" in wanted


def if_match_tags(request) -> frozenset | None:
    """The tags `If-Match` names, or None when the write is unconditional: no header (blank counts as none) or `*`
    (the path object exists, which the 404 check already established).

    A header naming no well-formed tag gives the empty set, which nothing matches: a client that asked for a
    precondition gets 412 rather than an unchecked write. A weak tag (`W/"…"`) never matches either: `If-Match`
    compares strongly (RFC 9110 §13.1.1).
    """
    header = request.META.get("HTTP_IF_MATCH", "").strip()
    if not header:
        return None
    tags = parse_etags(header)
    if "*" in tags:
        return None
    return frozenset(tags)


def not_modified(response) -> HttpResponseNotModified:
    """The 304 that stands for `response`: no body, the headers RFC 9110 asks it to repeat."""
    answer = HttpResponseNotModified()
    for header in NOT_MODIFIED_HEADERS:
        if header in response:
            answer[header] = response[header]
    return answer


def lock_company_then_row(queryset, *, pk, company_id):
    """The row `pk` of `queryset`, locked with its company's row until the transaction ends (None when absent).

    The company row first, then the object: the order the services take them in (the tree writes lock the company,
    then write its units, positions and users), so that a conditional write and a tree write cannot deadlock.
    `FOR NO KEY UPDATE` (on PostgreSQL; SQLite's write transaction already serialises writers) conflicts with
    every writer of those rows but not with the key-share locks that inserts referencing them take, so creating
    a customer does not wait for a conditional write of another one; conditional writes of one company queue one
    behind the other, as its tree writes do.
    """
    company_field = queryset.company_field
    if company_field != "id":  # the company resource: the object is its own company row
        company_model = queryset.model._meta.get_field(company_field).related_model
        list(company_model._base_manager.select_for_update(no_key=True).filter(pk=company_id).values_list("pk"))
    return queryset.select_for_update(no_key=True, of=("self",)).filter(pk=pk).first()


# --- OpenAPI ----------------------------------------------------------------------------------------
ETAG_HEADER = {
    "ETag": {
        "schema": {"type": "string"},
        "description": "Tag of this representation; send it in If-None-Match or If-Match",
    }
}
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description="A tag of an earlier answer (or `*`): 304 without a body when it is still the current one",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="The tag of the representation the write is based on (or `*`): 412 and nothing written when it "
    "is no longer current; without the header the write is unconditional",
)
PRECONDITION_FAILED = {
    "description": "Precondition failed: the If-Match tag is not the current one",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
NOT_MODIFIED = {
    "description": "Not modified: the If-None-Match tag is the current one (no body)",
    "headers": ETAG_HEADER,
}


class ConditionalAutoSchema(AutoSchema):
    """The project's schema, plus what conditional requests add to the single-object operations: the ETag header
    of each representation, If-None-Match → 304 on the by-id GET, If-Match → 412 on its writes."""

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        action = getattr(self.view, "action", None)
        if action == READ_ACTION:
            params.append(IF_NONE_MATCH)
        elif action in WRITE_ACTIONS:
            params.append(IF_MATCH)
        return params

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        action = getattr(self.view, "action", None)
        responses = operation.setdefault("responses", {})
        for code, response in responses.items():
            if code.isdigit() and tagged(action, int(code)):
                response.setdefault("headers", {}).update(copy.deepcopy(ETAG_HEADER))
        if action == READ_ACTION:
            responses.setdefault("304", copy.deepcopy(NOT_MODIFIED))
        if action in WRITE_ACTIONS:
            responses.setdefault("412", copy.deepcopy(PRECONDITION_FAILED))
        return operation
