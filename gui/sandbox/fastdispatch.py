"""moto's request dispatcher without a folder listing per request (a process-local speed-up).

For every request, moto's ``DomainDispatcherApplication.get_backend_for_host`` asks
``moto.backends.list_of_moto_modules()``, which lists moto's package folder and stats each of its ~180
entries, under the dispatcher's lock. The folder does not change while the process runs, so the listing
is taken once; what the dispatcher decides is unchanged (the same names, in the same order). On the
sandbox's loopback endpoint this was about a sixth of a ranged GET's round trip.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

import moto.backends as moto_backends

_lock = threading.Lock()
_installed = False
ORIGINAL: Callable[[], Iterable[str]] = moto_backends.list_of_moto_modules


def install() -> None:
    """Replace ``moto.backends.list_of_moto_modules`` by the listing taken now (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        modules = tuple(ORIGINAL())

        def list_of_moto_modules() -> Iterable[str]:
            return iter(modules)

        moto_backends.list_of_moto_modules = list_of_moto_modules
        _installed = True
