"""The project version (from the installed package metadata, else pyproject's)."""

from importlib import metadata

try:
    VERSION = metadata.version("identity-service")
except metadata.PackageNotFoundError:  # running from a plain checkout
    VERSION = "0.1.0"
