"""App configuration of partners."""

from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
