"""The admin's login goes through the credential checks (lockout, case-insensitive email)."""

import pytest
from django.test import Client

from identity.testing.constants import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(company_a, make_user):
    return make_user(company_a, "Staff@Acme.test", is_staff=True)


def test_staff_logs_in_with_any_email_case(staff):
    assert Client().login(username="staff@acme.TEST", password=PASSWORD)


def test_admin_login_counts_failures_and_honours_the_lock(staff, settings):
    settings.LOCKOUT_MAX_FAILURES = 2
    client = Client()
    assert not client.login(username=staff.email, password="wrong-1")
    assert not client.login(username=staff.email, password="wrong-2")
    staff.refresh_from_db()
    assert staff.locked_until is not None
    assert not client.login(username=staff.email, password=PASSWORD)  # locked: even the right password fails


def test_admin_login_refuses_inactive_users(staff):
    staff.is_active = False
    staff.save()
    assert not Client().login(username=staff.email, password=PASSWORD)
