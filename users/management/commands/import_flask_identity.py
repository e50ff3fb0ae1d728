"""`manage.py import_flask_identity --database-url URL [--dry-run] [--company <id>]`: copies a database of the
Flask Identity Service into this one (README, "Moving from the Flask service")."""

import uuid

from django.core.management.base import CommandError
from rich import box
from rich.console import Console
from rich.table import Table

from identity.management.base import IdentityCommand
from identity.progress import CommandProgress
from users.services import flask_import


class Command(IdentityCommand):
    help = (
        "Imports companies, organization units, positions, users (with their password hashes), customers and "
        "subcontractors from the Flask service's database (PostgreSQL or SQLite), keeping ids, file ids and "
        "timestamps. Safe to run again: existing ids are updated, unchanged rows are left alone. Rows that cannot "
        "be imported are skipped and listed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database-url",
            required=True,
            help="the Flask service's database: postgres://user:password@host:5432/name, "
            "postgresql://…, or sqlite:///path/to/file.db",
        )
        parser.add_argument("--dry-run", action="store_true", help="read and report, write nothing")
        parser.add_argument("--company", help="import only this company of the source (its id)")

    def handle(self, *args, database_url: str, dry_run: bool, company: str | None, **options):
        company_id = None
        if company is not None:
            try:
                company_id = uuid.UUID(company)
            except ValueError:
                raise CommandError(f"--company must be a company id (a UUID), not {company!r}") from None
        try:
            source = flask_import.source_read(database_url)
        except flask_import.SourceError as exc:
            raise CommandError(str(exc)) from None
        if company_id is not None and not any(_same(row.get("id"), company_id) for row in source["company"]):
            raise CommandError(f"The source has no company {company_id}")

        plan = flask_import.import_plan(source, company_id=company_id)
        failures = []
        if not dry_run:
            failures = flask_import.import_apply(plan, task=CommandProgress(self.stderr).task)
        self._report(plan, dry_run=dry_run, failures=failures)
        if failures:
            raise CommandError(f"{len(failures)} companies could not be written and were left as they were")

    def _report(self, plan: flask_import.ImportPlan, *, dry_run: bool, failures: list) -> None:
        console = Console(file=getattr(self.stdout, "_out", self.stdout), highlight=False, width=120)
        title = "Dry run: nothing was written" if dry_run else "Import from the Flask service"
        table = Table(title=title, box=box.SIMPLE)
        for column in ("table", "read", "created", "updated", "unchanged", "skipped"):
            table.add_column(column, justify="left" if column == "table" else "right")
        for line in plan.summary():
            table.add_row(line[0], *(str(count) for count in line[1:]))
        console.print(table)
        # One line per row, never wrapped, so that the list can be searched and filtered.
        if plan.skipped:
            self.stdout.write(f"Skipped rows ({len(plan.skipped)}):")
            for row in plan.skipped:
                company = "" if row.table == "company" else f" (company {row.company_id})"
                self.stdout.write(f"  {row.table} {row.id}{company}: {row.reason}")
        for company_id, error in failures:
            self.stdout.write(f"Company {company_id} was not written (left as it was): {error}")
        if not dry_run and not failures and not any(line[2] or line[3] for line in plan.summary()):
            self.stdout.write("Nothing changed: this database already holds the source's rows.")


def _same(value, company_id: uuid.UUID) -> bool:
    try:
        return uuid.UUID(str(value)) == company_id
    except ValueError:
        return False
