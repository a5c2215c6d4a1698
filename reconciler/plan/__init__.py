"""Deciding: the plan value, the schema-driven comparison and the pure planner.

No I/O here (the import contract in .importlinter says so): the planner is handed what was
read and returns a value.
"""
