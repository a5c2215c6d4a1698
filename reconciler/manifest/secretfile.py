"""Reading a ``fromFile`` secret, confined to where the operator keeps secrets.

A manifest on a pull-request branch is written by whoever opened it, and a ``fromFile`` value is
sent to Azure as a connection credential. So a reference may only read:

* a file inside the manifests' repository (the nearest directory above the manifest holding
  ``.git``; without one, the manifest's own directory), or inside a ``--secrets-dir`` given on
  the command line (:data:`SECRETS_DIRS`);
* after resolving every symlink — a link pointing out of those directories is refused;
* never in a ``.git`` directory, of the repository or of a checkout in a ``--secrets-dir``:
  actions/checkout writes the job's token into its config, which a pull request could
  otherwise send as a connection's secret;
* a regular file (never a device, FIFO or directory: ``/dev/zero`` or a FIFO would hang or
  exhaust memory), opened without blocking and without following a final symlink, and no larger
  than :data:`MAX_BYTES`, checked with ``fstat`` before a byte is read.

Messages name the reference as written in the manifest, never the resolved path, and say the
same thing for a path outside whether or not it exists: nothing is learned about the runner.
"""

from __future__ import annotations

import contextvars
import os
import stat
from pathlib import Path

MAX_BYTES = 64 * 1024
# Extra directories the command line allows (--secrets-dir); set by the command's wiring.
SECRETS_DIRS: contextvars.ContextVar[tuple[Path, ...]] = contextvars.ContextVar(
    "SECRETS_DIRS", default=()
)


# What a manifest found in a directory is, when it resolves out of the repository.
OUT_OF_REPOSITORY = (
    "a symbolic link out of the manifests' repository: not read (a file outside it is read "
    "only when named on the command line)"
)


def repository_root(directory: Path) -> Path:
    """The nearest ancestor of ``directory`` holding ``.git``, else ``directory`` itself."""
    start = Path(os.path.realpath(directory))
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return start


def _inside(path: str, roots: tuple[Path, ...]) -> bool:
    return any(Path(path).is_relative_to(root) for root in roots)


def _in_git(resolved: Path, roots: tuple[Path, ...]) -> bool:
    """Whether ``resolved`` lies in a ``.git`` directory below any of ``roots`` (in any case:
    a case-insensitive file system reads ``.GIT`` as ``.git``), whether or not it exists. A
    --secrets-dir may hold a checkout (a secrets repository beside the manifests), whose
    ``.git/config`` holds the job's token as the manifests' own does."""
    return any(
        part.casefold() == ".git"
        for root in roots
        if resolved.is_relative_to(root)
        for part in resolved.relative_to(root).parts
    )


def read(base_dir: Path, name: str) -> tuple[str | None, str | None]:
    """(value, None), or (None, why not) naming ``name`` as the manifest wrote it."""
    shown = f"secret file {name}"
    roots = (
        repository_root(base_dir),
        *(Path(os.path.realpath(d)) for d in SECRETS_DIRS.get()),
    )
    resolved = os.path.realpath(base_dir / name)
    if not _inside(resolved, roots):
        return None, (
            f"{shown} is outside the manifests' repository: fromFile may only read files in it "
            "(or in a --secrets-dir given on the command line)"
        )
    if _in_git(Path(resolved), roots):
        return None, (
            f"{shown} is in git's own directory (.git), which is no secret store: its config "
            "may hold the checkout's token (actions/checkout's persist-credentials)"
        )
    try:
        fd = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None, f"{shown} does not exist"
    except OSError as exc:
        return None, f"{shown} cannot be read: {exc.strerror or 'error'}"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, f"{shown} cannot be read: not a regular file"
        if info.st_size > MAX_BYTES:
            return None, f"{shown} is larger than {MAX_BYTES // 1024} KiB"
        raw = b""
        while len(raw) <= MAX_BYTES:
            chunk = os.read(fd, MAX_BYTES + 1 - len(raw))
            if not chunk:
                break
            raw += chunk
    except OSError as exc:
        return None, f"{shown} cannot be read: {exc.strerror or 'error'}"
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:
        return None, f"{shown} is larger than {MAX_BYTES // 1024} KiB"
    try:
        # A byte order mark (Notepad, PowerShell's Out-File) is no part of the secret.
        value = raw.decode("utf-8").removeprefix("\ufeff").rstrip("\r\n")
    except UnicodeDecodeError:
        return None, f"{shown} cannot be read: not UTF-8 text"
    if not value:
        return None, f"{shown} is empty"
    return value, None
