"""`manage.py issue_token <email> [--minutes N]`: prints a JWT shaped like the Auth service's, for trying the API."""

import datetime as dt
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from rest_framework_simplejwt.backends import TokenBackend

from identity.management.base import IdentityCommand


class Command(IdentityCommand):
    help = "Print an access token (HS256, signed with JWT_SECRET) for the user with this email."

    def add_arguments(self, parser):
        parser.add_argument("email", help="the user's email (matched case-insensitively)")
        parser.add_argument("--minutes", type=int, default=15, help="lifetime of the token in minutes (default 15)")

    def handle(self, *args, email: str, minutes: int, **options):
        if minutes < 1:
            raise CommandError("--minutes must be at least 1")
        # A cross-tenant lookup by email, as the login flow does (docs/behaviour.md §4).
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with email {email!r}")
        if not user.is_active:
            raise CommandError(f"User {email!r} is inactive: the API would refuse its token")
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
        # The claims the Auth service puts in its access tokens (docs/integrations.md §1).
        claims = {
            "sub": str(user.pk),
            "email": user.email,
            "company_id": str(user.company_id),
            "exp": int(expires.timestamp()),
            "jti": uuid.uuid4().hex,
        }
        self.stdout.write(TokenBackend("HS256", signing_key=settings.JWT_SECRET).encode(claims))
