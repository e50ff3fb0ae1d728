"""Import of the Flask Identity Service's database (`manage.py import_flask_identity`): read with plain SQL,
checked row by row, written company by company (docs of the source: README, "Moving from the Flask service").

Three steps: `source_read` loads the source tables; `import_plan` converts every row, skips (and says why) those
that cannot be imported, and compares the rest with this database; `import_apply` writes a plan, one transaction
per company. Ids, password hashes (as `werkzeug$<hash>`), file ids, `has_*` flags and timestamps are kept; unit
paths and levels are recomputed from `parent_id`.
"""

import datetime as dt
import sqlite3
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import psycopg
from django.db import DatabaseError, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from companies.models import Company
from identity import audit
from identity.progress import batches, silent_task
from identity.services import insert_raw
from org.models import MAX_LEVEL, OrganizationUnit, Position
from org.selectors import PATH_SEPARATOR
from partners.models import Customer, Subcontractor
from users.models import Language, User

WERKZEUG_PREFIX = "werkzeug$"
BATCH_SIZE = 1000  # rows per INSERT or UPDATE
# bulk_update writes one CASE per field with a branch per row: short batches keep it linear.
UPDATE_BATCH_SIZE = 200
LOOKUP_BATCH_SIZE = 10000  # ids per SELECT … WHERE id IN (…)
TIMESTAMPS = ("created_at", "updated_at")

# Summary/audit name → (source table as written in SQL, model). Parents before children.
TABLES = {
    "company": ("company", Company),
    "organization_unit": ("organization_unit", OrganizationUnit),
    "position": ("position", Position),
    "user": ('"user"', User),
    "customer": ("customer", Customer),
    "subcontractor": ("subcontractor", Subcontractor),
}
# Plain text columns copied as they are (same name here), checked against the model's max_length.
TEXT_FIELDS = {
    "company": (
        "name",
        "description",
        "website",
        "phone_number",
        "email",
        "address",
        "postal_code",
        "city",
        "country",
        "logo_file_id",
    ),
    "organization_unit": ("name", "description"),
    "position": ("title", "description"),
    "user": ("email", "first_name", "last_name", "phone_number", "avatar_file_id"),
    "customer": ("name", "email", "contact_person", "phone_number", "address", "logo_file_id"),
    "subcontractor": ("name", "email", "contact_person", "phone_number", "address", "logo_file_id", "description"),
}
REQUIRED_TEXT = {
    "company": ("name",),
    "organization_unit": ("name",),
    "position": ("title",),
    "user": ("email",),
    "customer": ("name",),
    "subcontractor": ("name",),
}
# Booleans and the default the Flask schema gives a NULL.
FLAGS = {
    "company": {"has_logo": False},
    "user": {"has_avatar": False, "is_active": True, "is_verified": False, "password_reset_required": False},
    "customer": {"has_logo": False},
    "subcontractor": {"has_logo": False},
}
LANGUAGES = {"en": Language.EN, "fr": Language.FR}
CREDENTIAL_FIELDS = ("password", "password_reset_required", "last_password_change")


class SourceError(Exception):
    """The source database cannot be read; the message is one line for the operator."""


class Skip(Exception):
    """A row that cannot be imported; the message says why."""


# --- reading the source ---------------------------------------------------------------------------------------
def source_read(url: str) -> dict[str, list[dict]]:
    """Every row of the six imported tables as dicts, read with plain SQL from PostgreSQL or SQLite.

    Raises SourceError when the URL is not one of those or the database or a table cannot be read.
    """
    if url.startswith(("postgres://", "postgresql://")):
        return _read_postgres(url)
    if url.startswith("sqlite:///"):
        return _read_sqlite(unquote(url[len("sqlite:///") :]))
    raise SourceError("--database-url must start with postgres://, postgresql:// or sqlite:///")


def _read_postgres(url: str) -> dict[str, list[dict]]:
    try:
        with psycopg.connect(url, connect_timeout=10, row_factory=psycopg.rows.dict_row) as conn:
            conn.read_only = True
            with conn.cursor() as cursor:
                return {
                    name: cursor.execute(f"SELECT * FROM {table}").fetchall() for name, (table, _) in TABLES.items()
                }
    except psycopg.Error as exc:
        raise SourceError(f"Cannot read the source database: {_first_line(exc)}") from None


def _read_sqlite(path: str) -> dict[str, list[dict]]:
    if not path or not Path(path).is_file():
        raise SourceError(f"Cannot read the source database: no SQLite file at {path!r}")
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            conn.row_factory = sqlite3.Row
            return {
                name: [dict(row) for row in conn.execute(f"SELECT * FROM {table}")]
                for name, (table, _) in TABLES.items()
            }
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise SourceError(f"Cannot read the source database: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# --- converting one row -----------------------------------------------------------------------------------------
def _uuid(value, column: str) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Skip(f"{column} {value!r} is not a UUID") from None


def _flag(value, column: str, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool | int):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("1", "t", "true"):
        return True
    if text in ("0", "f", "false"):
        return False
    raise Skip(f"{column} {value!r} is not a boolean")


def _timestamp(value, column: str) -> dt.datetime | None:
    """A source TIMESTAMP (UTC without a zone; SQLite keeps it as text) as an aware UTC datetime."""
    if value is None or value == "":
        return None
    if not isinstance(value, dt.datetime):
        try:
            value = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise Skip(f"{column} {value!r} is not a timestamp") from None
    if timezone.is_naive(value):
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _text(model, row: dict, column: str, required: bool) -> str | None:
    value = row.get(column)
    if value is None or (required and not str(value).strip()):
        if required:
            raise Skip(f"{column} is missing")
        return None
    value = str(value)
    limit = model._meta.get_field(column).max_length
    if limit is not None and len(value) > limit:
        raise Skip(f"{column} is longer than {limit} characters")
    return value


def _convert(table: str, row: dict) -> dict:
    """The row as field values of this database (attnames), without the references' checks; raises Skip."""
    model = TABLES[table][1]
    values: dict[str, Any] = {"id": _uuid(row.get("id"), "id")}
    if values["id"] is None:
        raise Skip("id is missing")
    for column in TEXT_FIELDS[table]:
        values[column] = _text(model, row, column, column in REQUIRED_TEXT[table])
    for column, default in FLAGS.get(table, {}).items():
        values[column] = _flag(row.get(column), column, default)
    for column in TIMESTAMPS:
        values[column] = _timestamp(row.get(column), column)
    if table != "company":
        values["company_id"] = _uuid(row.get("company_id"), "company_id")
        if values["company_id"] is None:
            raise Skip("company_id is missing")
    if table == "organization_unit":
        values["parent_id"] = _uuid(row.get("parent_id"), "parent_id")
    elif table == "position":
        values["organization_unit_id"] = _uuid(row.get("organization_unit_id"), "organization_unit_id")
        if values["organization_unit_id"] is None:
            raise Skip("organization_unit_id is missing")
        values["level"] = _level(row.get("level"))
    elif table == "user":
        values.update(_user_values(row))
    return values


def _level(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        level = int(value)
    except (TypeError, ValueError):
        raise Skip(f"level {value!r} is not an integer") from None
    if level < 0:
        raise Skip(f"level {level} is negative")
    return level


def _user_values(row: dict) -> dict:
    hashed = row.get("hashed_password")
    if not hashed:
        raise Skip("hashed_password is missing")
    password = f"{WERKZEUG_PREFIX}{hashed}"
    if len(password) > User._meta.get_field("password").max_length:
        raise Skip("hashed_password is too long")
    language = row.get("language")
    language = str(language).strip().lower() if language is not None else "en"
    if language not in LANGUAGES:
        raise Skip(f"language {row.get('language')!r} is neither EN nor FR")
    return {
        "password": password,
        "language": LANGUAGES[language],
        "position_id": _uuid(row.get("position_id"), "position_id"),
        "last_login_at": _timestamp(row.get("last_login_at"), "last_login_at"),
        "last_password_change": _timestamp(row.get("last_password_change"), "last_password_change"),
    }


# --- the plan ---------------------------------------------------------------------------------------------------
@dataclass
class PlannedRow:
    table: str
    values: dict
    existing: models.Model | None = None
    changed: list[str] = field(default_factory=list)  # fields (attnames) a create sets or an update changes
    instance: models.Model | None = None  # the row of this database once written

    @property
    def pk(self) -> uuid.UUID:
        return self.values["id"]

    @property
    def company_id(self) -> uuid.UUID:
        return self.values["id"] if self.table == "company" else self.values["company_id"]

    @property
    def verb(self) -> str:
        if self.existing is None:
            return "create"
        return "update" if self.changed else "unchanged"


@dataclass
class SkippedRow:
    table: str
    id: str
    company_id: str | None
    reason: str


@dataclass
class ImportPlan:
    rows: dict[str, list[PlannedRow]] = field(default_factory=lambda: {table: [] for table in TABLES})
    skipped: list[SkippedRow] = field(default_factory=list)
    read: Counter = field(default_factory=Counter)

    def summary(self) -> list[tuple[str, int, int, int, int, int]]:
        """(table, read, created, updated, unchanged, skipped) per table."""
        skipped = Counter(row.table for row in self.skipped)
        lines = []
        for table, rows in self.rows.items():
            verbs = Counter(row.verb for row in rows)
            lines.append(
                (table, self.read[table], verbs["create"], verbs["update"], verbs["unchanged"], skipped[table])
            )
        return lines


def _sort_key(row: PlannedRow):
    """Earliest created first (rows without created_at last), then by id: which of two duplicates is kept."""
    created = row.values.get("created_at")
    return (created is None, created or dt.datetime.min.replace(tzinfo=dt.UTC), str(row.pk))


class _Planner:
    def __init__(self, source: dict[str, list[dict]], company: uuid.UUID | None):
        self.source = source
        self.only_company = company
        self.plan = ImportPlan()
        self.kept: dict[str, dict[uuid.UUID, PlannedRow]] = {table: {} for table in TABLES}
        # Every id the source holds (valid or not) → its company id, to tell "missing" from "skipped".
        self.source_company: dict[str, dict[uuid.UUID, uuid.UUID | None]] = {table: {} for table in TABLES}

    def skip(self, table: str, raw_id, company_id, reason: str) -> None:
        company = str(company_id) if company_id is not None else None
        if self.only_company is not None and company != str(self.only_company):
            return
        self.plan.skipped.append(SkippedRow(table, str(raw_id), company, reason))

    def run(self) -> ImportPlan:
        for table in TABLES:
            self._plan_table(table)
        for table, rows in self.plan.rows.items():
            rows.sort(key=lambda row: (row.values.get("level") or 0) if table == "organization_unit" else 0)
        return self.plan

    def _plan_table(self, table: str) -> None:
        candidates = self._converted(table)
        existing = _existing(TABLES[table][1], [row.pk for row in candidates])
        checked = []
        for row in candidates:
            try:
                row.existing = existing.get(row.pk)
                if row.existing is not None and table != "company" and row.existing.company_id != row.company_id:
                    raise Skip(f"id exists here in another company ({row.existing.company_id})")
                self._check_references(row)
                checked.append(row)
            except Skip as reason:
                self._drop(row, str(reason))
        if table == "organization_unit":
            checked = self._tree(checked)
        for row in self._unique(table, checked):
            self.kept[table][row.pk] = row
            _compare(row)
            if self.only_company is None or row.company_id == self.only_company:
                self.plan.rows[table].append(row)

    def _drop(self, row: PlannedRow, reason: str) -> None:
        self.skip(row.table, row.pk, row.company_id, reason)

    def _converted(self, table: str) -> list[PlannedRow]:
        rows = []
        for raw in self.source[table]:
            company_raw = raw.get("id") if table == "company" else raw.get("company_id")
            try:
                company_id = _uuid(company_raw, "company_id")
            except Skip:
                company_id = None
            in_scope = self.only_company is None or company_id == self.only_company
            if in_scope:
                self.plan.read[table] += 1
            try:
                values = _convert(table, raw)
                if values["id"] in self.source_company[table]:
                    raise Skip("duplicate id")
            except Skip as reason:
                self.skip(table, raw.get("id"), company_id if company_id else company_raw, str(reason))
                continue
            self.source_company[table][values["id"]] = company_id
            rows.append(PlannedRow(table, values))
        return rows

    def _reference(self, table: str, pk: uuid.UUID, company_id: uuid.UUID, column: str) -> None:
        if pk in self.kept[table]:
            if self.kept[table][pk].company_id != company_id:
                raise Skip(f"{column} {pk} belongs to another company")
            return
        if pk not in self.source_company[table]:
            raise Skip(f"{column} {pk} does not exist")
        if self.source_company[table][pk] != company_id:
            raise Skip(f"{column} {pk} belongs to another company")
        raise Skip(f"{column} {pk} was skipped")

    def _check_references(self, row: PlannedRow) -> None:
        values = row.values
        if row.table != "company":
            self._reference("company", values["company_id"], values["company_id"], "company_id")
        if row.table == "position":
            self._reference("organization_unit", values["organization_unit_id"], row.company_id, "organization_unit_id")
        if row.table == "user" and values["position_id"] is not None:
            self._reference("position", values["position_id"], row.company_id, "position_id")

    def _tree(self, units: list[PlannedRow]) -> list[PlannedRow]:
        """Sets path and level from parent_id; skips units in a parent cycle, under a skipped or missing parent, or
        deeper than the tree allows."""
        by_id = {row.pk: row for row in units}
        done: dict[uuid.UUID, str | None] = {}  # id → reason when skipped, None when placed

        def parent_problem(row: PlannedRow) -> str | None:
            parent_id = row.values["parent_id"]
            if parent_id in by_id:
                if by_id[parent_id].company_id != row.company_id:
                    return f"parent_id {parent_id} belongs to another company"
                return None
            try:
                self._reference("organization_unit", parent_id, row.company_id, "parent_id")
            except Skip as reason:
                return str(reason)
            return None

        for start in units:
            chain, on_chain, current = [], set(), start
            while current.pk not in done:
                if current.pk in on_chain:
                    cycle = chain[chain.index(current) :]
                    text = " → ".join(str(row.pk) for row in [*cycle, current])
                    for row in cycle:
                        done[row.pk] = f"parent cycle: {text}"
                    break
                chain.append(current)
                on_chain.add(current.pk)
                parent_id = current.values["parent_id"]
                if parent_id is None:
                    break
                problem = parent_problem(current)
                if problem is not None:
                    done[current.pk] = problem
                    break
                current = by_id[parent_id]
            for row in reversed(chain):
                if row.pk in done:
                    continue
                parent_id = row.values["parent_id"]
                if parent_id is None:
                    row.values.update(path=str(row.pk), level=0)
                    done[row.pk] = None
                elif done[parent_id] is not None:
                    done[row.pk] = f"parent_id {parent_id} was skipped"
                elif by_id[parent_id].values["level"] + 1 > MAX_LEVEL:
                    done[row.pk] = f"deeper than {MAX_LEVEL + 1} levels"
                else:
                    parent = by_id[parent_id].values
                    row.values.update(path=f"{parent['path']}{PATH_SEPARATOR}{row.pk}", level=parent["level"] + 1)
                    done[row.pk] = None
        placed = []
        for row in units:
            reason = done[row.pk]
            if reason is None:
                placed.append(row)
            else:
                self._drop(row, reason)
        return placed

    def _unique(self, table: str, rows: list[PlannedRow]) -> Iterable[PlannedRow]:
        """Drops the later of two rows equal ignoring case where this database wants them unique, and rows whose
        value another row of this database already holds."""
        rule = UNIQUE.get(table)
        if rule is None:
            yield from rows
            return
        column, per_company = rule
        taken = _taken(TABLES[table][1], column, per_company)
        first: dict[tuple, uuid.UUID] = {}
        for row in sorted(rows, key=_sort_key):
            value = row.values.get(column)
            if value is None:
                yield row
                continue
            key = (row.company_id if per_company else None, value.lower())
            if key in first:
                self._drop(row, f"{column} equal ignoring case to that of {table} {first[key]} (created earlier)")
            elif taken.get(key, row.pk) != row.pk:
                self._drop(row, f"{column} already taken here by {table} {taken[key]}")
            else:
                first[key] = row.pk
                yield row


# table → (column, unique within the company?) as this database's unique constraints have them.
UNIQUE = {
    "company": ("name", False),
    "user": ("email", False),
    "customer": ("email", True),
    "subcontractor": ("name", True),
}


def _existing(model, ids: list[uuid.UUID]) -> dict[uuid.UUID, models.Model]:
    """The rows of this database with these ids (in batches: PostgreSQL takes at most 65,535 parameters)."""
    found = {}
    for batch in batches(ids, LOOKUP_BATCH_SIZE):
        found.update(model.objects.in_bulk(batch))
    return found


def _taken(model, column: str, per_company: bool) -> dict[tuple, uuid.UUID]:
    """(company id or None, lower-cased value) → id of the row of this database holding it."""
    queryset = model.objects.exclude(**{column: None}).annotate(key=Lower(column))
    if per_company:
        return {(company, key): pk for pk, company, key in queryset.values_list("pk", "company_id", "key")}
    return {(None, key): pk for pk, key in queryset.values_list("pk", "key")}


def _compare(row: PlannedRow) -> None:
    """Fills `row.changed`: the non-null fields of a create, or the fields an update really changes."""
    values, existing = row.values, row.existing
    if existing is None:
        row.changed = sorted(name for name, value in values.items() if value is not None and name != "id")
        return
    if row.table == "user":
        # Credentials set here (the hash upgraded at the first login, a new password) are newer than the source's:
        # keep them, and a later login here too.
        if not existing.password.startswith(WERKZEUG_PREFIX):
            for name in CREDENTIAL_FIELDS:
                values.pop(name, None)
        if existing.last_login_at is not None and (
            values["last_login_at"] is None or values["last_login_at"] < existing.last_login_at
        ):
            values.pop("last_login_at")
    for name in TIMESTAMPS:
        if values.get(name) is None:
            values.pop(name, None)  # the source has none: keep this database's
    row.changed = sorted(name for name, value in values.items() if getattr(existing, name) != value)


def import_plan(source: dict[str, list[dict]], *, company_id: uuid.UUID | None = None) -> ImportPlan:
    """What importing `source` would do (reads this database, writes nothing). With `company_id`, only that
    company's rows are planned and counted; the choice between duplicates still looks at the whole source."""
    return _Planner(source, company_id).run()


# --- writing ----------------------------------------------------------------------------------------------------
RowWritten = Callable[[PlannedRow], None]


def import_apply(plan: ImportPlan, *, task=None, written: RowWritten | None = None) -> list[tuple[uuid.UUID, str]]:
    """Writes the plan's creates and updates, one transaction per company (a failure leaves that company as it
    was and the others go on). Returns the companies that failed, with the error.

    `written(row)` is called once for each created or updated row, inside that company's transaction.
    """
    task = task or silent_task
    by_company: dict[uuid.UUID, dict[str, list[PlannedRow]]] = defaultdict(lambda: defaultdict(list))
    total = 0
    for table, rows in plan.rows.items():
        for row in rows:
            if row.verb != "unchanged":
                by_company[row.company_id][table].append(row)
                total += 1
    failures = []
    with task("rows written", total) as advance:
        for company_id, tables in by_company.items():
            try:
                with transaction.atomic():
                    for table, rows in tables.items():
                        _write_table(TABLES[table][1], rows, written)
                        advance(len(rows))
                    if any(
                        row.existing is not None and "path" in row.changed
                        for row in tables.get("organization_unit", [])
                    ):
                        _repath(company_id)
            except DatabaseError as exc:
                failures.append((company_id, _first_line(exc)))
    return failures


def _write_table(model, rows: list[PlannedRow], written: RowWritten | None) -> None:
    creates = [row for row in rows if row.existing is None]
    now = timezone.now()
    for batch in batches(creates, BATCH_SIZE):
        objects = [
            model(**{**row.values, **{name: row.values.get(name) or now for name in TIMESTAMPS}}) for row in batch
        ]
        insert_raw(model, objects)  # keeps the source's timestamps
        for row, obj in zip(batch, objects, strict=True):
            row.instance = obj
        _rows_written(batch, written)
    updates = [row for row in rows if row.existing is not None]
    for batch in batches(updates, UPDATE_BATCH_SIZE):
        fields = sorted({name for row in batch for name in row.changed})
        for row in batch:
            for name in row.changed:
                setattr(row.existing, name, row.values[name])
        model.objects.bulk_update([row.existing for row in batch], fields)
        for row in batch:
            row.instance = row.existing
        _rows_written(batch, written)


def _rows_written(batch: list[PlannedRow], written: RowWritten | None) -> None:
    """The one place every created or updated row passes, inside its company's transaction, once written: one
    audit event per row (`<table>.create|update`, source `command`), then the `written` hook."""
    entries = []
    for row in batch:
        if row.verb == "create":
            fields = audit.created_fields(row.instance)
        else:
            audited = audit.snapshot(row.instance).keys()
            fields = [name for name in row.changed if name in audited]
        entries.append((f"{row.table}.{row.verb}", row.instance, fields))
    audit.record_many(entries)
    if written is not None:
        for row in batch:
            written(row)


def _repath(company_id: uuid.UUID) -> None:
    """Recomputes path/level of every unit of the company from parent_id, so that units created here below an
    imported unit that moved follow it."""
    units = list(OrganizationUnit.objects.filter(company_id=company_id).only("id", "parent_id", "path", "level"))
    children = defaultdict(list)
    for unit in units:
        children[unit.parent_id].append(unit)
    stale, stack = [], [(unit, None) for unit in children[None]]
    while stack:
        unit, parent = stack.pop()
        path = f"{parent.path}{PATH_SEPARATOR}{unit.pk}" if parent else str(unit.pk)
        level = parent.level + 1 if parent else 0
        if (unit.path, unit.level) != (path, level):
            unit.path, unit.level = path, level
            stale.append(unit)
        stack.extend((child, unit) for child in children[unit.pk])
    OrganizationUnit.objects.bulk_update(stale, ["path", "level"], batch_size=UPDATE_BATCH_SIZE)
