"""The stream tests use `two_apis` from tests/integration/conftest.py."""
