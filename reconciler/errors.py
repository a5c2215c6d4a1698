"""The one error hierarchy of the reconciler.

    ReconcilerError
    ├── ManifestError      bad input: carries every problem found, each with file:line:column
    ├── SecretError        a secret reference that cannot be resolved (never the value)
    └── UsageError         a command used wrongly

Anything raised from a lower layer (httpx, ruamel) is chained as ``__cause__`` and never
reaches the user as a traceback: the CLI prints ``str(error)`` and exits non-zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.manifest.yamlsource import Problem


class ReconcilerError(Exception):
    """Base of every error the CLI reports as one clear line per problem."""

    exit_code = 1


class ManifestError(ReconcilerError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


class SecretError(ReconcilerError):
    pass


class UsageError(ReconcilerError):
    pass
