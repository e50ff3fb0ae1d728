"""Shared core of the Identity Service: authentication, authorization, tenancy, errors, collections."""
