"""Carrying out a plan: PUTs in dependency order, long-running operations followed to the end."""
