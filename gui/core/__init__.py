"""Core logic without Qt: importable and testable with PySide6 absent."""
