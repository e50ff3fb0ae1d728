"""`manage.py changepassword [<email>]`: Django's command, writing through the password service (policy, lockout
cleared, `password.admin_reset` audit event) instead of saving the hash directly."""

import getpass

from django.core.management.base import CommandError

from identity.exceptions import ValidationFailed
from identity.management.base import IdentityCommand
from users import selectors
from users.services import passwords


class Command(IdentityCommand):
    help = "Sets a user's password (any company), prompting for it twice; the password policy applies."
    requires_migrations_checks = True
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("email", nargs="?", help="the user's email (case-insensitive); asked when omitted")

    def handle(self, *args, email=None, **options):
        email = email or input("Email: ")
        user = selectors.user_by_email(email)
        if user is None:
            raise CommandError(f"No user with email {email.strip()!r}")
        self.stdout.write(f"Changing password for user {user.email}")
        for _ in range(3):
            password = getpass.getpass()
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("Passwords do not match. Please try again.")
                continue
            try:
                passwords.password_admin_reset(user=user, password=password, require_change=False)
            except ValidationFailed as exc:
                problems = (exc.errors or {}).get("password") or [exc.message]
                self.stderr.write("\n".join(problems))
                continue
            self.stdout.write(f"Password changed successfully for user {user.email}")
            return
        raise CommandError(f"Aborting password change for user {user.email} after 3 attempts")
