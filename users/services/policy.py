"""The one password policy (docs/behaviour.md §7.6), applied wherever a password is set."""

from django.contrib.auth import password_validation
from django.contrib.auth.password_validation import UserAttributeSimilarityValidator
from django.core.exceptions import ValidationError as DjangoValidationError

from identity.exceptions import ValidationFailed


def password_problems(password: str, *, user=None) -> list[str]:
    """The policy's messages for `password` (empty when it passes).

    `user` is given only where the caller is authenticated: the attribute-similarity rule then applies;
    the public reset flow passes None so that its answers reveal nothing about the account.
    """
    validators = [
        validator
        for validator in password_validation.get_default_password_validators()
        if user is not None or not isinstance(validator, UserAttributeSimilarityValidator)
    ]
    try:
        password_validation.validate_password(password, user=user, password_validators=validators)
    except DjangoValidationError as exc:
        return list(exc.messages)
    return []


def ensure_password_allowed(password: str, *, field: str = "password", user=None) -> None:
    """Raises ValidationFailed with the policy's messages under `field`."""
    problems = password_problems(password, user=user)
    if problems:
        raise ValidationFailed(errors={field: problems})
