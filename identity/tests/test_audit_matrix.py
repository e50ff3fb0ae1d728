"""Contract table of `/audit-events`: 401, Guardian call, 403, 503, another company's event 404."""

import pytest

from identity.models import AuditEvent
from identity.testing.matrix import ContractMatrix, Row

pytestmark = pytest.mark.django_db


def _with_event(directory: dict) -> dict:
    event = AuditEvent.objects.create(
        company_id=directory["company"],
        source="api",
        action="user.update",
        object_type="user",
        object_id=directory["user"],
        changed_fields=["email"],
    )
    return {**directory, "event": str(event.pk)}


@pytest.fixture
def directory_a(directory_a):
    return _with_event(directory_a)


@pytest.fixture
def directory_b(directory_b):
    return _with_event(directory_b)


class TestAuditEventEndpoints(ContractMatrix):
    rows = [
        Row("GET", "/audit-events", "audit_event", "LIST"),
        Row("GET", "/audit-events/{event}", "audit_event", "READ", foreign=True),
    ]
