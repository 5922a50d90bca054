"""Who may send a SUBMITTING job: claims are leased to one engine, and abandoned claims are taken over.

An owner is ``host:pid:tag``. A claim can be taken over when its lease ran out, when its process (on
this computer) is gone, or when it belonged to an engine of this process that has stopped. A claim of
another computer is trusted until its lease runs out: its process cannot be checked from here.
"""

from __future__ import annotations

import os
import threading
import uuid

from gui.core.jobstore import host_name

_LIVE_OWNERS: set[str] = set()
_LIVE_LOCK = threading.Lock()


def new_owner() -> str:
    """A fresh owner name for an engine of this process, registered as live."""
    owner = f"{host_name()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    with _LIVE_LOCK:
        _LIVE_OWNERS.add(owner)
    return owner


def release_owner(owner: str) -> None:
    """The engine has stopped: its unfinished claims may be taken over at once."""
    with _LIVE_LOCK:
        _LIVE_OWNERS.discard(owner)


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no cheap check: rely on the lease expiring
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child not yet reaped by its parent is a zombie: gone for our purpose
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def claim_is_abandoned(claimed_by: str | None, lease_until: float | None, now: float) -> bool:
    """Whether a SUBMITTING job's claim can be taken over (see the module's docstring)."""
    if not claimed_by:
        return True
    if lease_until is not None and lease_until < now:
        return True
    try:
        host, pid_text, _tag = claimed_by.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return True
    if host != host_name():
        return False
    if pid == os.getpid():
        with _LIVE_LOCK:
            return claimed_by not in _LIVE_OWNERS
    return not _pid_alive(pid)
