"""Playwright Testing access tokens: the data-plane client and the observe-only audit."""
