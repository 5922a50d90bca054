"""Where the app keeps its files: one place, injectable (``--data-dir``) so tests use a tmp dir."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gui import APP_ID

ENV_DATA_DIR = "REKOGNITION_LABELER_DATA_DIR"


@dataclass(frozen=True)
class AppPaths:
    data_dir: Path  # jobs database, results cache
    config_dir: Path  # settings.json, presets
    cache_dir: Path
    log_dir: Path

    @property
    def jobs_db(self) -> Path:
        return self.data_dir / "jobs.sqlite3"

    @property
    def results_db(self) -> Path:
        return self.data_dir / "results.sqlite3"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def presets_dir(self) -> Path:
        return self.config_dir / "presets"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "rekognition-labeler.log"

    def ensure(self) -> AppPaths:
        if not self.data_dir.is_dir():  # the job list and results: private, whatever the umask
            self.data_dir.mkdir(parents=True, exist_ok=True)
            os.chmod(self.data_dir, 0o700)
        for d in (self.config_dir, self.cache_dir, self.log_dir):
            d.mkdir(parents=True, exist_ok=True)
        return self


def resolve_paths(data_dir: str | os.PathLike[str] | None = None) -> AppPaths:
    """``--data-dir DIR`` (or the env var) puts everything under DIR; else the platform's user dirs."""
    chosen = data_dir or os.environ.get(ENV_DATA_DIR)
    if chosen:
        root = Path(chosen).expanduser().resolve()
        return AppPaths(root, root / "config", root / "cache", root / "logs")
    import platformdirs

    return AppPaths(
        Path(platformdirs.user_data_dir(APP_ID, appauthor=False)),
        Path(platformdirs.user_config_dir(APP_ID, appauthor=False)),
        Path(platformdirs.user_cache_dir(APP_ID, appauthor=False)),
        Path(platformdirs.user_log_dir(APP_ID, appauthor=False)),
    )
