"""Atomic file writes and keeping corrupt files aside (never silently dropped)."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from datetime import datetime
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write to a temp file in the same folder, fsync, then ``os.replace``: readers see old or new.

    The temp file is private (0600); ``mode`` gives the written file other permissions (for files
    meant for other programs and people, such as exports)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if mode is not None:
                os.chmod(tmp, mode)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: Path, text: str, *, mode: int | None = None) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def keep_aside(path: Path, suffix: str = ".corrupt") -> Path:
    """Rename a bad file to ``name.corrupt`` (or ``name.corrupt-<time>`` if taken) and return the new path."""
    target = path.with_name(path.name + suffix)
    if target.exists():
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        target = path.with_name(f"{path.name}{suffix}-{stamp}")
    os.replace(path, target)
    return target


_umask_lock = threading.Lock()


def export_mode() -> int:
    """Permissions for a new exported file: 0666 less the process's umask (as any editor's save)."""
    if sys.platform.startswith("linux"):
        try:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
        except (OSError, ValueError):
            pass
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask
