"""The credential events (docs/behaviour.md §12.2): verification, lockout, admin reset, change, reset by code, role
assignments and the commands; each names the user, and none is written for an unknown email or a refused
change."""

import io

import pytest
from django.core.management import call_command

from identity.models import AuditEvent
from identity.testing.audit import assert_event, request_events
from identity.testing.constants import ASSIGNMENT_ID, PASSWORD
from users.models import User
from users.services import passwords

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Fresh-start-2024"
CODE = "424242"


@pytest.fixture(autouse=True)
def _credential_settings(settings):
    settings.INTERNAL_AUTH_TOKEN = ""
    settings.LOCKOUT_MAX_FAILURES = 2


def verify(client, email, password):
    return client.post("/verify_password", {"email": email, "password": password})


def actions(response) -> list[str]:
    return [event.action for event in request_events(response)]


# --- /verify_password -------------------------------------------------------------------------------------------
def test_a_verification_records_its_success_without_an_actor(anon_client, user_a):
    response = verify(anon_client, user_a.email, PASSWORD)
    assert response.status_code == 200
    assert_event(response, "password.verify_success", target=user_a, actor=None, changed_fields=["last_login_at"])


def test_failures_are_counted_and_the_one_that_locks_records_the_lockout(anon_client, user_a):
    first = verify(anon_client, user_a.email, "Wrong-guess-1")
    assert first.status_code == 403 and actions(first) == ["password.verify_failure"]
    assert_event(first, "password.verify_failure", target=user_a, actor=None, changed_fields=["failed_login_count"])
    second = verify(anon_client, user_a.email, "Wrong-guess-2")
    assert actions(second) == ["password.verify_failure", "password.lockout"]
    assert_event(second, "password.lockout", target=user_a, actor=None, changed_fields=["locked_until"])
    # Locked: refused without a check, recorded, and the lock is not engaged again.
    locked = verify(anon_client, user_a.email, PASSWORD)
    assert locked.status_code == 403
    assert_event(locked, "password.verify_failure", target=user_a, actor=None, changed_fields=[])
    assert actions(locked) == ["password.verify_failure"]


def test_an_unknown_email_records_nothing_and_an_inactive_user_a_failure(anon_client, user_a):
    assert request_events(verify(anon_client, "nobody@acme.test", PASSWORD)) == []
    User.objects.filter(pk=user_a.pk).update(is_active=False)
    refused = verify(anon_client, user_a.email, PASSWORD)
    assert refused.status_code == 403
    assert_event(refused, "password.verify_failure", target=user_a, actor=None, changed_fields=[])


# --- admin reset, change ----------------------------------------------------------------------------------------
def test_an_admin_reset_records_the_caller_and_no_temporary_password(client_a, user_a, make_user, company_a):
    target = make_user(company_a, "forgetful@acme.test")
    response = client_a.post(f"/users/{target.pk}/admin-reset-password")
    assert response.status_code == 200
    event = assert_event(
        response,
        "password.admin_reset",
        target=target,
        actor=user_a,
        changed_fields=["last_password_change", "password", "password_reset_required"],
    )
    assert response.json()["temporary_password"] not in str(event.changed_fields)


def test_a_change_records_its_success_and_a_wrong_current_password_its_failure(client_a, user_a):
    url = "/users/me/change-password"
    wrong = client_a.patch(url, {"current_password": "Not-my-password-1", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 400
    assert_event(wrong, "password.change_failure", target=user_a, actor=user_a, changed_fields=["failed_login_count"])
    refused = client_a.patch(url, {"current_password": PASSWORD, "new_password": "password"})
    assert refused.status_code == 400 and request_events(refused) == []  # the policy refused: nothing changed
    done = client_a.patch(url, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert done.status_code == 200
    # The failure above is cleared with the change.
    assert_event(
        done, "password.change", target=user_a, actor=user_a, changed_fields=["last_password_change", "password"]
    )


# --- reset by emailed code --------------------------------------------------------------------------------------
@pytest.fixture
def known_code(monkeypatch):
    """Every code issued in this test is CODE."""
    monkeypatch.setattr(passwords.secrets, "randbelow", lambda limit: int(CODE))


def test_a_reset_request_is_recorded_for_known_active_users_only(anon_client, user_a, make_user, company_a):
    url = "/users/password-reset/request"
    response = anon_client.post(url, {"email": user_a.email.upper()})
    assert response.status_code == 200
    assert_event(response, "password.reset_request", target=user_a, actor=None, changed_fields=[])
    assert request_events(anon_client.post(url, {"email": "nobody@acme.test"})) == []
    inactive = make_user(company_a, "gone@acme.test", is_active=False)
    assert request_events(anon_client.post(url, {"email": inactive.email})) == []


def test_a_wrong_code_records_a_failure_and_the_right_one_the_reset(anon_client, user_a, known_code):
    passwords.password_reset_request(email=user_a.email)
    url = "/users/password-reset/confirm"
    wrong = anon_client.post(url, {"email": user_a.email, "otp_code": "000000", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 400
    assert_event(wrong, "password.reset_failure", target=user_a, actor=None, changed_fields=[])
    unknown = anon_client.post(url, {"email": "nobody@acme.test", "otp_code": CODE, "new_password": NEW_PASSWORD})
    assert unknown.status_code == 400 and request_events(unknown) == []
    done = anon_client.post(url, {"email": user_a.email, "otp_code": CODE, "new_password": NEW_PASSWORD})
    assert done.status_code == 200
    assert_event(
        done, "password.reset_confirm", target=user_a, actor=None, changed_fields=["last_password_change", "password"]
    )
    again = anon_client.post(url, {"email": user_a.email, "otp_code": CODE, "new_password": NEW_PASSWORD})
    assert_event(again, "password.reset_failure", target=user_a, actor=None, changed_fields=[])  # used up


# --- roles ------------------------------------------------------------------------------------------------------
def test_role_assignment_and_removal_are_recorded_on_the_user(client_a, user_a, guardian, make_user, company_a):
    member = make_user(company_a, "member@acme.test")
    guardian.roles["r1"] = {"id": "r1", "name": "Viewer", "description": "", "company_id": None}
    assigned = client_a.post(f"/users/{member.pk}/roles", {"role_id": "r1"})
    assert assigned.status_code == 201, assigned.content
    assert_event(assigned, "user_role.assign", target=member, actor=user_a, changed_fields=[])
    assert request_events(client_a.post(f"/users/{member.pk}/roles", {"role_id": "r1"})) == []  # 409
    removed = client_a.delete(f"/users/{member.pk}/roles/{assigned.json()['id']}")
    assert removed.status_code == 204
    assert_event(removed, "user_role.remove", target=member, actor=user_a, changed_fields=[])
    missing = client_a.delete(f"/users/{member.pk}/roles/{ASSIGNMENT_ID}")
    assert missing.status_code == 404 and request_events(missing) == []


# --- commands ---------------------------------------------------------------------------------------------------
def test_reset_password_command_records_a_command_reset_outside_any_request(user_a):
    out = io.StringIO()
    call_command("reset_password", user_a.email, stdout=out)
    temporary = out.getvalue().split(f"Temporary password for {user_a.email}: ", 1)[1].split()[0]
    event = AuditEvent.objects.get(action="password.admin_reset")
    assert (event.source, event.actor_id, event.request_id, event.ip, event.object_id) == (
        "command",
        None,
        None,
        None,
        user_a.pk,
    )
    assert temporary not in str(event.changed_fields)
