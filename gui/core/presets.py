"""Saved presets: filters + MinConfidence + JobTag + NotificationChannel, one versioned JSON file each.

Files live in ``AppPaths.presets_dir`` as ``<slug>.json`` and are written atomically through
:mod:`gui.core.jsonstore`. The document (schema_version 2) uses the API's own parameter names so a
colleague can read it next to the request preview::

    {
      "schema_version": 2,
      "app": "rekognition-video-labeler",
      "name": "People and vehicles",
      "settings": {
        "MinConfidence": 60,
        "JobTag": "traffic",                      # optional
        "NotificationChannel": {"SNSTopicArn": "...", "RoleArn": "..."},   # optional
        "GeneralLabels": {"LabelInclusionFilters": ["Person"], "LabelCategoryInclusionFilters": [...]}
      }
    }

Schema 1 (the early flat format: ``include_labels``, ``min_confidence``, ``sns_topic_arn``...) is migrated
on load; the original is kept as ``<file>.v1.bak`` and the file rewritten. A newer schema is refused and
the file left untouched. A malformed or hand-broken file is renamed ``<file>.corrupt`` with a message
naming the file and the problem; the other presets still load. Labels the catalogue lacks load as
custom labels, with a notice.

Built-in presets are read-only (they cannot be saved over, renamed or deleted; duplicate them).
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gui import APP_ID
from gui.core.atomic import keep_aside
from gui.core.errors import KnownError
from gui.core.filters import FilterSelection
from gui.core.jsonstore import load_versioned, read_json, save_versioned, versioned_text
from gui.core.outputs import open_output
from gui.core.paths import AppPaths
from gui.core.request import FILTER_KEYS, general_labels, job_parameters
from gui.core.taxonomy import Taxonomy, load_taxonomy
from gui.core.types import JobSettings, LabelFilters, NotificationChannel
from gui.core.validation import DEFAULT_MIN_CONFIDENCE, settings_problems

log = logging.getLogger(__name__)

PRESET_SCHEMA_VERSION = 2
MAX_PRESET_NAME_CHARS = 80


class PresetFormatError(ValueError):
    """The document parses as JSON but does not describe valid settings."""


class PresetExists(KnownError):
    def __init__(self, name: str) -> None:
        super().__init__(
            "Preset exists", f"A preset named '{name}' already exists.", "Overwrite it or pick a new name."
        )
        self.name = name


@dataclass(frozen=True)
class Preset:
    name: str
    settings: JobSettings
    builtin: bool = False
    path: Path | None = None
    notices: tuple[str, ...] = ()  # e.g. labels the catalogue lacks, kept as custom labels


@dataclass
class LoadReport:
    problems: list[str] = field(default_factory=list)  # files that could not be loaded (and why)
    notices: list[str] = field(default_factory=list)  # loaded, with something worth telling


# ---- documents <-> JobSettings ----------------------------------------------------------------------
def settings_to_doc(settings: JobSettings) -> dict[str, Any]:
    """The ``settings`` object of a preset (API parameter names; empty lists and None left out)."""
    return {**job_parameters(settings), "GeneralLabels": general_labels(settings)}


def _string_list(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PresetFormatError(f"'{where}' must be a list of names (text)")
    seen: dict[str, None] = {}
    for v in value:
        seen.setdefault(v, None)
    return tuple(seen)


def settings_from_doc(doc: object, taxonomy: Taxonomy | None = None) -> tuple[JobSettings, list[str]]:
    """Parse a ``settings`` object. Raises :class:`PresetFormatError` naming the problem.

    Returns the settings and notices (labels/categories the catalogue lacks, kept as custom names).
    """
    if not isinstance(doc, Mapping):
        raise PresetFormatError("'settings' is missing or not an object")
    mc = doc.get("MinConfidence", DEFAULT_MIN_CONFIDENCE)
    if isinstance(mc, bool) or not isinstance(mc, int | float):
        raise PresetFormatError("'MinConfidence' must be a number from 0 to 100")
    tag = doc.get("JobTag")
    if tag is not None and not isinstance(tag, str):
        raise PresetFormatError("'JobTag' must be text")
    channel = doc.get("NotificationChannel")
    notification = None
    if channel is not None:
        if not isinstance(channel, Mapping) or not all(
            isinstance(channel.get(k), str) for k in ("SNSTopicArn", "RoleArn")
        ):
            raise PresetFormatError("'NotificationChannel' needs text 'SNSTopicArn' and 'RoleArn'")
        notification = NotificationChannel(channel["SNSTopicArn"], channel["RoleArn"])
    general = doc.get("GeneralLabels", {})
    if not isinstance(general, Mapping):
        raise PresetFormatError("'GeneralLabels' must be an object")
    unknown = sorted(set(general) - set(FILTER_KEYS))
    if unknown:
        raise PresetFormatError(f"'GeneralLabels' has unknown key(s) {', '.join(unknown)}")
    lists = [_string_list(general.get(k), f"GeneralLabels.{k}") for k in FILTER_KEYS]
    filters = LabelFilters(*lists)
    settings = JobSettings(filters, float(mc), tag or None, notification)
    problems = settings_problems(settings)
    if problems:
        raise PresetFormatError("; ".join(p.message for p in problems))
    _selection, notices = FilterSelection.from_filters(filters, taxonomy)
    return settings, notices


def _migrate_1_to_2(doc: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 was flat with snake_case keys."""
    settings: dict[str, Any] = {"MinConfidence": doc.get("min_confidence", DEFAULT_MIN_CONFIDENCE)}
    if doc.get("job_tag"):
        settings["JobTag"] = doc["job_tag"]
    if doc.get("sns_topic_arn") or doc.get("role_arn"):
        settings["NotificationChannel"] = {
            "SNSTopicArn": doc.get("sns_topic_arn"),
            "RoleArn": doc.get("role_arn"),
        }
    general: dict[str, Any] = {}
    for old, new in (
        ("include_labels", "LabelInclusionFilters"),
        ("exclude_labels", "LabelExclusionFilters"),
        ("include_categories", "LabelCategoryInclusionFilters"),
        ("exclude_categories", "LabelCategoryExclusionFilters"),
    ):
        if doc.get(old):
            general[new] = doc[old]
    settings["GeneralLabels"] = general
    return {"schema_version": 1, "app": APP_ID, "name": doc.get("name"), "settings": settings}


MIGRATIONS = {1: _migrate_1_to_2}


def preset_to_doc(name: str, settings: JobSettings) -> dict[str, Any]:
    return {"app": APP_ID, "name": name, "settings": settings_to_doc(settings)}


def _preset_from_doc(
    doc: dict[str, Any], source: Path, taxonomy: Taxonomy | None, *, fallback_name: str | None = None
) -> Preset:
    name = doc.get("name")
    if name is None and fallback_name:
        name = fallback_name
    if not isinstance(name, str) or not name.strip():
        raise PresetFormatError("'name' is missing or empty")
    settings, notices = settings_from_doc(doc.get("settings"), taxonomy)
    named = tuple(f"Preset '{name}': {n}" for n in notices)
    return Preset(name.strip(), settings, False, source, named)


def _clause(exc: Exception) -> str:
    """An error's text inside parentheses that end a sentence: no full stop of its own ("(… 100).)")."""
    return str(exc).rstrip(". ")


def name_problem(name: str) -> str | None:
    stripped = name.strip()
    if not stripped:
        return "A preset needs a name."
    if len(stripped) > MAX_PRESET_NAME_CHARS:
        return f"A preset name can have at most {MAX_PRESET_NAME_CHARS} characters."
    if any(not c.isprintable() for c in stripped):
        return "A preset name cannot contain line breaks or control characters."
    return None


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name.strip()).strip("-").lower()
    return slug[:60] or "preset"


# ---- built-in presets ---------------------------------------------------------------------------------
def builtin_presets() -> list[Preset]:
    def preset(name: str, min_confidence: float = DEFAULT_MIN_CONFIDENCE, **lists: tuple[str, ...]) -> Preset:
        return Preset(name, JobSettings(LabelFilters(**lists), min_confidence), builtin=True)

    return [
        preset("All labels (no filters)"),
        preset(
            "People and vehicles",
            60,
            label_inclusions=(
                "Person",
                "Adult",
                "Child",
                "Man",
                "Woman",
                "Boy",
                "Girl",
                "Baby",
                "Pedestrian",
                "Crowd",
            ),
            category_inclusions=("Vehicles and Automotive",),
        ),
        preset(
            "Everything except text and symbols",
            category_exclusions=("Text and Documents", "Symbols and Flags"),
        ),
        preset("Animals and pets", category_inclusions=("Animals and Pets",)),
        preset("Sports and fitness", category_inclusions=("Sports", "Health and Fitness")),
        preset(
            "Public safety and damage",
            category_inclusions=("Public Safety", "Damage Detection", "Weapons and Military"),
        ),
    ]


# ---- the store ----------------------------------------------------------------------------------------
class PresetStore:
    """Built-in plus user presets. ``load()`` reads the folder; every change writes one file atomically."""

    def __init__(self, paths: AppPaths, taxonomy: Taxonomy | None = None) -> None:
        self.paths = paths
        self.taxonomy = taxonomy or load_taxonomy()
        self._presets: dict[str, Preset] = {}
        self.last_report = LoadReport()
        self._install_builtins()

    @property
    def folder(self) -> Path:
        return self.paths.presets_dir

    def _install_builtins(self) -> None:
        self._presets = {p.name: p for p in builtin_presets()}

    # ---- reading ------------------------------------------------------------------------------------
    def load(self) -> LoadReport:
        """(Re)read every ``*.json`` in the folder. Bad files are reported (and kept aside), never fatal."""
        self._install_builtins()
        report = LoadReport()
        if self.folder.is_dir():
            for path in sorted(self.folder.glob("*.json")):
                preset = self._load_file(path, report)
                if preset is None:
                    continue
                if self._find(preset.name) is not None:
                    other = self._find(preset.name)
                    where = (
                        "a built-in preset" if other and other.builtin else f"'{other.path if other else ''}'"
                    )
                    report.problems.append(
                        f"The preset file '{path}' is named '{preset.name}', like {where}; it was not loaded. "
                        "Rename the preset inside the file."
                    )
                    continue
                self._presets[preset.name] = preset
                report.notices += list(preset.notices)
        self.last_report = report
        for message in report.problems:
            log.warning("%s", message)
        return report

    def _load_file(self, path: Path, report: LoadReport) -> Preset | None:
        try:
            result = load_versioned(path, PRESET_SCHEMA_VERSION, MIGRATIONS, what="preset file")
        except KnownError as exc:  # newer schema (left untouched) or no migration path
            report.problems.append(
                f"{exc.message.title}: {exc.message.text} It was left untouched and not loaded."
            )
            return None
        except OSError as exc:
            report.problems.append(f"The preset file '{path}' could not be read ({exc.strerror or exc}).")
            return None
        if result.data is None:
            if result.problem:
                report.problems.append(result.problem)
            return None
        try:
            preset = _preset_from_doc(result.data, path, self.taxonomy)
        except PresetFormatError as exc:
            aside = keep_aside(path)
            report.problems.append(
                f"The preset file '{path}' could not be used ({_clause(exc)}). It was kept as '{aside.name}'."
            )
            return None
        if self._on_disk_version(path) < PRESET_SCHEMA_VERSION:
            self._rewrite_migrated(path, preset, report)
        return preset

    @staticmethod
    def _on_disk_version(path: Path) -> int:
        try:
            version = read_json(path).get("schema_version")
        except (OSError, ValueError, AttributeError):
            return PRESET_SCHEMA_VERSION
        return version if isinstance(version, int) else PRESET_SCHEMA_VERSION

    def _rewrite_migrated(self, path: Path, preset: Preset, report: LoadReport) -> None:
        old = self._on_disk_version(path)
        backup = path.with_name(f"{path.name}.v{old}.bak")
        try:
            if not backup.exists():
                shutil.copy2(path, backup)
            save_versioned(path, preset_to_doc(preset.name, preset.settings), PRESET_SCHEMA_VERSION)
        except OSError as exc:
            log.warning("Could not rewrite migrated preset %s: %s", path, exc)
            return
        report.notices.append(
            f"Preset '{preset.name}' was upgraded from schema {old} to {PRESET_SCHEMA_VERSION}; "
            f"the original is kept as '{backup.name}'."
        )

    def _find(self, name: str) -> Preset | None:
        key = name.strip().casefold()
        for preset in self._presets.values():
            if preset.name.casefold() == key:
                return preset
        return None

    def names(self) -> list[str]:
        """Built-ins first (in their fixed order), then user presets alphabetically."""
        builtins = [p.name for p in self._presets.values() if p.builtin]
        users = sorted((p.name for p in self._presets.values() if not p.builtin), key=str.casefold)
        return builtins + users

    def presets(self) -> list[Preset]:
        return [self._presets[n] for n in self.names()]

    def get(self, name: str) -> Preset | None:
        return self._find(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._find(name) is not None

    def is_builtin(self, name: str) -> bool:
        preset = self._find(name)
        return bool(preset and preset.builtin)

    # ---- changing -----------------------------------------------------------------------------------
    def _check_name(self, name: str) -> str:
        problem = name_problem(name)
        if problem:
            raise KnownError("Invalid preset name", problem)
        return name.strip()

    def _refuse_builtin(self, name: str, action: str) -> None:
        if self.is_builtin(name):
            raise KnownError(
                "Built-in preset",
                f"'{name}' is a built-in preset and cannot be {action}.",
                "Duplicate it, then change the copy.",
            )

    def _file_for(self, name: str, keep: Path | None = None) -> Path:
        base = _slug(name)
        taken = {p.path for p in self._presets.values() if p.path is not None and p.path != keep}
        candidate = self.folder / f"{base}.json"
        n = 2
        while candidate in taken or (candidate.exists() and candidate != keep):
            candidate = self.folder / f"{base}-{n}.json"
            n += 1
        return candidate

    def save(self, name: str, settings: JobSettings, *, overwrite: bool = False) -> Preset:
        """Save as a new preset, or over an existing user preset when ``overwrite`` is True."""
        name = self._check_name(name)
        self._refuse_builtin(name, "overwritten")
        problems = settings_problems(settings)
        if problems:
            raise KnownError("Cannot save preset", "; ".join(p.message for p in problems))
        existing = self._find(name)
        if existing is not None and not overwrite:
            raise PresetExists(existing.name)
        path = existing.path if existing is not None and existing.path else self._file_for(name)
        save_versioned(path, preset_to_doc(name, settings), PRESET_SCHEMA_VERSION)
        if existing is not None:
            del self._presets[existing.name]
        preset = Preset(name, settings, False, path)
        self._presets[name] = preset
        return preset

    def rename(self, old: str, new: str) -> Preset:
        self._refuse_builtin(old, "renamed")
        current = self._find(old)
        if current is None:
            raise KnownError("No such preset", f"There is no preset named '{old}'.")
        new = self._check_name(new)
        other = self._find(new)
        if other is not None and other is not current:
            raise PresetExists(other.name)
        old_path = current.path
        path = self._file_for(new, keep=old_path)
        save_versioned(path, preset_to_doc(new, current.settings), PRESET_SCHEMA_VERSION)
        if old_path is not None and old_path != path:
            old_path.unlink(missing_ok=True)
        del self._presets[current.name]
        preset = Preset(new, current.settings, False, path)
        self._presets[new] = preset
        return preset

    def unique_name(self, base: str) -> str:
        candidate = f"{base} (copy)"
        n = 2
        while self._find(candidate) is not None:
            candidate = f"{base} (copy {n})"
            n += 1
        return candidate

    def duplicate(self, name: str, new_name: str | None = None) -> Preset:
        source = self._find(name)
        if source is None:
            raise KnownError("No such preset", f"There is no preset named '{name}'.")
        return self.save(new_name or self.unique_name(source.name), source.settings)

    def delete(self, name: str) -> None:
        self._refuse_builtin(name, "deleted")
        preset = self._find(name)
        if preset is None:
            raise KnownError("No such preset", f"There is no preset named '{name}'.")
        if preset.path is not None:
            preset.path.unlink(missing_ok=True)
        del self._presets[preset.name]

    # ---- exchange -----------------------------------------------------------------------------------
    def read_file(self, path: Path) -> Preset:
        """Parse a preset file from anywhere (e.g. a colleague's). Never renames it; raises KnownError."""
        path = Path(path)
        try:
            doc = read_json(path)
        except OSError as exc:
            raise KnownError("Cannot import preset", f"'{path}' could not be read ({exc.strerror or exc}).") from exc
        except ValueError as exc:
            raise KnownError("Cannot import preset", f"'{path}' is not a valid preset file ({_clause(exc)}).") from exc
        try:
            if not isinstance(doc, dict):
                raise PresetFormatError("the top level is not a JSON object")
            version = doc.get("schema_version")
            if not isinstance(version, int) or version < 1:
                raise PresetFormatError("'schema_version' is missing or not a positive whole number")
            if version > PRESET_SCHEMA_VERSION:
                raise KnownError(
                    "Preset from a newer version",
                    f"'{path}' has schema_version {version}; this app understands up to {PRESET_SCHEMA_VERSION}.",
                    "Update the app, or ask for a file exported by this version.",
                )
            while version < PRESET_SCHEMA_VERSION:
                doc = MIGRATIONS[version](doc)
                version += 1
                doc["schema_version"] = version
            return _preset_from_doc(doc, path, self.taxonomy, fallback_name=path.stem)
        except (ValueError, PresetFormatError) as exc:
            raise KnownError("Cannot import preset", f"'{path}' is not a valid preset file ({_clause(exc)}).") from exc

    def import_file(self, path: Path, *, name: str | None = None, overwrite: bool = False) -> Preset:
        """Copy a preset file into the store (as ``name`` if given). Raises PresetExists on a clash."""
        incoming = self.read_file(path)
        saved = self.save(name or incoming.name, incoming.settings, overwrite=overwrite)
        return Preset(saved.name, saved.settings, False, saved.path, incoming.notices)

    def export(self, name: str, path: Path) -> Path:
        preset = self._find(name)
        if preset is None:
            raise KnownError("No such preset", f"There is no preset named '{name}'.")
        return export_settings(preset.name, preset.settings, Path(path))


def export_settings(name: str, settings: JobSettings, path: Path) -> Path:
    """Write ``settings`` as a preset file a colleague can import (atomic; like any file the user exports,
    it follows the umask). Raises :class:`gui.core.outputs.OutputError` for a target that cannot be used."""
    if path.suffix.lower() != ".json":
        path = path.with_name(path.name + ".json")
    with open_output(path, make_parents=True) as stream:
        stream.write(versioned_text(preset_to_doc(name, settings), PRESET_SCHEMA_VERSION))
    return path
