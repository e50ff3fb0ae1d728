"""Demo data in bulk (`manage.py seed_demo`): a unit tree with positions, users holding them, customers and
subcontractors, written in batches with one shared password hash."""

import random
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from faker import Faker

from companies.models import Company
from identity import audit
from identity.exceptions import NotFound, ValidationFailed
from identity.progress import batches, silent_task
from org.models import OrganizationUnit, Position
from org.selectors import PATH_SEPARATOR
from partners.models import Customer, Subcontractor
from users.models import Language, User
from users.services.accounts import ADMIN_POSITION_TITLE, tenant_bootstrap
from users.services.policy import password_problems

DEFAULT_PASSWORD = "Demo-Passw0rd!"
MANIFEST_FORMAT = "identity-bench-manifest/1"
DEFAULT_BATCH_SIZE = 2000
# PostgreSQL's wire protocol carries at most 65,535 parameters per statement (server-side binding).
MAX_PARAMETERS = 65535
POSITIONS_PER_UNIT = 3
SHARE_FRENCH = 0.4  # share of users (and units) named in French
SHARE_WITHOUT_POSITION = 0.1
NAME_POOL = 400  # distinct first and last names drawn per locale; Faker per row costs ~30 µs × 3 fields

LOCALES = {Language.EN: "en_GB", Language.FR: "fr_FR"}
DEPARTMENTS = {
    Language.EN: [
        "Sales",
        "Marketing",
        "Engineering",
        "Finance",
        "Human Resources",
        "Operations",
        "Legal",
        "Customer Support",
        "Research",
        "Procurement",
        "Logistics",
        "Quality",
    ],
    Language.FR: [
        "Ventes",
        "Marketing",
        "Ingénierie",
        "Finance",
        "Ressources humaines",
        "Opérations",
        "Juridique",
        "Service client",
        "Recherche",
        "Achats",
        "Logistique",
        "Qualité",
    ],
}
TITLES = {
    Language.EN: ["Head of unit", "Manager", "Engineer", "Analyst", "Coordinator", "Specialist", "Assistant"],
    Language.FR: [
        "Responsable",
        "Chef de projet",
        "Ingénieur",
        "Analyste",
        "Coordinateur",
        "Chargé de mission",
        "Assistant",
    ],
}
# Mobile numbers: "+33 6 12 34 56 78" and "+44 7700 900123" (digits, spaces and "+" only, as the API accepts).
PHONE_PREFIX = {Language.EN: "+44 7", Language.FR: "+33 6"}


@dataclass
class SeedResult:
    """What one run created (the manifest's content)."""

    company: Company
    admin: User | None  # None until found: in an existing company, once the run's users are written
    password: str
    users: list[tuple[str, str]] = field(default_factory=list)  # (id, email)
    units: list[OrganizationUnit] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    subcontractors: list[str] = field(default_factory=list)

    def manifest(self) -> dict:
        """The benchmark manifest `identity-bench-manifest/1` (bench/README.md)."""
        assert self.admin is not None, "demo_seed gives every result its admin"
        return {
            "format": MANIFEST_FORMAT,
            "company_id": str(self.company.pk),
            "admin_user_id": str(self.admin.pk),
            "password": self.password,
            "users": [{"id": pk, "email": email} for pk, email in self.users],
            "organization_units": [
                {"id": str(unit.pk), "parent_id": str(unit.parent_id) if unit.parent_id else None, "level": unit.level}
                for unit in self.units
            ],
            "positions": [
                {"id": str(position.pk), "organization_unit_id": str(position.organization_unit_id)}
                for position in self.positions
            ],
            "customers": self.customers,
            "subcontractors": self.subcontractors,
        }


# advance(count) of a progress display; `task(label, total)` returns a context manager yielding one.
ProgressTask = Callable[[str, int], object]


class _Names:
    """Realistic en/fr names, drawn from pools Faker fills once (so 100,000 rows cost no Faker call each)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.pools = {}
        for language, locale in LOCALES.items():
            faker = Faker(locale)
            faker.seed_instance(rng.random())
            self.pools[language] = {
                "first": _distinct(faker.first_name, NAME_POOL),
                "last": _distinct(faker.last_name, NAME_POOL),
                "city": _distinct(faker.city, 60),
                "company": _distinct(faker.company, 200),
                "address": [faker.address().replace("\n", ", ") for _ in range(200)],
            }

    def language(self) -> str:
        return Language.FR if self.rng.random() < SHARE_FRENCH else Language.EN

    def pick(self, language: str, kind: str) -> str:
        return self.rng.choice(self.pools[language][kind])

    def phone(self, language: str) -> str:
        digits = f"{self.rng.randrange(10**8):08d}"
        if language == Language.FR:
            return f"{PHONE_PREFIX[language]} " + " ".join(digits[i : i + 2] for i in range(0, 8, 2))
        return f"{PHONE_PREFIX[language]}{digits[:3]} {digits[3:]}"


def _distinct(make: Callable[[], str], count: int) -> list[str]:
    values = {make() for _ in range(count * 2)}
    return sorted(values)[:count] if len(values) > count else sorted(values)


def _ascii_slug(text: str, separator: str = "-") -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", separator, folded).strip(separator) or "x"


def _batch_size(model, requested: int) -> int:
    fields = len(model._meta.concrete_fields)
    return max(1, min(requested, MAX_PARAMETERS // fields))


def _write(model, rows: list, *, batch_size: int, task, label: str) -> None:
    """bulk_create in batches, one transaction each with the batch's `<type>.create` audit events: an interrupted
    run leaves whole batches."""
    size = _batch_size(model, batch_size)
    with task(label, len(rows)) as advance:
        for batch in batches(rows, size):
            with transaction.atomic():
                model.objects.bulk_create(batch, batch_size=size)
                audit.record_many(
                    (f"{audit.object_type_of(obj)}.create", obj, audit.created_fields(obj)) for obj in batch
                )
            advance(len(batch))


def demo_seed(
    *,
    users: int,
    units: int,
    customers: int = 0,
    subcontractors: int = 0,
    company_id=None,
    company_name: str | None = None,
    password: str = DEFAULT_PASSWORD,
    batch_size: int = DEFAULT_BATCH_SIZE,
    task: ProgressTask | None = None,
    rng: random.Random | None = None,
) -> SeedResult:
    """Creates demo rows in bulk: in the company `company_id`, or in a new company (`company_name`, or a generated
    one) bootstrapped with its first admin. `users` counts that admin; `units` counts the root of the run's tree
    (the new company's default unit, or a new root in an existing company).

    Every user gets `password`, hashed once. Emails carry a tag unique to the run, so runs can be repeated.
    Raises ValidationFailed (a password the policy refuses, bad counts), NotFound (unknown company) and Conflict
    (a new company's name is taken).
    """
    task = task or silent_task
    _check(users=users, units=units, customers=customers, subcontractors=subcontractors, password=password)
    rng = rng or random.Random()
    names = _Names(rng)
    run = _Run(tag=secrets.token_hex(4), names=names, rng=rng)

    if company_id is not None:
        company = Company.objects.filter(pk=company_id).first()
        if company is None:
            raise NotFound("Company not found")
        run.domain = f"{_ascii_slug(company.name)}.example"
        root = OrganizationUnit(company=company, name=f"{company.name} {run.tag}", level=0)
        root.path = str(root.pk)
        result = SeedResult(company=company, admin=None, password=password)
        to_write = [root]
    else:
        company_name = company_name or f"Demo {run.tag}"
        run.domain = f"{_ascii_slug(company_name)}.example"
        bootstrap = tenant_bootstrap(
            company_data={"name": company_name, "description": "Demo data (seed_demo)"},
            user_data={
                "email": f"admin.{run.tag}@{run.domain}",
                "password": password,
                "first_name": "Admin",
                "last_name": company_name[:50],
            },
        )
        company, root = bootstrap.company, bootstrap.organization_unit
        result = SeedResult(
            company=company,
            admin=bootstrap.user,
            password=password,
            users=[(str(bootstrap.user.pk), bootstrap.user.email)],
            positions=[bootstrap.position],
        )
        to_write = []
        users -= 1

    tree = _unit_tree(run, company, root, units)
    result.units = [unit for unit, _ in tree]
    _write(OrganizationUnit, to_write + result.units[1:], batch_size=batch_size, task=task, label="units")

    positions = [
        Position(company=company, organization_unit=unit, level=rank, title=_title(run, language, rank))
        for unit, language in tree
        for rank in range(POSITIONS_PER_UNIT)
    ]
    _write(Position, positions, batch_size=batch_size, task=task, label="positions")
    result.positions += positions

    hashed = make_password(password)
    people = [_user(run, company, index, hashed, positions) for index in range(users)]
    _write(User, people, batch_size=batch_size, task=task, label="users")
    result.users += [(str(user.pk), user.email) for user in people]
    result.admin = result.admin or _existing_admin(company)

    rows = [_customer(run, company, index) for index in range(customers)]
    _write(Customer, rows, batch_size=batch_size, task=task, label="customers")
    result.customers = [str(row.pk) for row in rows]
    taken = {name.lower() for name in Subcontractor.objects.filter(company=company).values_list("name", flat=True)}
    rows = [_subcontractor(run, company, taken) for _ in range(subcontractors)]
    _write(Subcontractor, rows, batch_size=batch_size, task=task, label="subcontractors")
    result.subcontractors = [str(row.pk) for row in rows]

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fresh planner statistics for the tables just filled, as autovacuum would have them later.
            for model in (OrganizationUnit, Position, User, Customer, Subcontractor):
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    return result


def _check(*, users: int, units: int, customers: int, subcontractors: int, password: str) -> None:
    errors = {}
    if users < 1:
        errors["users"] = ["At least 1."]
    if units < 1:
        errors["units"] = ["At least 1."]
    for name, count in (("customers", customers), ("subcontractors", subcontractors)):
        if count < 0:
            errors[name] = ["Cannot be negative."]
    problems = password_problems(password)
    if problems:
        errors["password"] = problems
    if errors:
        raise ValidationFailed(errors=errors)


@dataclass
class _Run:
    tag: str
    names: _Names
    rng: random.Random
    domain: str = ""


def _unit_tree(run: _Run, company: Company, root: OrganizationUnit, count: int) -> list[tuple[OrganizationUnit, str]]:
    """`count` units as a heap-shaped tree under (and including) `root`: unit i's parent is unit (i - 1) // B, with
    B ≈ the cube root of `count`, so the tree has about four levels whatever its size."""
    branching = max(2, round(count ** (1 / 3)))
    tree = [(root, Language.EN)]
    for index in range(1, count):
        parent, language = tree[(index - 1) // branching]
        if parent.level == 0:
            language = run.names.language()
        unit = OrganizationUnit(
            company=company, parent=parent, level=parent.level + 1, name=_unit_name(run, language, parent, index)
        )
        unit.path = f"{parent.path}{PATH_SEPARATOR}{unit.pk}"
        tree.append((unit, language))
    return tree


def _unit_name(run: _Run, language: str, parent: OrganizationUnit, index: int) -> str:
    departments = DEPARTMENTS[language]
    if parent.level == 0:
        return departments[index % len(departments)]
    if parent.level == 1:
        return f"{parent.name} {run.names.pick(language, 'city')}"[:100]
    team = "équipe" if language == Language.FR else "team"
    return f"{parent.name} – {team} {index}"[-100:]


def _title(run: _Run, language: str, rank: int) -> str:
    titles = TITLES[language]
    return titles[0] if rank == 0 else run.rng.choice(titles[1:])


def _user(run: _Run, company: Company, index: int, hashed: str, positions: list[Position]) -> User:
    names, rng = run.names, run.rng
    language = names.language()
    first, last = names.pick(language, "first"), names.pick(language, "last")
    local = f"{_ascii_slug(first)}.{_ascii_slug(last)}.{run.tag}-{index}"
    position = None if rng.random() < SHARE_WITHOUT_POSITION else rng.choice(positions)
    return User(
        company=company,
        email=f"{local}@{run.domain}",
        password=hashed,
        first_name=first[:50],
        last_name=last[:50],
        language=language,
        phone_number=names.phone(language),
        position=position,
        is_verified=rng.random() < 0.8,
    )


def _existing_admin(company: Company) -> User:
    """An active user of the company, the holder of an Administrator position first."""
    active = User.objects.filter(company=company, is_active=True)
    return (
        active.filter(position__title=ADMIN_POSITION_TITLE).order_by("created_at", "id").first()
        or active.order_by("created_at", "id").first()
    )


def _partner_fields(run: _Run, language: str) -> dict:
    names = run.names
    return {
        "contact_person": f"{names.pick(language, 'first')} {names.pick(language, 'last')}"[:100],
        "phone_number": names.phone(language),
        "address": names.pick(language, "address")[:200],
    }


def _customer(run: _Run, company: Company, index: int) -> Customer:
    language = run.names.language()
    name = run.names.pick(language, "company")
    return Customer(
        company=company,
        name=name[:100],
        email=f"contact.{run.tag}{index}@{_ascii_slug(name)}.example",
        **_partner_fields(run, language),
    )


def _subcontractor(run: _Run, company: Company, taken: set[str]) -> Subcontractor:
    """A subcontractor whose name no other of the company has (names are unique per company)."""
    language = run.names.language()
    base = run.names.pick(language, "company")[:90]
    name, suffix = base, 1
    while name.lower() in taken:
        suffix += 1
        name = f"{base} {suffix}"
    taken.add(name.lower())
    department = run.names.rng.choice(DEPARTMENTS[language])
    return Subcontractor(
        company=company,
        name=name,
        email=f"contact@{_ascii_slug(base)}.example",
        description=department,
        **_partner_fields(run, language),
    )
