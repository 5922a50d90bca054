"""The core, the sandbox and the CLI must import without PySide6 (Qt stays in gui.qt and gui.app)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import gui

ROOT = Path(gui.__file__).resolve().parent


def _modules(subpackage: str) -> list[str]:
    pkg_dir = ROOT / subpackage
    return [f"gui.{subpackage}.{m.name}" for m in pkgutil.iter_modules([str(pkg_dir)])] + [f"gui.{subpackage}"]


def _import_without_qt(modules: list[str]) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys, importlib\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'PySide6' or name.startswith('PySide6.') or name.startswith('shiboken6'):\n"
        "            raise ImportError('PySide6 is blocked in this test: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "assert not any(k.startswith('PySide6') for k in sys.modules), 'PySide6 leaked in'\n"
        "print('ok', len(sys.modules))\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_core_sandbox_and_cli_import_without_pyside6():
    modules = _modules("core") + _modules("sandbox") + _modules("cli") + ["gui", "gui.options", "gui.__main__"]
    proc = _import_without_qt(modules)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok")


def test_the_blocker_really_blocks_qt():
    """Guard against a vacuous layering test: importing a Qt module with the blocker must fail."""
    proc = _import_without_qt(["gui.qt.workers"])
    assert proc.returncode != 0
    assert "PySide6 is blocked" in proc.stderr
