"""The change feed's trigger (identity.postgres.changes): every committed update or delete of a row of these tables
is notified on the channel `identity_row_changed` as '<table>:<id>', a truncate as '<table>:*'. PostgreSQL only;
SQLite has no feed."""

from django.db import migrations

CHANNEL = "identity_row_changed"
TABLES = (
    "users_user",
    "companies_company",
    "org_organizationunit",
    "org_position",
    "partners_customer",
    "partners_subcontractor",
)
FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION identity_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME || ':' || OLD.id::text);
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION identity_table_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME || ':*');
    RETURN NULL;
END $$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    statements = [FUNCTIONS]
    for table in TABLES:
        statements.append(
            f"CREATE TRIGGER identity_row_changed AFTER UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION identity_row_changed();"
            f"CREATE TRIGGER identity_table_truncated AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION identity_table_truncated();"
        )
    schema_editor.execute("\n".join(statements))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    statements = []
    for table in TABLES:
        statements.append(
            f"DROP TRIGGER IF EXISTS identity_row_changed ON {table};"
            f"DROP TRIGGER IF EXISTS identity_table_truncated ON {table};"
        )
    statements.append("DROP FUNCTION IF EXISTS identity_row_changed(); DROP FUNCTION IF EXISTS identity_table_truncated();")
    schema_editor.execute("\n".join(statements))


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0001_initial"),
        ("users", "0001_initial"),
        ("companies", "0001_initial"),
        ("org", "0001_initial"),
        ("partners", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
