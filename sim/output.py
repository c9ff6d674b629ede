"""Where results go: folders that stay inside the output folder, checked before any work.

Every folder groupsim writes is ``<out>/<name>/…``, with ``name`` a scenario's or an
experiment's name (a plain file name, see :func:`sim.config.name_problem`). The helpers
here refuse any path that would leave ``<out>`` (through ``..``, an absolute path or a
link), check that the output folder can be written before a run or a sweep starts, and
turn a failure to write (a full disk, a read-only file system) into one
:class:`~sim.scenario.ScenarioError` naming ``--out``, so that the command line prints one
message instead of a traceback after the work is done.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.scenario import ScenarioError

_HINTS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


def _problem(exc: OSError) -> str:
    hint = _HINTS.get(exc.errno or -1)
    reason = exc.strerror or str(exc)
    return f"{reason} ({hint})" if hint and hint.lower() not in reason.lower() else reason


def inside(root: str | Path, *parts: str) -> Path:
    """``root`` joined with ``parts``, refusing a path that leaves ``root``.

    Raises:
        ScenarioError: The path resolves outside ``root`` (``..``, an absolute part, or a
            link that points elsewhere), or contains a NUL byte.
    """
    path = Path(root).joinpath(*parts)
    if "\0" in str(path):
        raise ScenarioError("--out", f"{str(path)!r} contains a NUL byte")
    real_root = os.path.realpath(root)
    if os.path.commonpath([real_root, os.path.realpath(path)]) != real_root:
        raise ScenarioError(
            "--out", f"'{path}' would be outside the output folder '{root}'; nothing was written"
        )
    return path


def check_folder(root: str | Path, *parts: str) -> Path:
    """Make sure ``root/parts`` is a folder inside ``root`` that can be written, and return it.

    Called before a run or a sweep starts, so that a bad output location is reported at
    once rather than after the simulation.

    Raises:
        ScenarioError: The folder is outside ``root``, a file stands where a folder is
            needed, or it cannot be created or written.
    """
    folder = inside(root, *parts)
    for step in (folder, *folder.parents):
        if step.exists() or step.is_symlink():
            if not step.is_dir():
                raise ScenarioError("--out", f"'{step}' is a file, not a folder")
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".groupsim-probe-", dir=folder)
        try:
            os.write(handle, b"0")
        finally:
            os.close(handle)
            os.unlink(probe)
    except OSError as exc:
        raise ScenarioError("--out", f"cannot write to '{folder}': {_problem(exc)}") from None
    return folder


@contextmanager
def writing(
    target: str | Path, cleanup: Path | None = None, kept: str = "nothing partial was kept"
) -> Iterator[None]:
    """Report a failure to write ``target`` as one :class:`ScenarioError`.

    Args:
        target: What is being written, for the message.
        cleanup: A partial file or folder to remove if writing fails.
        kept: What the message says is left on disk.

    Raises:
        ScenarioError: Writing failed (disk full, read-only file system, ...).
    """
    try:
        yield
    except OSError as exc:
        if cleanup is not None:
            if cleanup.is_dir():
                shutil.rmtree(cleanup, ignore_errors=True)
            else:
                cleanup.unlink(missing_ok=True)
        raise ScenarioError("--out", f"cannot write '{target}': {_problem(exc)}; {kept}") from None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clear_stale(folder: Path, marker: str) -> int:
    """Remove hidden ``.<name><marker><pid>`` leftovers of processes that no longer run.

    A run is written under such a temporary name and renamed when complete; a process
    killed before the rename leaves it behind. Leftovers of processes still running (a
    concurrent run of the same scenario) are kept.

    Returns:
        How many were removed.
    """
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob(f".*{marker}*"):
        pid = path.name.rsplit(marker, 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed += 1
    return removed
