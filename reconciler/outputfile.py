"""Writing output files (saved plans, drift reports, exported manifests) without tearing them.

Every file is written to a temporary file in the same directory and renamed over the target:
a crash, a full disk or Ctrl-C half-way leaves either the old file or the new one, never a
truncated plan that a later ``apply --plan`` would misread. What is not a file to replace — a
pipe, a device, the system's own links such as ``/dev/stdout`` — is written into instead: a
rename replaced it (as root, ``--out /dev/null`` made /dev/null a regular file). Failures become one
:class:`~reconciler.errors.OutputError` line naming the file, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from reconciler.errors import OutputError


def check_writable_dir(path: Path, what: str) -> None:
    """Fail before any work when ``path`` could not be written later: checked up front so
    that a plan is not computed (calling Azure) only to be lost at the end."""
    parent = path.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write {what} {path}: directory {parent} does not exist")
    if path.is_dir():
        raise OutputError(f"cannot write {what} {path}: it is a directory")


def make_dir_within(root: Path, directory: Path) -> None:
    """Create ``directory`` under ``root`` (the user's ``--out``), refusing one that leads out
    of it: a symbolic link committed in the repository where export writes
    (``exported/rg -> ../.github/workflows``) must not let a scheduled export overwrite what it
    points to."""
    if root.is_symlink():
        # The default ``--out`` is a directory of the checkout, which a pull request can
        # replace by a link.
        raise OutputError(f"refusing to write into {root}: it is a symbolic link")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create directory {directory}: {exc.strerror or exc}") from exc
    inside = root.resolve()
    step = directory
    while step != root and step != step.parent:
        if step.is_symlink() or not step.resolve().is_relative_to(inside):
            raise OutputError(
                f"refusing to write into {directory}: {step} is a symbolic link or leads "
                f"outside {root}"
            )
        step = step.parent


def write_text(path: Path, text: str, *, what: str = "file") -> None:
    """Replace ``path`` with ``text`` atomically (temp file in the same directory, then rename).

    The new file keeps the mode of the file it replaces, else the mode the umask allows, as a
    plain ``open(path, "w")`` would have created it.
    """
    if written_through(path):
        _write_into(path, text, what)
        return
    parent = path.parent
    try:
        mode = path.stat().st_mode & 0o7777 if path.is_file() else _default_mode()
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise OutputError(f"cannot write {what} {path}: {exc.strerror or exc}") from exc
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(mode)
        temp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise OutputError(f"cannot write {what} {path}: {exc.strerror or exc}") from exc


_SYSTEM = (Path("/dev"), Path("/proc"))


def written_through(path: Path) -> bool:
    """Whether ``path`` is written into rather than replaced: a pipe, a device or a socket
    (``--out >(jq …)``, ``--out /dev/null``), or a link of the system's own, in ``/dev`` or
    ``/proc`` (``/dev/stdout``, ``/dev/fd/1``: links to a regular file when the output is
    redirected to one). Any other link is replaced, never followed: one committed in the
    checkout (``plan.json -> /dev/sda``) must not lead the write elsewhere."""
    try:
        own = path.lstat()
    except OSError:
        return False  # nothing there yet: created
    if stat.S_ISLNK(own.st_mode):
        try:
            where = path.absolute().parent.resolve()
        except OSError:
            return False
        return any(where == root or where.is_relative_to(root) for root in _SYSTEM)
    return not stat.S_ISREG(own.st_mode)


def _write_into(path: Path, text: str, what: str) -> None:
    """Appended, never truncated: ``/dev/stdout`` under ``>> job.log`` leads to the log,
    whose earlier lines a truncating open erased (to a pipe or a device it is the same)."""
    try:
        with path.open("a", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as exc:
        raise OutputError(f"cannot write {what} {path}: {exc.strerror or exc}") from exc


def append_text(path: Path, text: str, *, what: str = "file") -> None:
    """Append (for files others append to as well, such as ``$GITHUB_STEP_SUMMARY``)."""
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise OutputError(f"cannot write {what} {path}: {exc.strerror or exc}") from exc


def _default_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask
