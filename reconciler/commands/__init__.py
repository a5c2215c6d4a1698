"""The implementations of the CLI's commands, one module per group."""
