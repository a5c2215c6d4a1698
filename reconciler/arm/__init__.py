"""Talking to Azure Resource Manager: tokens, the HTTP client, resource paths."""
