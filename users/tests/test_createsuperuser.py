"""Getting in: `createsuperuser` (prompts and --noinput, password policy) and `init_identity --superuser`."""

import io
import json
import sys

import pytest
from django.core.management import CommandError, call_command

from identity.models import AuditEvent
from users.models import User

pytestmark = pytest.mark.django_db
PASSWORD = "Str0ng-Passw0rd!"


class Terminal(io.StringIO):
    """Standard input as a terminal: the command's prompts read their answers from it, line by line."""

    def isatty(self):
        return True


@pytest.fixture
def typed(monkeypatch):
    """`typed("answer", ...)`: the lines read by the prompts (`input()` and the hidden password prompts)."""

    def feed(*lines):
        stdin = Terminal("".join(f"{line}\n" for line in lines))
        monkeypatch.setattr(sys, "stdin", stdin)
        monkeypatch.setattr("getpass.getpass", lambda prompt="": stdin.readline().rstrip("\n"))
        return stdin

    return feed


def test_noinput_creates_a_superuser_of_the_company(company_a, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    out = io.StringIO()
    call_command(
        "createsuperuser", "--noinput", "--email", "root@acme.test", "--company", str(company_a.pk), stdout=out
    )
    user = User.objects.get(email="root@acme.test")
    assert (user.is_staff, user.is_superuser, user.company_id) == (True, True, company_a.pk)
    assert user.check_password(PASSWORD)
    event = AuditEvent.objects.get()
    assert (event.action, event.source, event.object_id) == ("user.create", "command", user.pk)
    assert "password" in event.changed_fields and PASSWORD not in str(event.changed_fields)


@pytest.mark.parametrize(
    "password, text", [("password", "too common"), ("short", "too short"), ("root@acme.test", "too similar")]
)
def test_noinput_applies_the_password_policy(company_a, monkeypatch, password, text):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", password)
    with pytest.raises(CommandError, match=text):
        call_command(
            "createsuperuser",
            "--noinput",
            "--email",
            "root@acme.test",
            "--company",
            str(company_a.pk),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert not User.objects.filter(email="root@acme.test").exists()


def test_noinput_refuses_a_taken_email_and_an_unknown_company(company_a, user_a, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="Email already exists"):
        call_command(
            "createsuperuser",
            "--noinput",
            "--email",
            "ALPHA@acme.test",
            "--company",
            str(company_a.pk),
            stdout=io.StringIO(),
        )
    with pytest.raises(CommandError, match="not a valid choice"):
        call_command(
            "createsuperuser",
            "--noinput",
            "--email",
            "x@acme.test",
            "--company",
            "00000000-0000-4000-8000-000000000000",
            stdout=io.StringIO(),
        )


def test_interactive_prompts_for_email_company_and_password(company_a, typed):
    typed("root@acme.test", str(company_a.pk), PASSWORD, PASSWORD)
    call_command("createsuperuser", interactive=True, stdout=io.StringIO(), stderr=io.StringIO())
    user = User.objects.get(email="root@acme.test")
    assert user.is_superuser and user.company_id == company_a.pk and user.check_password(PASSWORD)


def test_interactive_asks_again_after_a_refused_password_and_an_unknown_company(company_a, typed):
    stderr = io.StringIO()
    typed(
        "root@acme.test",
        "00000000-0000-4000-8000-000000000000",
        str(company_a.pk),
        "password",
        "password",
        "n",
        PASSWORD,
        PASSWORD,
    )
    call_command("createsuperuser", interactive=True, stdout=io.StringIO(), stderr=stderr)
    assert "not a valid choice" in stderr.getvalue() and "too common" in stderr.getvalue()
    assert User.objects.get(email="root@acme.test").check_password(PASSWORD)


def test_init_identity_superuser_makes_the_first_admin_staff_and_superuser(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    out = io.StringIO()
    call_command(
        "init_identity",
        "--company-name",
        "Initech",
        "--admin-email",
        "admin@initech.test",
        "--admin-password",
        PASSWORD,
        "--superuser",
        "--json",
        stdout=out,
    )
    user = User.objects.get(pk=json.loads(out.getvalue())["user"]["id"])
    assert user.is_staff and user.is_superuser
    event = AuditEvent.objects.get(action="user.update")
    assert (event.source, event.changed_fields) == ("command", ["is_staff", "is_superuser"])


def test_init_identity_without_superuser_makes_no_staff(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    call_command(
        "init_identity",
        "--company-name",
        "Initech",
        "--admin-email",
        "admin@initech.test",
        "--admin-password",
        PASSWORD,
        stdout=io.StringIO(),
    )
    user = User.objects.get(email="admin@initech.test")
    assert not user.is_staff and not user.is_superuser


def test_changepassword_sets_the_password_through_the_policy_and_records_it(user_a, typed):
    stderr = io.StringIO()
    typed("password", "password", "New-Passw0rd!", "mismatch", "New-Passw0rd!", "New-Passw0rd!")
    call_command("changepassword", user_a.email.upper(), stdout=io.StringIO(), stderr=stderr)
    assert "too common" in stderr.getvalue() and "do not match" in stderr.getvalue()
    user_a.refresh_from_db()
    assert user_a.check_password("New-Passw0rd!") and not user_a.password_reset_required
    event = AuditEvent.objects.get(action="password.admin_reset", object_id=user_a.pk)
    assert (event.source, event.changed_fields) == ("command", ["last_password_change", "password"])


def test_changepassword_gives_up_after_three_refused_attempts(user_a, typed):
    typed(*["short"] * 6)
    with pytest.raises(CommandError, match="after 3 attempts"):
        call_command("changepassword", user_a.email, stdout=io.StringIO(), stderr=io.StringIO())
    assert not AuditEvent.objects.filter(action="password.admin_reset").exists()


def test_changepassword_names_an_unknown_email():
    with pytest.raises(CommandError, match="No user with email 'nobody@acme.test'"):
        call_command("changepassword", "nobody@acme.test", stdout=io.StringIO())
