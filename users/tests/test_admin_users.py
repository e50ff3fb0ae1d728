"""Users in the admin: writes through the services (policy, uniqueness), the actions, and their audit events."""

import time

import pytest
from django.core import mail

from identity.models import AuditEvent
from identity.testing.admin import PASSWORD, changelist, staff_a, staff_client, superuser_client  # noqa: F401
from users.models import User

pytestmark = pytest.mark.django_db
USERS = changelist("users", "user")


def _add(client, company, **fields):
    data = {
        "company": str(company.pk),
        "email": "new@acme.test",
        "new_password": "Fresh-Passw0rd!",
        "language": "en",
        "is_active": "on",
        **fields,
    }
    return client.post(f"{USERS}add/", data)


def _errors(response) -> dict:
    assert response.status_code == 200, response.status_code
    return response.context["adminform"].form.errors


def _change_data(user, **fields) -> dict:
    data = {
        "email": user.email,
        "first_name": user.first_name or "",
        "last_name": user.last_name or "",
        "language": user.language,
        "phone_number": user.phone_number or "",
        "position": str(user.position_id or ""),
        "new_password": "",
    }
    data.update(
        {
            name: "on"
            for name in ("is_active", "is_verified", "password_reset_required", "is_staff")
            if getattr(user, name)
        }
    )
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def test_add_creates_the_user_through_the_service_with_an_admin_event(staff_client, staff_a, company_a):
    response = _add(staff_client, company_a, first_name="New", HTTP_X_REQUEST_ID="req-admin-1")
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    user = User.objects.get(email="new@acme.test")
    assert user.check_password("Fresh-Passw0rd!") and user.company_id == company_a.pk
    assert user.last_password_change is not None  # set by users.services, not by a plain save
    event = AuditEvent.objects.get(action="user.create")
    assert (event.source, event.actor_id, event.actor_email, event.object_id, event.company_id) == (
        "admin",
        staff_a.pk,
        staff_a.email,
        user.pk,
        company_a.pk,
    )
    assert "password" in event.changed_fields and "email" in event.changed_fields


def test_the_request_id_of_an_admin_write_is_recorded(staff_client, company_a):
    response = staff_client.post(
        f"{USERS}add/",
        {"company": str(company_a.pk), "email": "rid@acme.test", "new_password": "Fresh-Passw0rd!", "language": "en"},
        headers={"X-Request-ID": "req-admin-42"},
    )
    assert response.status_code == 302
    assert response["X-Request-ID"] == "req-admin-42"
    assert AuditEvent.objects.get(action="user.create").request_id == "req-admin-42"


@pytest.mark.parametrize(
    "fields, field, text",
    [
        ({"new_password": "password"}, "new_password", "too common"),
        ({"new_password": ""}, "new_password", "required"),
        ({"email": "ALPHA@acme.test"}, "email", "Email already exists."),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"phone_number": "call me"}, "phone_number", ""),
    ],
)
def test_add_refusals_are_form_errors_and_keep_nothing(staff_client, company_a, user_a, fields, field, text):
    before = User.objects.count()
    errors = _errors(_add(staff_client, company_a, **fields))
    assert field in errors and text in " ".join(errors[field]), errors
    assert User.objects.count() == before and not AuditEvent.objects.exists()


def test_change_sets_a_policy_checked_password_and_records_only_what_changed(staff_client, user_a):
    url = f"{USERS}{user_a.pk}/change/"
    form = staff_client.get(url).context["adminform"].form
    assert "password" not in form.fields and user_a.password not in staff_client.get(url).content.decode()
    errors = _errors(staff_client.post(url, _change_data(user_a, new_password="12345678")))
    assert "new_password" in errors
    assert (
        staff_client.post(url, _change_data(user_a, new_password="N3w-Secret-pass", last_name="Renamed")).status_code
        == 302
    )
    user_a.refresh_from_db()
    assert user_a.check_password("N3w-Secret-pass") and user_a.last_name == "Renamed"
    event = AuditEvent.objects.get(action="user.update")
    assert event.changed_fields == ["last_name", "last_password_change", "password"]
    assert staff_client.post(url, _change_data(user_a)).status_code == 302  # a save that changes nothing
    assert AuditEvent.objects.filter(action="user.update").count() == 1


def test_only_superusers_grant_superuser(staff_client, superuser_client, user_a):
    url = f"{USERS}{user_a.pk}/change/"
    assert "is_superuser" not in staff_client.get(url).context["adminform"].form.fields
    staff_client.post(url, _change_data(user_a, is_superuser="on"))
    user_a.refresh_from_db()
    assert not user_a.is_superuser
    assert superuser_client.post(url, _change_data(user_a, is_superuser="on")).status_code == 302
    user_a.refresh_from_db()
    assert user_a.is_superuser
    assert AuditEvent.objects.get(action="user.update").changed_fields == ["is_superuser"]


def _action(client, name, *users):
    return client.post(USERS, {"action": name, "_selected_action": [str(user.pk) for user in users]}, follow=True)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_reset_password_shows_each_temporary_password_once(
    staff_client, user_a, make_user, company_a, token_client, anon_client
):
    other = make_user(company_a, "other@acme.test")
    response = _action(staff_client, "reset_password", user_a, other)
    texts = _messages(response)
    assert len(texts) == 2
    temporary = {}
    for user in (user_a, other):
        line = next(text for text in texts if user.email in text)
        temporary[user.email] = line.split(f"Temporary password for {user.email}: ", 1)[1].split(" ", 1)[0]
        assert len(temporary[user.email]) == 12
    assert _messages(staff_client.get(USERS)) == []  # shown once
    # The API side: the temporary password works and a change is required.
    verified = anon_client.post(
        "/verify_password", {"email": user_a.email, "password": temporary[user_a.email]}, format="json"
    )
    assert verified.status_code == 200 and verified.json()["password_reset_required"] is True
    events = AuditEvent.objects.filter(action="password.admin_reset")
    assert events.count() == 2 and {event.source for event in events} == {"admin"}
    for event in AuditEvent.objects.all():
        assert not any(secret in str(event.changed_fields) for secret in temporary.values())


def test_unlock_clears_the_lock(staff_client, user_a, anon_client, settings):
    settings.LOCKOUT_MAX_FAILURES = 1
    anon_client.post("/verify_password", {"email": user_a.email, "password": "wrong"}, format="json")
    assert (
        anon_client.post("/verify_password", {"email": user_a.email, "password": PASSWORD}, format="json").status_code
        == 403
    )
    assert "1 user(s) unlocked." in _messages(_action(staff_client, "unlock", user_a))
    assert (
        anon_client.post("/verify_password", {"email": user_a.email, "password": PASSWORD}, format="json").status_code
        == 200
    )
    event = AuditEvent.objects.get(action="password.unlock")
    assert event.changed_fields == ["failed_login_count", "locked_until"]


def test_deactivate_and_activate(staff_client, user_a, client_a):
    _action(staff_client, "deactivate", user_a)
    assert client_a.get("/users").status_code == 401  # a deactivated user loses access at once
    assert AuditEvent.objects.get(action="user.update").changed_fields == ["is_active"]
    _action(staff_client, "deactivate", user_a)  # already inactive: nothing to record
    assert AuditEvent.objects.filter(action="user.update").count() == 1
    _action(staff_client, "activate", user_a)
    assert client_a.get("/users").status_code == 200


def test_send_password_reset_code_emails_a_code_that_resets(staff_client, user_a, anon_client):
    texts = _messages(_action(staff_client, "send_password_reset_code", user_a))
    assert "A password reset code was sent to 1 user(s)." in texts
    deadline = time.monotonic() + 5
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.02)
    assert mail.outbox and mail.outbox[0].to == [user_a.email]
    code = next(word for word in mail.outbox[0].body.split() if word.isdigit() and len(word) == 6)
    response = anon_client.post(
        "/users/password-reset/confirm",
        {"email": user_a.email, "otp_code": code, "new_password": "Res3t-by-code!"},
        format="json",
    )
    assert response.status_code == 200
    assert AuditEvent.objects.get(action="password.reset_request").object_id == user_a.pk


def test_delete_goes_through_the_service_and_is_recorded(staff_client, make_user, company_a):
    doomed = make_user(company_a, "doomed@acme.test")
    response = staff_client.post(f"{USERS}{doomed.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=doomed.pk).exists()
    event = AuditEvent.objects.get(action="user.delete")
    assert (event.object_id, event.changed_fields, event.source) == (doomed.pk, [], "admin")
