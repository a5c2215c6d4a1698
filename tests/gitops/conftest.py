"""GitOps tests drive the same emulator fixture as the end-to-end tests."""

from tests.e2e.conftest import azure

__all__ = ["azure"]
