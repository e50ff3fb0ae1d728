"""Admin test helpers: staff users with the model permissions, their logged-in clients, the changelist URLs."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

PASSWORD = "Correct-horse-9"
# (app label, model name) of every model the admin registers
MODELS = [
    ("companies", "company"),
    ("users", "user"),
    ("org", "organizationunit"),
    ("org", "position"),
    ("partners", "customer"),
    ("partners", "subcontractor"),
    ("identity", "auditevent"),
]


def changelist(app: str, model: str) -> str:
    return f"/admin/{app}/{model}/"


def make_staff(company, email: str, *, superuser: bool = False):
    """A staff user of `company` holding every permission of the registered models (or a superuser)."""
    from users.models import User

    user = User.objects.create_user(
        email=email,
        password=PASSWORD,
        company=company,
        is_staff=True,
        is_superuser=superuser,
        first_name="Staff",
        last_name="Operator",
    )
    if not superuser:
        user.user_permissions.set(Permission.objects.filter(content_type__app_label__in={app for app, _ in MODELS}))
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff_a(company_a):
    return make_staff(company_a, "staff@acme.test")


@pytest.fixture
def staff_client(staff_a) -> Client:
    return client_for(staff_a)


@pytest.fixture
def superuser_client(company_a) -> Client:
    return client_for(make_staff(company_a, "root@acme.test", superuser=True))


def seed_rows(company, count: int) -> None:
    """`count` more rows of every registered model (the companies' own rows: `count` new companies)."""
    import uuid

    from companies.models import Company
    from identity.models import AuditEvent
    from org.models import OrganizationUnit, Position
    from partners.models import Customer, Subcontractor
    from users.models import User

    root = OrganizationUnit.objects.filter(company=company, parent=None).first()
    for _ in range(count):
        tag = uuid.uuid4().hex[:8]
        other = Company.objects.create(name=f"Company {tag}")
        unit = OrganizationUnit(company=company, name=f"Unit {tag}", parent=root)
        unit.path = f"{root.path}/{unit.pk}" if root else str(unit.pk)
        unit.level = 1 if root else 0
        unit.save()
        position = Position.objects.create(company=company, title=f"Position {tag}", organization_unit=unit)
        User.objects.create_user(
            email=f"user-{tag}@example.test", password=PASSWORD, company=company, position=position
        )
        Customer.objects.create(company=company, name=f"Customer {tag}")
        Subcontractor.objects.create(company=company, name=f"Subcontractor {tag}")
        AuditEvent.objects.create(
            company_id=other.pk,
            source="api",
            action="company.create",
            object_type="company",
            object_id=other.pk,
            changed_fields=["name"],
        )
