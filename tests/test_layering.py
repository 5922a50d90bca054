"""The core, the sandbox and the CLI must import without PySide6 (Qt stays in gui.qt and gui.app); a
function-level import of a project module says why it is lazy; import-linter sees function-level imports."""

from __future__ import annotations

import ast
import pkgutil
import shutil
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


# ---- function-level imports of project modules: each one says why it is lazy ---------------------------


def unexplained_local_imports(source: str) -> list[int]:
    """Line numbers of imports of ``gui`` (or relative) modules inside a function without a comment on
    the import's line or a comment line directly above it."""
    lines = source.splitlines()
    found: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom):
                project = inner.level > 0 or (inner.module or "").split(".")[0] == "gui"
            elif isinstance(inner, ast.Import):
                project = any(alias.name.split(".")[0] == "gui" for alias in inner.names)
            else:
                continue
            if not project:
                continue
            line = lines[inner.lineno - 1]
            above = lines[inner.lineno - 2].strip() if inner.lineno >= 2 else ""
            if "#" not in line and not above.startswith("#"):
                found.add(inner.lineno)
    return sorted(found)


def test_every_function_level_project_import_says_why_it_is_lazy():
    unexplained = [
        f"{path.relative_to(ROOT.parent)}:{lineno}"
        for path in sorted(ROOT.rglob("*.py"))
        if "resources" not in path.relative_to(ROOT).parts
        for lineno in unexplained_local_imports(path.read_text(encoding="utf-8"))
    ]
    assert unexplained == [], "move these to module level or say on the line why they are lazy"


def test_the_local_import_check_flags_a_sample_source():
    sample = (
        "import gui.core.errors\n"  # 1: module level, fine
        "def f():\n"
        "    from gui.core import cost\n"  # 3: flagged
        "    import gui.core.paths\n"  # 4: flagged
        "    from . import sibling\n"  # 5: flagged (relative)
        "    import json\n"  # 6: not a project module
        "    from gui.core import wording  # built on first use: keeps start-up lean\n"  # 7: explained
        "    # the sandbox loads only for --demo\n"
        "    from gui.sandbox import Sandbox\n"  # 9: explained by the comment line above
        "    x = 1  # a comment about something else\n"
        "    from gui.qt import theme\n"  # 11: flagged: the comment above is not a comment line
        "    def inner():\n"
        "        from gui.qt import focus\n"  # 13: flagged once although inside two functions
        "class C:\n"
        "    def m(self):\n"
        "        from gui.core.jobstore import JobStore\n"  # 16: flagged (a method)
    )
    assert unexplained_local_imports(sample) == [3, 4, 5, 11, 13, 16]


# ---- import-linter sees a function-level Qt import in the core -----------------------------------------


def _lint_copy(tmp_path: Path, inject: str | None) -> subprocess.CompletedProcess[str]:
    """lint-imports with this project's contracts over a copy of gui/ (only its .py files)."""
    def not_python(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if not n.endswith(".py") and not Path(folder, n).is_dir() or n == "__pycache__"]

    shutil.copytree(ROOT, tmp_path / "gui", ignore=not_python)
    shutil.copy(ROOT.parent / "pyproject.toml", tmp_path / "pyproject.toml")
    if inject is not None:
        with (tmp_path / "gui" / "core" / "cost.py").open("a", encoding="utf-8") as f:
            f.write(inject)
    lint = Path(sys.executable).with_name("lint-imports")
    env = {"PATH": str(lint.parent), "PYTHONPATH": str(tmp_path), "HOME": str(tmp_path)}
    return subprocess.run([str(lint), "--no-cache", "--no-logo", str(tmp_path / "pyproject.toml")],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)


QT_CONTRACT = "The core, the CLI and the sandbox import no Qt"


def test_import_linter_catches_a_function_level_qt_import_in_the_core(tmp_path):
    probe = "\n\ndef _qt_probe() -> object:\n    from PySide6.QtWidgets import QWidget\n\n    return QWidget\n"
    probe_line = len((ROOT / "core" / "cost.py").read_text(encoding="utf-8").splitlines()) + 4
    proc = _lint_copy(tmp_path, probe)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert f"{QT_CONTRACT} BROKEN" in proc.stdout, proc.stdout + proc.stderr
    assert f"gui.core.cost -> PySide6 (l.{probe_line})" in proc.stdout  # the copy, with the injected line


def test_the_untouched_copy_keeps_every_contract(tmp_path):
    """Control for the test above: the copy alone passes, so the failure comes from the injected import."""
    proc = _lint_copy(tmp_path, None)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{QT_CONTRACT} KEPT" in proc.stdout
