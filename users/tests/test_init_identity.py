"""`manage.py init_identity` (docs/behaviour.md §12): flags or prompts, --json, a further tenant, clear failures."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from companies.models import Company
from org.models import OrganizationUnit, Position
from users.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "Str0ng-Passw0rd!"
FLAGS = ["--company-name", "Initech", "--admin-email", "admin@initech.test", "--admin-password", PASSWORD]


class FakeStdin(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__("")
        self.tty = tty

    def isatty(self):
        return self.tty


@pytest.fixture(autouse=True)
def no_terminal(monkeypatch):
    monkeypatch.setattr("sys.stdin", FakeStdin(tty=False))


def run(*args) -> str:
    out = io.StringIO()
    call_command("init_identity", *args, stdout=out)
    return out.getvalue()


def counts():
    return (Company.objects.count(), OrganizationUnit.objects.count(), Position.objects.count(), User.objects.count())


def test_creates_the_tenant_from_flags():
    output = run(
        *FLAGS,
        "--first-name",
        "Delta",
        "--last-name",
        "Tester",
        "--language",
        "fr",
        "--company-description",
        "Software",
    )
    assert "Initech" in output and "admin@initech.test" in output
    user = User.objects.get(email="admin@initech.test")
    assert (user.first_name, user.last_name, user.language) == ("Delta", "Tester", "fr")
    assert user.check_password(PASSWORD)
    assert user.position.title == "Administrator" and user.position.level == 0
    unit = user.position.organization_unit
    assert (unit.name, unit.path, unit.level, unit.parent_id) == ("default organization", str(unit.pk), 0, None)
    assert user.company.description == "Software" and unit.company_id == user.company_id
    assert PASSWORD not in output


def test_json_prints_the_four_objects():
    data = json.loads(run(*FLAGS, "--json"))
    assert set(data) == {"company", "organization_unit", "position", "user"}
    assert data["company"]["name"] == "Initech"
    assert data["organization_unit"]["path"] == data["organization_unit"]["id"]
    assert data["position"]["organization_unit_id"] == data["organization_unit"]["id"]
    assert data["user"]["position_id"] == data["position"]["id"]
    assert "password" not in data["user"]


def test_adds_a_further_tenant_on_an_initialised_database(user_a, company_a):
    data = json.loads(run(*FLAGS, "--json"))
    assert data["company"]["id"] != str(company_a.pk)
    assert counts() == (2, 1, 1, 2)
    assert User.objects.get(pk=data["user"]["id"]).company_id != company_a.pk


@pytest.mark.parametrize(
    "args, text",
    [
        (
            ["--company-name", "Other", "--admin-email", "ALPHA@acme.test", "--admin-password", PASSWORD],
            "Email already exists.",
        ),
        (
            ["--company-name", "ACME", "--admin-email", "new@acme.test", "--admin-password", PASSWORD],
            "Name already exists.",
        ),
        (["--company-name", "Other", "--admin-email", "new@acme.test", "--admin-password", "short"], "password"),
        (["--company-name", "Other", "--admin-email", "not-an-email", "--admin-password", PASSWORD], "email"),
        (["--company-name", "x" * 101, "--admin-email", "new@acme.test", "--admin-password", PASSWORD], "name"),
    ],
)
def test_failures_raise_a_clear_error_and_keep_nothing(user_a, args, text):
    before = counts()
    with pytest.raises(CommandError) as raised:
        run(*args)
    assert text in str(raised.value)
    assert PASSWORD not in str(raised.value)
    assert counts() == before


def test_missing_values_without_a_terminal_are_an_error():
    with pytest.raises(CommandError, match="--admin-password is required"):
        run("--company-name", "Initech", "--admin-email", "admin@initech.test")
    assert counts() == (0, 0, 0, 0)


def test_missing_values_are_prompted_for_on_a_terminal(monkeypatch):
    monkeypatch.setattr("sys.stdin", FakeStdin(tty=True))
    answers = iter(["Initech", "admin@initech.test"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt: PASSWORD)
    run()
    assert User.objects.get(email="admin@initech.test").company.name == "Initech"


def test_mismatched_prompted_passwords_are_an_error(monkeypatch):
    monkeypatch.setattr("sys.stdin", FakeStdin(tty=True))
    typed = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    with pytest.raises(CommandError, match="do not match"):
        run("--company-name", "Initech", "--admin-email", "admin@initech.test")
    assert counts() == (0, 0, 0, 0)
