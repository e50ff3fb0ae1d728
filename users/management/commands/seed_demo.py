"""`manage.py seed_demo --users N …`: realistic demo data in bulk, optionally with the benchmark manifest."""

import json
import time
import uuid

from django.core.management.base import CommandError

from identity.exceptions import DomainError
from identity.management.base import IdentityCommand
from identity.progress import CommandProgress
from users.services import seeding


class Command(IdentityCommand):
    help = (
        "Fills a company (--company) or a new one (--company-name, or a generated name) with demo data: a unit tree "
        "of several levels with positions, users holding them (en/fr names, emails, phones), customers and "
        "subcontractors. Every user gets the same password, hashed once; rows are written in batches. Repeatable: "
        "each run adds rows with fresh unique emails."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--users", type=int, required=True, help="users to create (including the first admin of a new company)"
        )
        parser.add_argument(
            "--units", type=int, help="organization units, root included (default: users / 100, at least 1)"
        )
        parser.add_argument("--customers", type=int, help="customers (default: users / 100)")
        parser.add_argument("--subcontractors", type=int, help="subcontractors (default: users / 200)")
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--company", help="id of an existing company to fill")
        target.add_argument("--company-name", help="name of the new company (default: 'Demo <tag>')")
        parser.add_argument(
            "--password",
            default=seeding.DEFAULT_PASSWORD,
            help=f"every seeded user's password (default {seeding.DEFAULT_PASSWORD!r})",
        )
        parser.add_argument("--manifest", help="write the benchmark manifest (identity-bench-manifest/1) here")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=seeding.DEFAULT_BATCH_SIZE,
            help=f"rows per INSERT and per transaction (default {seeding.DEFAULT_BATCH_SIZE})",
        )

    def handle(self, *args, **options):
        users = options["users"]
        company_id = options["company"]
        if company_id is not None:
            try:
                company_id = uuid.UUID(company_id)
            except ValueError:
                raise CommandError(f"--company must be a company id (a UUID), not {company_id!r}") from None
        manifest_file = None
        if options["manifest"]:
            try:  # opened first: an unwritable path fails before any row is written
                manifest_file = open(options["manifest"], "w", encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot write the manifest: {exc}") from None
        progress = CommandProgress(self.stderr)
        started = time.monotonic()
        try:
            result = seeding.demo_seed(
                users=users,
                units=options["units"] if options["units"] is not None else max(1, users // 100),
                customers=options["customers"] if options["customers"] is not None else users // 100,
                subcontractors=options["subcontractors"] if options["subcontractors"] is not None else users // 200,
                company_id=company_id,
                company_name=options["company_name"],
                password=options["password"],
                batch_size=max(1, options["batch_size"]),
                task=progress.task,
            )
            if manifest_file is not None:
                json.dump(result.manifest(), manifest_file)
        except DomainError as exc:
            details = "; ".join(f"{name}: {' '.join(texts)}" for name, texts in (exc.errors or {}).items())
            raise CommandError(f"{exc.message}: {details}" if details else exc.message) from None
        finally:
            if manifest_file is not None:
                manifest_file.close()
        self.stdout.write(
            f"Seeded company '{result.company.name}' ({result.company.pk}) in {time.monotonic() - started:.1f} s: "
            f"{len(result.users)} users, {len(result.units)} organization units, {len(result.positions)} positions, "
            f"{len(result.customers)} customers, {len(result.subcontractors)} subcontractors. "
            f"Admin: {result.admin.email} ({result.admin.pk})."
        )
