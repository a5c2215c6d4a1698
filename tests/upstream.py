"""Where the upstream files are: ``../shared/`` beside the repository, in the team's checkouts only.

A user's clone has nothing beside it, so tests that read the upstream files themselves skip
with the one-line reason below; CI, which has them, runs those tests.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_ABSENT = "upstream files (../shared/{}) are not beside this clone; CI has them"


def shared_path(name: str) -> Path | None:
    """``../shared/<name>`` when this checkout has it beside it, else None."""
    path = SHARED / name
    return path if path.is_dir() else None
