""""Forget saved secret": removes an access key's secret from the keyring and the session, after asking.

A button for the connection form, next to the access key ID. The keyring call runs on a worker.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QMessageBox, QToolButton, QWidget

from gui.core.errors import UserMessage
from gui.core.safetext import isolate
from gui.core.secrets import SecretStore
from gui.qt.text import plain_message_box
from gui.qt.workers import TaskRegistry


def forget_secret(cancel: Any, progress: Any, store: SecretStore, key_id: str) -> tuple[str, str | None]:
    """Remove a key's secret; returns the key ID and where it was kept (None: nowhere) (worker thread)."""
    where = store.where(key_id)
    store.forget(key_id)
    return key_id, where


class ForgetSecretButton(QToolButton):
    """``forgotten(key_id)`` once removed; ``message(html)`` says what happened (or went wrong)."""

    forgotten = Signal(str)
    message = Signal(str)

    def __init__(
        self, store: SecretStore, key_id: Callable[[], str], tasks: TaskRegistry, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("forgetSecretButton")
        self.setText("Forget saved secret")
        self.setToolTip("Remove this key's secret from the system keyring (asks first)")
        self.store = store
        self._key_id = key_id
        self._tasks = tasks  # the form's registry: closed with it
        self.clicked.connect(self.forget)

    def confirm(self, key_id: str) -> bool:
        """Asks the user; tests replace this method."""
        box = plain_message_box(
            QMessageBox.Icon.Question, "Forget saved secret",
            f"Remove the saved secret of {isolate(key_id)} from the system keyring?\n\n"
            "AWS shows a secret access key only once: keep a copy if you still need it.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self,
        )
        return box.exec() == QMessageBox.StandardButton.Yes

    @Slot()
    def forget(self) -> None:
        key_id = self._key_id().strip()
        if not key_id or not self.confirm(key_id):
            return
        self.setEnabled(False)
        self._tasks.run(forget_secret, self.store, key_id, on_result=self._on_forgotten, on_error=self._on_error)

    @Slot(object)
    def _on_forgotten(self, result: tuple[str, str | None]) -> None:
        self.setEnabled(True)
        key_id, where = result
        shown = html.escape(isolate(key_id))
        if where is None:
            self.message.emit(f"No secret was saved for {shown}.")
        else:
            place = "the system keyring" if where == "keyring" else "this session"
            self.message.emit(f"The secret of {shown} was removed from {place}.")
        self.forgotten.emit(key_id)

    @Slot(object)
    def _on_error(self, message: UserMessage) -> None:
        self.setEnabled(True)
        self.message.emit(html.escape(str(message)))
