"""Tab order that follows the panes on screen.

Qt's default chain is the order widgets were created, so a pane built late (the filter and job panes are
built after the first paint) or a widget created on the fly (breadcrumb buttons) lands at the end of the
chain. :func:`chain` fixes an explicit order; :func:`tab_stops` reads a pane's own chain so a pane's
inner order stays as built.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget


def takes_tab(widget: QWidget) -> bool:
    return bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus) and widget.isEnabledTo(widget.window())


def tab_stops(root: QWidget) -> list[QWidget]:
    """The descendants of ``root`` that Tab can reach, in ``root``'s current focus-chain order."""
    stops: list[QWidget] = []
    seen: set[int] = set()
    widget = root.nextInFocusChain()
    while widget is not None and id(widget) not in seen and widget is not root:
        seen.add(id(widget))
        if root.isAncestorOf(widget) and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            stops.append(widget)
        widget = widget.nextInFocusChain()
    return stops


def chain(widgets: Iterable[QWidget | None]) -> None:
    """Make Tab visit ``widgets`` in this order (``None`` entries are skipped)."""
    previous: QWidget | None = None
    for widget in widgets:
        if widget is None:
            continue
        if previous is not None:
            QWidget.setTabOrder(previous, widget)
        previous = widget
