"""Shared fixtures: where the repository, the specs and the seed pages are.

Two rules hold for the whole suite, and this module enforces both:

- ``../shared/`` (the upstream API definitions and seed pages) exists only beside the team's
  checkouts; a user's clone has just the repository. Tests that read the upstream files take
  the ``specs_dir`` or ``seeds_dir`` fixture, which skips with a one-line reason when they are
  absent. Everything the product needs at run time is derived from them and committed.
- The suite writes only to temporary directories: a run that adds, changes or removes a file
  of the repository fails (see ``pytest_sessionfinish``).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

from tests.upstream import REPO, SHARED_ABSENT, shared_path

NETGUARD = Path(__file__).resolve().parent / "_netguard"

# No test may reach beyond loopback: guard this process and every Python process it starts.
sys.path.insert(0, str(NETGUARD))
import sitecustomize  # noqa: E402, F401  (installs the guard)

# Every `python -m reconciler` the suite starts runs this checkout's code, whichever checkout
# the package happens to be installed from (an editable install elsewhere would otherwise win
# in a process started outside the repository).
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(NETGUARD), str(REPO), os.environ.get("PYTHONPATH", "")) if p
)
# Nothing in the suite may pick up a real Azure identity from the machine, nor its proxy (a
# runner's HTTPS_PROXY would carry the loopback emulator's traffic), nor its CA bundles (the
# trust store is read from them, first set wins: a machine's SSL_CERT_FILE would decide tests
# of REQUESTS_CA_BUNDLE; tests reach only loopback, and name the certificates they trust).
_CA_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
for _name in [n for n in os.environ if n.startswith(("AZURE_", "IDENTITY_", "MSI_"))]:
    del os.environ[_name]
for _name in [n for n in os.environ if n.lower() in ("https_proxy", "http_proxy", "all_proxy")]:
    del os.environ[_name]
for _name in [n for n in os.environ if n.upper() in _CA_VARIABLES]:
    del os.environ[_name]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


# Hypothesis keeps its example database and caches in the working directory by default:
# keep no database, and its caches in a temporary directory removed at the end.
settings.register_profile("reconciler", database=None)
settings.load_profile("reconciler")
_HYPOTHESIS_HOME = Path(tempfile.mkdtemp(prefix="reconciler-hypothesis-"))
set_hypothesis_home_dir(_HYPOTHESIS_HOME)


@pytest.fixture(scope="session")
def specs_dir() -> Path:
    path = shared_path("specs")
    if path is None:
        pytest.skip(SHARED_ABSENT.format("specs"))
    return path


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    path = shared_path("seeds")
    if path is None:
        pytest.skip(SHARED_ABSENT.format("seeds"))
    return path


# --- the suite leaves the repository as it found it -------------------------------------

_UNTRACKED_NOISE = {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def _repository_files(root: Path) -> Iterator[tuple[str, int, int]]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [
            d for d in dirnames if d not in _UNTRACKED_NOISE and not d.endswith(".egg-info")
        ]
        for name in filenames:
            path = Path(dirpath) / name
            try:
                stat = path.lstat()
            except OSError:
                continue
            yield str(path.relative_to(root)), stat.st_mtime_ns, stat.st_size


_BEFORE: dict[str, tuple[int, int]] = {}


def pytest_sessionstart(session: pytest.Session) -> None:
    _BEFORE.update({name: (mtime, size) for name, mtime, size in _repository_files(REPO)})


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_HYPOTHESIS_HOME, ignore_errors=True)
    after = {name: (mtime, size) for name, mtime, size in _repository_files(REPO)}
    touched = sorted(
        name for name in _BEFORE.keys() | after.keys() if _BEFORE.get(name) != after.get(name)
    )
    if touched:
        listing = "\n  ".join(touched[:20])
        sys.stderr.write(
            f"\nthe suite wrote into the repository (tests write only to tmp):\n  {listing}\n"
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
