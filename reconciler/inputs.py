"""How a command's inputs become manifests: the one place the command line's allowances
(Playwright endpoints, variables) meet the manifest loader.

Kept apart from :mod:`reconciler.session` so that ``validate`` (pre-commit hooks, editors)
imports no HTTP client or UI: only the pure host rules of :mod:`reconciler.arm.hosts`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

from reconciler import kinds
from reconciler.arm import hosts
from reconciler.errors import ManifestError
from reconciler.manifest.load import LoadOptions, load
from reconciler.manifest.model import ManifestSet


def load_options(
    *,
    allow_literal_secrets: bool = False,
    require_secrets: bool = True,
    playwright_endpoints: tuple[str, ...] = (),
    variables: Mapping[str, str] | None = None,
) -> LoadOptions:
    """``playwright_endpoints``: endpoints the command line allows besides the documented
    Playwright hosts; ``variables``: what ``${VAR}`` may read (reconciler.envfile.inputs)."""
    return LoadOptions(
        allow_literal_secrets=allow_literal_secrets,
        check_secrets=require_secrets,
        playwright_endpoint_check=functools.partial(
            hosts.playwright_endpoint_problem, allowed=playwright_endpoints
        ),
        variables=variables,
        cross_check=kinds.cross_check,
    )


def load_manifests(
    paths: list[Path],
    env: Mapping[str, str],
    *,
    allow_literal_secrets: bool = False,
    require_secrets: bool = True,
    playwright_endpoints: tuple[str, ...] = (),
    variables: Mapping[str, str] | None = None,
) -> ManifestSet:
    """Load or raise every problem. ``require_secrets``: referenced secrets must resolve now
    (apply sends them; plan compares them); commands that use neither need not have them."""
    options = load_options(
        allow_literal_secrets=allow_literal_secrets,
        require_secrets=require_secrets,
        playwright_endpoints=playwright_endpoints,
        variables=variables,
    )
    result = load(paths, options, env=env)
    if result.problems:
        raise ManifestError(result.problems)
    return result.manifests
