"""A database of the Flask Identity Service for the import tests, created from its schema (Alembic revision
3c0ce317ded6) in SQLite or in a scratch PostgreSQL database, filled with rows and real Werkzeug hashes."""

import datetime as dt
import functools
import sqlite3
import uuid
from urllib.parse import quote

import psycopg
from django.conf import settings
from werkzeug.security import generate_password_hash

# The two formats the Flask service stored; pbkdf2 with fewer iterations than Werkzeug's default keeps tests fast.
HASH_METHODS = ("scrypt", "pbkdf2:sha256:20000")

_TABLES = """
CREATE TABLE company (
    id VARCHAR(36) NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL, description VARCHAR(255),
    logo_file_id VARCHAR(36), has_logo BOOLEAN NOT NULL DEFAULT false, website VARCHAR(255),
    phone_number VARCHAR(20), email VARCHAR(100), address VARCHAR(255), postal_code VARCHAR(20),
    city VARCHAR(100), country VARCHAR(100), created_at TIMESTAMP, updated_at TIMESTAMP);
CREATE TABLE customer (
    id VARCHAR(36) NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL,
    company_id VARCHAR(36) NOT NULL REFERENCES company (id), email VARCHAR(100) UNIQUE,
    contact_person VARCHAR(100), phone_number VARCHAR(50), address VARCHAR(255), logo_file_id VARCHAR(36),
    has_logo BOOLEAN NOT NULL DEFAULT false, created_at TIMESTAMP, updated_at TIMESTAMP);
CREATE TABLE subcontractor (
    id VARCHAR(36) NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL,
    company_id VARCHAR(36) NOT NULL REFERENCES company (id), email VARCHAR(100), contact_person VARCHAR(100),
    phone_number VARCHAR(50), address VARCHAR(200), description VARCHAR(255), logo_file_id VARCHAR(36),
    has_logo BOOLEAN NOT NULL DEFAULT false, created_at TIMESTAMP, updated_at TIMESTAMP);
CREATE TABLE organization_unit (
    id VARCHAR(36) NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL,
    company_id VARCHAR(36) NOT NULL REFERENCES company (id), description VARCHAR(255),
    parent_id VARCHAR(36) REFERENCES organization_unit (id), path VARCHAR(255), level INTEGER,
    created_at TIMESTAMP, updated_at TIMESTAMP);
CREATE TABLE position (
    id VARCHAR(36) NOT NULL PRIMARY KEY, title VARCHAR(100) NOT NULL,
    company_id VARCHAR(36) NOT NULL REFERENCES company (id),
    organization_unit_id VARCHAR(36) NOT NULL REFERENCES organization_unit (id), description VARCHAR(255),
    level INTEGER, created_at TIMESTAMP, updated_at TIMESTAMP);
CREATE TABLE "user" (
    id VARCHAR(36) NOT NULL PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE,
    hashed_password VARCHAR(255) NOT NULL, first_name VARCHAR(50), last_name VARCHAR(50), language {language},
    phone_number VARCHAR(50), avatar_file_id VARCHAR(36), has_avatar BOOLEAN NOT NULL DEFAULT false,
    is_active BOOLEAN DEFAULT true, is_verified BOOLEAN DEFAULT false, last_login_at TIMESTAMP,
    company_id VARCHAR(36) NOT NULL REFERENCES company (id), position_id VARCHAR(36) REFERENCES position (id),
    password_reset_required BOOLEAN NOT NULL DEFAULT false, last_password_change TIMESTAMP,
    created_at TIMESTAMP, updated_at TIMESTAMP);
CREATE TABLE password_reset_otp (
    id VARCHAR(36) NOT NULL PRIMARY KEY, user_id VARCHAR(36) REFERENCES "user" (id) ON DELETE CASCADE,
    otp_code VARCHAR(255), attempts INTEGER, expires_at TIMESTAMP, created_at TIMESTAMP, used_at TIMESTAMP);
"""


@functools.cache
def werkzeug_hash(password: str, method: str) -> str:
    return generate_password_hash(password, method=method)


def moment(days: int = 0, minutes: int = 0) -> dt.datetime:
    """A naive UTC timestamp, as the Flask service stored them."""
    return dt.datetime(2024, 3, 1, 9, 30, 15, 123456) + dt.timedelta(days=days, minutes=minutes)


class FlaskSource:
    """`source.company(...)`, `source.unit(...)` … insert rows (defaults for what a test does not name) and return
    the id; `source.url` is what the importer is given."""

    def __init__(self, kind: str, url: str, conn):
        self.kind, self.url, self.conn = kind, url, conn
        self._clock = 0

    def insert(self, table: str, **values) -> str:
        columns = ", ".join(values)
        marks = ", ".join(["?" if self.kind == "sqlite" else "%s"] * len(values))
        params = [self._adapt(value) for value in values.values()]
        self.conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", params)
        self.conn.commit()
        return values["id"]  # every row is given one (`_stamps`)

    def execute(self, sql: str, *params) -> None:
        if self.kind == "sqlite":
            sql = sql.replace("%s", "?")
        self.conn.execute(sql, [self._adapt(value) for value in params])
        self.conn.commit()

    def _adapt(self, value):
        if self.kind == "sqlite" and isinstance(value, dt.datetime):
            return value.isoformat(sep=" ")  # SQLAlchemy's SQLite text form
        return value

    def _stamps(self, values: dict) -> dict:
        self._clock += 1
        values.setdefault("created_at", moment(minutes=self._clock))
        values.setdefault("updated_at", moment(days=1, minutes=self._clock))
        values.setdefault("id", str(uuid.uuid4()))
        return values

    def company(self, name: str, **values) -> str:
        return self.insert("company", **self._stamps({"name": name, **values}))

    def unit(self, company: str, name: str, parent: str | None = None, **values) -> str:
        return self.insert(
            "organization_unit", **self._stamps({"company_id": company, "name": name, "parent_id": parent, **values})
        )

    def position(self, company: str, unit: str, title: str, **values) -> str:
        return self.insert(
            "position", **self._stamps({"company_id": company, "organization_unit_id": unit, "title": title, **values})
        )

    def user(
        self, company: str, email: str, password: str = "Old-Flask-Passw0rd", method: str = HASH_METHODS[0], **values
    ) -> str:
        values = {
            "company_id": company,
            "email": email,
            "hashed_password": werkzeug_hash(password, method),
            "language": "EN",
            **values,
        }
        return self.insert('"user"', **self._stamps(values))

    def customer(self, company: str, name: str, **values) -> str:
        return self.insert("customer", **self._stamps({"company_id": company, "name": name, **values}))

    def subcontractor(self, company: str, name: str, **values) -> str:
        return self.insert("subcontractor", **self._stamps({"company_id": company, "name": name, **values}))

    def close(self) -> None:
        self.conn.close()


def sqlite_source(path) -> FlaskSource:
    conn = sqlite3.connect(str(path))
    conn.executescript(_TABLES.format(language="VARCHAR(2)"))
    return FlaskSource("sqlite", f"sqlite:///{path}", conn)


def _server_url(database: str) -> str:
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "postgres", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    return f"postgresql://{credentials}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{database}"


class PostgresScratch:
    """A scratch database on the test run's PostgreSQL server, with the Flask service's quoted "user" table and its
    `languageenum` enum; dropped by `drop()`."""

    def __init__(self):
        self.name = f"flask_source_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_server_url("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        conn = psycopg.connect(_server_url(self.name))
        conn.execute("CREATE TYPE languageenum AS ENUM ('EN', 'FR')")
        conn.execute(_TABLES.format(language="languageenum"))
        conn.commit()
        self.source = FlaskSource("postgres", _server_url(self.name), conn)

    def drop(self) -> None:
        self.source.close()
        with psycopg.connect(_server_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
