"""`django.contrib.admin` with the company-scoped IdentityAdminSite as `admin.site` (INSTALLED_APPS names it)."""

from django.contrib.admin.apps import AdminConfig


class IdentityAdminConfig(AdminConfig):
    default_site = "identity.admin_base.IdentityAdminSite"
