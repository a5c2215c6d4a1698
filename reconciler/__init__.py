"""Declarative reconciler for Azure Machine Learning workspaces and workspace connections."""

__version__ = "0.1.0"
