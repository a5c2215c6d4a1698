"""Shared fixtures: where the repository, the specs and the seed pages are."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
NETGUARD = Path(__file__).resolve().parent / "_netguard"

# No test may reach beyond loopback: guard this process and every Python process it starts.
sys.path.insert(0, str(NETGUARD))
import sitecustomize  # noqa: E402, F401  (installs the guard)

os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(NETGUARD), os.environ.get("PYTHONPATH", "")) if p
)
# Nothing in the suite may pick up a real Azure identity from the machine.
for _name in [n for n in os.environ if n.startswith(("AZURE_", "IDENTITY_", "MSI_"))]:
    del os.environ[_name]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def specs_dir() -> Path:
    path = SHARED / "specs"
    assert path.is_dir(), f"the API definitions are expected at {path}"
    return path


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    path = SHARED / "seeds"
    assert path.is_dir(), f"the seed reference pages are expected at {path}"
    return path
