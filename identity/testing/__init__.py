"""Test support shared by every app's tests: contract fakes, token helpers and envelope assertions."""
