"""Users in the admin: writes through users.services.accounts (the password policy included), credential actions through
users.services.passwords. The password hash is never shown or edited; a new password goes through the policy."""

from django import forms
from django.contrib import admin, messages

from identity.admin_base import CompanyScopedAdmin, ServiceForm
from users.api.serializers import UserSerializer
from users.models import User
from users.services import accounts, passwords

READ_ONLY = (
    "last_login_at",
    "last_password_change",
    "failed_login_count",
    "locked_until",
    "has_avatar",
    "created_at",
    "updated_at",
)


class UserAdminForm(ServiceForm):
    new_password = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Checked by the password policy. On an existing user, leave empty to keep the current password.",
    )

    def clean(self):
        cleaned = super().clean()
        if self.adding and not cleaned.get("new_password"):
            self.add_error("new_password", "This field is required.")
        return cleaned


@admin.register(User)
class UserAdmin(CompanyScopedAdmin):
    form = UserAdminForm
    serializer_class = UserSerializer
    list_display = (
        "email",
        "first_name",
        "last_name",
        "company",
        "position",
        "is_active",
        "is_staff",
        "locked",
        "last_login_at",
    )
    list_filter = (
        "company",
        "is_active",
        "is_staff",
        "is_superuser",
        "is_verified",
        "password_reset_required",
        "language",
    )
    list_select_related = ("company", "position")
    search_fields = ("email", "first_name", "last_name")
    autocomplete_fields = ("company", "position")
    ordering = ("email", "id")
    actions = ("reset_password", "unlock", "deactivate", "activate", "send_password_reset_code")

    def get_fields(self, request, obj=None):
        fields = [
            "company",
            "email",
            "new_password",
            "first_name",
            "last_name",
            "language",
            "phone_number",
            "position",
            "is_active",
            "is_verified",
            "password_reset_required",
            "is_staff",
        ]
        if request.user.is_superuser:
            fields += ["is_superuser", "groups", "user_permissions"]
        return fields if obj is None else [*fields, *READ_ONLY]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("company", *READ_ONLY)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["fields"] = [
            name for name in self.get_fields(request, obj) if name not in self.get_readonly_fields(request, obj)
        ]
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(boolean=True, description="locked")
    def locked(self, user):
        return passwords.is_locked(user)

    # --- writes -------------------------------------------------------------------------
    def service_write(self, request, form, data):
        # The admin-only flags are not part of the API body; only a superuser's form offers is_superuser.
        flags = {name: form.cleaned_data[name] for name in accounts.STAFF_FIELDS if name in form.cleaned_data}
        if form.adding:
            return accounts.user_create(company_id=self.company_id_for(form), data=data, staff_flags=flags)
        return accounts.user_update(user=form.instance, data=data, staff_flags=flags)

    def service_delete(self, request, obj):
        accounts.user_delete(user=obj)

    # --- actions ------------------------------------------------------------------------
    @staticmethod
    def _each(queryset, change):
        """Runs `change(user)` per user (each service call records its own event); returns the users changed with
        what `change` returned (False: nothing to do for that user)."""
        done = []
        for user in queryset.order_by("email"):
            result = change(user)
            if result is not False:
                done.append((user, result))
        return done

    @admin.action(description="Reset password (shows a temporary password once)", permissions=["change"])
    def reset_password(self, request, queryset):
        for user, temporary in self._each(queryset, lambda user: passwords.password_admin_reset(user=user)):
            self.message_user(
                request,
                f"Temporary password for {user.email}: {temporary} — shown only this once; "
                "the user must change it at the next login.",
                messages.WARNING,
            )

    @admin.action(description="Unlock (clear failed logins)", permissions=["change"])
    def unlock(self, request, queryset):
        def change(user):
            if not user.failed_login_count and user.locked_until is None:
                return False
            passwords.user_unlock(user=user)
            return True

        done = self._each(queryset, change)
        self.message_user(request, f"{len(done)} user(s) unlocked.", messages.SUCCESS)

    def _set_active(self, request, queryset, active: bool):
        def change(user):
            if user.is_active == active:
                return False
            accounts.user_update(user=user, data={"is_active": active})
            return True

        done = self._each(queryset, change)
        self.message_user(request, f"{len(done)} user(s) {'activated' if active else 'deactivated'}.", messages.SUCCESS)

    @admin.action(description="Deactivate", permissions=["change"])
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description="Activate", permissions=["change"])
    def activate(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description="Send a password reset code by email", permissions=["change"])
    def send_password_reset_code(self, request, queryset):
        def change(user):
            if not user.is_active:
                return False
            passwords.password_reset_request(email=user.email)
            return True

        done = self._each(queryset, change)
        skipped = queryset.count() - len(done)
        text = f"A password reset code was sent to {len(done)} user(s)."
        if skipped:
            text += f" {skipped} inactive user(s) skipped."
        self.message_user(request, text, messages.SUCCESS)
