"""App configuration of users."""

from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
