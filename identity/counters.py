"""Per-company row counts of the listed tables, kept exact by PostgreSQL triggers (identity.models.CompanyRowCount).

An unfiltered list page reads its `total` from the counter instead of counting the company's rows: one indexed
primary-key lookup whatever the size of the company. Filtered lists, and every list on another database, count.
"""

from django.db import connections, models

# The tables whose rows the triggers of migration 0003 count per `company_id`. Not the audit trail: every write
# of a company inserts an event, and a counter row locked by each of them until commit would serialize the
# company's writes (and a delete, which records its event before the row goes, would take the two counters in the
# opposite order of a create); its list counts on its index. A new company-owned table that is
# listed needs its triggers too (a migration creating them as identity 0003 does), or its lists keep counting.
COUNTED_TABLES = frozenset(
    {
        "users_user",
        "org_organizationunit",
        "org_position",
        "partners_customer",
        "partners_subcontractor",
    }
)

# The total of one table in one company, with the parameters (table name, company id).
COUNTER_SQL = "COALESCE((SELECT total FROM identity_companyrowcount WHERE table_name = %s AND company_id = %s), 0)"


def counter_total(model, company_id) -> models.Expression | None:
    """`total` of the unfiltered list of `model` in `company_id` as an SQL expression, or None when this database
    keeps no counter for it (the caller counts)."""
    table = model._meta.db_table
    if table not in COUNTED_TABLES or connections[model._default_manager.db].vendor != "postgresql":
        return None
    return models.expressions.RawSQL(COUNTER_SQL, (table, company_id), output_field=models.BigIntegerField())
