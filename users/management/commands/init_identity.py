"""`manage.py init_identity`: a company with its default unit, Administrator position and first admin."""

import getpass
import json
import sys

from django.core.management.base import CommandError
from django.db import transaction
from rest_framework.exceptions import ValidationError

from identity.exception_handler import normalise_errors
from identity.exceptions import DomainError
from identity.management.base import IdentityCommand
from users.api.serializers import bootstrap_representation, validate_bootstrap
from users.services import accounts

# option -> (object, field, prompt); None prompt = optional, never asked
OPTIONS = {
    "company_name": ("company", "name", "Company name"),
    "company_description": ("company", "description", None),
    "admin_email": ("user", "email", "Admin email"),
    "admin_password": ("user", "password", "Admin password"),
    "first_name": ("user", "first_name", None),
    "last_name": ("user", "last_name", None),
    "language": ("user", "language", None),
}


class Command(IdentityCommand):
    help = (
        "Creates a company, its 'default organization' unit, an 'Administrator' position and the first admin "
        "holding it (as POST /init-db does, but also on an initialised database). Missing values are prompted "
        "for on a terminal."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company-name")
        parser.add_argument("--company-description")
        parser.add_argument("--admin-email")
        parser.add_argument("--admin-password", help="Prompted for (hidden) when omitted on a terminal.")
        parser.add_argument("--first-name")
        parser.add_argument("--last-name")
        parser.add_argument("--language", choices=["en", "fr"])
        parser.add_argument("--json", action="store_true", help="Print the four created objects as JSON.")
        parser.add_argument(
            "--superuser",
            action="store_true",
            help="Make the first admin staff and superuser: it can then sign in to /admin/.",
        )

    def handle(self, *args, **options):
        body = {"company": {}, "user": {}}
        for option, (target, field, prompt) in OPTIONS.items():
            value = options.get(option)
            if value is None and prompt is not None:
                value = self._ask(option, prompt)
            if value is not None:
                body[target][field] = value
        try:
            company_data, user_data = validate_bootstrap(body)
            with transaction.atomic():
                result = accounts.tenant_bootstrap(company_data=company_data, user_data=user_data)
                if options["superuser"]:
                    accounts.user_update(
                        user=result.user, data={}, staff_flags={"is_staff": True, "is_superuser": True}
                    )
        except ValidationError as exc:
            raise CommandError(_describe("Invalid input", normalise_errors(exc.detail))) from None
        except DomainError as exc:
            raise CommandError(_describe(exc.message, exc.errors or {})) from None

        if options["json"]:
            self.stdout.write(json.dumps(bootstrap_representation(result), indent=2))
            return
        admin_kind = "superuser" if options["superuser"] else "admin"
        self.stdout.write(
            self.style.SUCCESS(
                f"Created company '{result.company.name}' ({result.company.pk}), unit "
                f"'{result.organization_unit.name}' ({result.organization_unit.pk}), position "
                f"'{result.position.title}' ({result.position.pk}) and {admin_kind} {result.user.email} "
                f"({result.user.pk})."
            )
        )

    def _ask(self, option: str, prompt: str) -> str:
        flag = "--" + option.replace("_", "-")
        if not sys.stdin.isatty():
            raise CommandError(f"{flag} is required (no terminal to prompt on).")
        if option == "admin_password":
            first = getpass.getpass(f"{prompt}: ")
            if getpass.getpass(f"{prompt} (again): ") != first:
                raise CommandError("The passwords do not match.")
            return first
        value = input(f"{prompt}: ").strip()
        if not value:
            raise CommandError(f"{flag} is required.")
        return value


def _describe(message: str, errors: dict) -> str:
    lines = [message]
    lines += [f"  {field}: {' '.join(texts)}" for field, texts in errors.items()]
    return "\n".join(lines)
