"""The identity user (`AUTH_USER_MODEL`, email as username) and its password-reset codes."""

import uuid
from typing import Any, cast

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from identity.context import acting
from identity.exceptions import DomainError
from identity.models import CompanyOwnedModel, ImageSlot
from identity.tenancy import CompanyScopedQuerySet
from identity.uniqueness import register_constraint


class Language(models.TextChoices):
    # Each member is its value, a str ("en"); without Django's stubs the type checker would take the (value,
    # label) pair for the member, so the pair is cast (a no-op at runtime).
    EN = cast(str, ("en", "English"))
    FR = cast(str, ("fr", "French"))


# A class built at runtime (the manager with the queryset's methods), which the type checker cannot follow.
_UserManagerBase: Any = BaseUserManager.from_queryset(CompanyScopedQuerySet)


class UserManager(_UserManagerBase):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def create_user(self, email, password=None, **fields):
        company = fields.pop("company", None)
        # `createsuperuser` passes the company as the id typed at its prompt or given with --company.
        if company is not None:
            fields["company" if isinstance(company, models.Model) else "company_id"] = company
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        """A staff superuser (`manage.py createsuperuser`), created by users.services.accounts.user_create as a
        command's change: the password policy applies, also with --noinput (Django checks only prompted
        passwords), the email must be free in every company, and the `user.create` event is recorded.

        Raises django.core.exceptions.ValidationError, which the command prints as its error.
        """
        from users.services import accounts  # imported here: the services import this module

        company = fields.pop("company", None)
        company_id = company.pk if isinstance(company, models.Model) else company
        data = {**fields, "email": self.normalize_email(email), "password": password or ""}
        try:
            with acting(source="command"):
                return accounts.user_create(
                    company_id=company_id, data=data, staff_flags={"is_staff": True, "is_superuser": True}
                )
        except DomainError as exc:
            texts = [text for field_texts in (exc.errors or {}).values() for text in field_texts]
            raise ValidationError(texts or exc.message) from None


class User(AbstractBaseUser, PermissionsMixin, CompanyOwnedModel):
    email = models.EmailField(max_length=254)
    # Werkzeug hashes imported from the Flask service are longer than Django's 128 characters.
    password = models.CharField(max_length=255)
    last_login = None
    first_name = models.CharField(max_length=50, null=True, blank=True)
    last_name = models.CharField(max_length=50, null=True, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    phone_number = models.CharField(max_length=50, null=True, blank=True)
    avatar_file_id = models.CharField(max_length=64, null=True, blank=True)
    has_avatar = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    is_verified = models.BooleanField(default=False)
    is_staff = models.BooleanField(default=False)
    position = models.ForeignKey("org.Position", null=True, blank=True, on_delete=models.SET_NULL, related_name="users")
    password_reset_required = models.BooleanField(default=False)
    last_password_change = models.DateTimeField(null=True, blank=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    objects = UserManager()
    image_slot = ImageSlot(kind="avatar", field="avatar", resource="user_avatar", self_only=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["company"]

    class Meta:
        verbose_name = "user"
        constraints = [
            models.UniqueConstraint(Lower("email"), name=register_constraint("user_email_ci_unique", "email")),
        ]
        indexes = [
            models.Index(fields=["company", "created_at"], name="user_company_created_idx"),
            models.Index(fields=["company", "email"], name="user_company_email_idx"),
            models.Index(fields=["company", "last_name"], name="user_company_lastname_idx"),
            models.Index(fields=["company", "position"], name="user_company_position_idx"),
        ]

    def __str__(self):
        return self.email


class PasswordResetCode(models.Model):
    """A one-time reset code, stored only as a keyed hash (HMAC with SECRET_KEY)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reset_codes")
    code_hash = models.CharField(max_length=128)
    attempts = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="resetcode_user_created_idx")]

    def __str__(self):  # never the code: only its hash is stored
        return f"reset code {self.pk} of user {self.user_id}"
