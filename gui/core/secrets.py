"""Secret access keys: the OS keyring, or this session's memory. Never a file.

The keyring entry is ``(service=gui.APP_ID, username=<access key ID>)``. On a machine without a usable
OS store (headless Linux: ``keyring`` picks its *fail* backend and raises ``NoKeyringError``), the user is
told so plainly and offered a profile / environment variables, or to keep the secret in memory for this
session only. Plaintext keyrings (``keyrings.alt``) are refused as well.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from gui import APP_ID
from gui.core.errors import KnownError
from gui.core.logs import register_secret

log = logging.getLogger(__name__)

NO_BACKEND_TITLE = "No system keyring"
NO_BACKEND_TEXT = "No secure password store (keyring) was found on this computer, so the secret cannot be saved."
NO_BACKEND_HINT = (
    "Use an AWS profile or environment variables instead, or keep the secret for this session only "
    "(in memory, forgotten when the app closes)."
)


@dataclass(frozen=True)
class BackendStatus:
    available: bool
    name: str
    message: str  # what to tell the user; empty when a real store is present

    @property
    def title(self) -> str:
        return "" if self.available else NO_BACKEND_TITLE


def _is_insecure(backend: object) -> bool:
    """The fail/null backends, an empty chain, or a plaintext file store."""
    module = type(backend).__module__
    name = type(backend).__name__
    if module.startswith("keyring.backends.fail") or module.startswith("keyring.backends.null"):
        return True
    if module.startswith("keyrings.alt") and ("Plaintext" in name or "file" in module):
        return True
    if module.startswith("keyring.backends.chainer"):
        inner = list(getattr(backend, "backends", []))
        return not inner or all(_is_insecure(b) for b in inner)
    return False


def _no_backend_message(detail: str = "") -> str:
    text = f"{NO_BACKEND_TEXT} {NO_BACKEND_HINT}"
    return f"{text} ({detail})" if detail else text


class SecretStore:
    """Saves and finds secret access keys by access key ID; memory-only when no OS store exists."""

    def __init__(self, service: str = APP_ID) -> None:
        self.service = service
        self._session: dict[str, str] = {}
        self._lock = threading.Lock()

    def status(self) -> BackendStatus:
        import keyring

        try:
            backend = keyring.get_keyring()
        except Exception as exc:  # a broken keyring configuration
            return BackendStatus(False, "unavailable", _no_backend_message(type(exc).__name__))
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        if _is_insecure(backend):
            return BackendStatus(False, name, _no_backend_message())
        return BackendStatus(True, name, "")

    @property
    def available(self) -> bool:
        return self.status().available

    def save(self, access_key_id: str, secret: str, *, persist: bool = True) -> str:
        """Keep ``secret`` for ``access_key_id``. Returns "keyring" or "session".

        ``persist=True`` stores it in the OS keyring; with no usable keyring this raises
        :class:`KnownError` (the caller offers session-only). It is never written anywhere else.
        """
        if not access_key_id or not secret:
            raise ValueError("access key ID and secret are required")
        register_secret(secret)
        with self._lock:
            self._session[access_key_id] = secret
        if not persist:
            return "session"
        if not self.status().available:
            raise KnownError(NO_BACKEND_TITLE, NO_BACKEND_TEXT, NO_BACKEND_HINT)
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(self.service, access_key_id, secret)
        except KeyringError as exc:
            raise KnownError(
                "Could not save to the keyring",
                f"The system keyring refused the secret ({type(exc).__name__}).",
                "Unlock your keyring, or keep the secret for this session only.",
            ) from exc
        return "keyring"

    def get(self, access_key_id: str | None) -> str | None:
        """The secret from this session's memory, else from the keyring; None when not found."""
        if not access_key_id:
            return None
        with self._lock:
            secret = self._session.get(access_key_id)
        if secret is None and self.status().available:
            import keyring
            from keyring.errors import KeyringError

            try:
                secret = keyring.get_password(self.service, access_key_id)
            except KeyringError as exc:
                log.warning("Keyring lookup failed: %s", type(exc).__name__)
                secret = None
        register_secret(secret)
        return secret

    def where(self, access_key_id: str | None) -> str | None:
        """"keyring", "session" or None: where the secret for this key ID is kept."""
        if not access_key_id:
            return None
        if self._in_keyring(access_key_id):
            return "keyring"
        with self._lock:
            return "session" if access_key_id in self._session else None

    def _in_keyring(self, access_key_id: str) -> bool:
        if not self.status().available:
            return False
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(self.service, access_key_id) is not None
        except KeyringError:
            return False

    def forget(self, access_key_id: str) -> None:
        """Remove the secret from memory and from the keyring (if it was there)."""
        with self._lock:
            self._session.pop(access_key_id, None)
        if not self.status().available:
            return
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            keyring.delete_password(self.service, access_key_id)
        except PasswordDeleteError:
            pass
        except KeyringError as exc:
            log.warning("Keyring delete failed: %s", type(exc).__name__)
