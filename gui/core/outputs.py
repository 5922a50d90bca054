"""Where a command writes its output file: one rule for every ``-o FILE``.

- ``-`` is standard output.
- A regular file (or a missing one) is replaced atomically: a reader sees the old file or the whole new
  one. A symlink to a regular file is followed, so the link stays a link. A new file follows the umask
  like any file the user makes; a replaced one keeps its permissions.
- Anything else that exists (a device such as ``/dev/null``, a FIFO, a symlink to one such as
  ``/dev/stdout``) is written through, never replaced by a regular file.
- A folder, a missing parent folder (unless ``make_parents``), or a folder we may not write to is refused
  with :class:`OutputError`, whose text says so plainly.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from gui.core.atomic import export_mode
from gui.core.errors import KnownError


class OutputError(KnownError, OSError):
    """The output target cannot be used; ``message.text`` says why, plainly. An OSError too, so code
    that handles a failed write handles this one."""

    def __init__(self, text: str) -> None:
        KnownError.__init__(self, "Cannot write the file", text)


def describe(path: str | os.PathLike[str]) -> str:
    """How messages name the target: ``standard output`` for ``-``."""
    return "standard output" if str(path) == "-" else f"'{os.fspath(path)}'"


@contextlib.contextmanager
def open_output(
    path: str | os.PathLike[str], *, make_parents: bool = False, stdout: TextIO | None = None
) -> Iterator[TextIO]:
    """A text stream for ``path`` (UTF-8); the file is complete only when the ``with`` block ends well.

    Raises :class:`OutputError` for a target that cannot be written (before anything is written).
    """
    if str(path) == "-":
        stream = stdout or sys.stdout
        yield stream
        stream.flush()
        return
    target = Path(path)
    try:
        st = os.stat(target)  # follows symlinks
    except (FileNotFoundError, NotADirectoryError):  # a parent missing or not a folder: said below
        st = None
    except OSError as exc:
        raise OutputError(f"cannot use {describe(path)}: {exc.strerror or exc}") from exc
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{describe(path)} is a folder; give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        yield from _write_through(target)
        return
    if st is not None or target.is_symlink():  # a file (or a link to one, or to none yet): keep the links
        target = Path(os.path.realpath(target))
    yield from _write_atomic(target, make_parents=make_parents, mode=stat.S_IMODE(st.st_mode) if st else None)


def _write_through(target: Path) -> Iterator[TextIO]:
    try:
        stream = open(target, "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise OutputError(f"cannot write to {describe(target)}: {exc.strerror or exc}") from exc
    with stream:
        yield stream


def _write_atomic(target: Path, *, make_parents: bool, mode: int | None) -> Iterator[TextIO]:
    parent = target.parent
    if not parent.exists():
        if not make_parents:
            raise OutputError(f"the folder '{parent}' does not exist (create it, or pass --parents)")
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create the folder '{parent}': {exc.strerror or exc}") from exc
    elif not parent.is_dir():
        raise OutputError(f"'{parent}' is not a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise OutputError(f"cannot write in the folder '{parent}': {exc.strerror or exc}") from exc
    try:
        os.chmod(tmp, mode if mode is not None else export_mode())
        with open(fd, "w", encoding="utf-8", newline="") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {describe(target)}: {exc.strerror or exc}") from exc
        raise
