"""Shared fixtures: where the repository, the specs and the seed pages are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


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
