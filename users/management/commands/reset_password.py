"""`manage.py reset_password <email> [--password PASSWORD]`: the admin password reset from the shell."""

from django.core.management.base import CommandError

from identity.exceptions import ValidationFailed
from identity.management.base import IdentityCommand
from users import selectors
from users.services import passwords


class Command(IdentityCommand):
    help = (
        "Resets a user's password (any company): prints a new temporary password, or sets --password. "
        "The user must change it at the next login unless --no-change-required is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="the user's email (case-insensitive)")
        parser.add_argument(
            "--password", help="set this password (checked by the password policy) instead of generating one"
        )
        parser.add_argument(
            "--no-change-required", action="store_true", help="do not require a password change at the next login"
        )

    def handle(self, *args, email, password, no_change_required, **options):
        user = selectors.user_by_email(email)
        if user is None:
            raise CommandError(f"No user with email {email.strip()!r}")
        try:
            chosen = passwords.password_admin_reset(user=user, password=password, require_change=not no_change_required)
        except ValidationFailed as exc:
            problems = "; ".join(f"{field}: {text}" for field, texts in (exc.errors or {}).items() for text in texts)
            raise CommandError(f"Password refused: {problems or exc.message}") from None
        if password is None:
            self.stdout.write(f"Temporary password for {user.email}: {chosen}")
            self.stdout.write("This is the only time it is shown.")
        else:
            self.stdout.write(f"Password set for {user.email}.")
        if not no_change_required:
            self.stdout.write("The user must change the password at the next login.")
