"""The app's small "last state" file (``AppPaths.settings_file``), shared by every area, one section each.

Generic API (any area may use it; values must be JSON-serialisable and must never contain secrets)::

    from gui.core.settings import load_section, save_app_settings
    save_app_settings(paths, "connection", {"profile": "dev", "region": "eu-west-1", "endpoint": None})
    load_section(paths, "connection")          # -> {"profile": "dev", ...} or {} when absent/unreadable
    load_app_settings(paths)                   # -> {"connection": {...}, "filters": {...}}

``save_app_settings`` replaces one section and leaves the others alone (read-modify-write under a lock,
atomic write). The file carries ``schema_version``; a corrupt file is kept aside as ``.corrupt`` (and
the app starts with defaults); a file from a newer app is neither read nor overwritten.

The filter panel's own state is in section ``"filters"``: see :func:`save_job_state`/:func:`load_job_state`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from gui.core.errors import KnownError
from gui.core.jsonstore import load_versioned, save_versioned
from gui.core.paths import AppPaths
from gui.core.presets import PresetFormatError, settings_from_doc, settings_to_doc
from gui.core.taxonomy import Taxonomy
from gui.core.types import JobSettings

log = logging.getLogger(__name__)

SETTINGS_SCHEMA_VERSION = 1
FILTERS_SECTION = "filters"
_lock = threading.Lock()


@dataclass
class SettingsLoad:
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    problem: str | None = None  # for the user: the file was corrupt (kept aside) or too new
    writable: bool = True  # False when the file comes from a newer app version


def read_app_settings(paths: AppPaths) -> SettingsLoad:
    """All sections plus what went wrong, if anything (for a UI that wants to tell the user)."""
    try:
        result = load_versioned(paths.settings_file, SETTINGS_SCHEMA_VERSION, what="settings file")
    except KnownError as exc:
        return SettingsLoad({}, f"{exc.message.title}: {exc.message.text} Using defaults.", writable=False)
    except OSError as exc:
        return SettingsLoad({}, f"The settings file '{paths.settings_file}' could not be read ({exc}).")
    if result.data is None:
        return SettingsLoad({}, result.problem)
    sections = {k: v for k, v in result.data.items() if k != "schema_version" and isinstance(v, dict)}
    return SettingsLoad(sections)


def load_app_settings(paths: AppPaths) -> dict[str, dict[str, Any]]:
    """``{section: values}``; empty when the file is absent, corrupt (kept aside) or from a newer app."""
    loaded = read_app_settings(paths)
    if loaded.problem:
        log.warning("%s", loaded.problem)
    return loaded.sections


def load_section(paths: AppPaths, section: str) -> dict[str, Any]:
    return dict(load_app_settings(paths).get(section, {}))


def save_app_settings(paths: AppPaths, section: str, values: dict[str, Any]) -> None:
    """Replace ``section`` with ``values`` and keep the other sections. Atomic.

    Raises KnownError when the file was written by a newer app (we do not overwrite it).
    """
    with _lock:
        loaded = read_app_settings(paths)
        if not loaded.writable:
            raise KnownError(
                "Settings not saved",
                f"'{paths.settings_file}' was written by a newer version of the app; it was left as is.",
            )
        sections = dict(loaded.sections)
        sections[section] = dict(values)
        save_versioned(paths.settings_file, sections, SETTINGS_SCHEMA_VERSION)


# ---- the filter panel's section -----------------------------------------------------------------------
@dataclass
class JobState:
    preset_name: str | None = None
    settings: JobSettings | None = None
    notices: list[str] = field(default_factory=list)


_FIELDS = ("MinConfidence", "JobTag", "NotificationChannel")


def usable_settings_doc(doc: dict[str, Any], taxonomy: Taxonomy | None = None) -> tuple[dict[str, Any], list[str]]:
    """``doc`` (a preset's ``settings`` object) without the fields the rules refuse, and one sentence per
    field dropped. Each field is tried on its own with the one strict parser (presets' ``settings_from_doc``),
    so a bad JobTag costs the JobTag, not the filters and MinConfidence beside it."""
    def refusal(candidate: dict[str, Any]) -> str | None:
        try:
            settings_from_doc(candidate, taxonomy)
        except PresetFormatError as exc:
            return str(exc)
        return None

    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for name in _FIELDS:
        if name in doc:
            problem = refusal({name: doc[name]})
            if problem:
                dropped.append(f"{name} {_shown(doc[name])} dropped ({problem})")
            else:
                kept[name] = doc[name]
    general = doc.get("GeneralLabels")
    if isinstance(general, dict):
        lists: dict[str, Any] = {}
        for key, values in general.items():
            problem = refusal({"GeneralLabels": {key: values}})
            if problem:
                dropped.append(f"GeneralLabels.{key} dropped ({problem})")
            else:
                lists[key] = values
        if lists and (problem := refusal({"GeneralLabels": lists})):  # e.g. a label both included and excluded
            dropped.append(f"GeneralLabels dropped ({problem})")
            lists = {}
        if lists:
            kept["GeneralLabels"] = lists
    elif general is not None:
        dropped.append("GeneralLabels dropped (it must be an object)")
    return kept, dropped


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def save_job_state(paths: AppPaths, preset_name: str | None, settings: JobSettings) -> list[str]:
    """Save the last used preset and settings, leaving out any value the rules refuse (the next start would
    only drop it). Returns what was left out, one sentence each."""
    doc, dropped = usable_settings_doc(settings_to_doc(settings))
    save_app_settings(paths, FILTERS_SECTION, {"last_preset": preset_name, "settings": doc})
    return dropped


def load_job_state(paths: AppPaths, taxonomy: Taxonomy | None = None) -> JobState:
    """The last used preset name and settings; defaults (None) with a notice when unusable."""
    loaded = read_app_settings(paths)
    notices = [loaded.problem] if loaded.problem else []
    section = loaded.sections.get(FILTERS_SECTION, {})
    name = section.get("last_preset")
    name = name if isinstance(name, str) and name.strip() else None
    doc = section.get("settings")
    if doc is None:
        return JobState(name, None, notices)
    if not isinstance(doc, dict):
        notices.append(f"The last used settings in '{paths.settings_file}' were not an object; using defaults.")
        return JobState(name, None, notices)
    usable, dropped = usable_settings_doc(doc, taxonomy)
    notices += [f"Last used settings: {d}; the other settings were kept." for d in dropped]
    try:
        settings, more = settings_from_doc(usable, taxonomy)
    except PresetFormatError as exc:  # not expected once every field passed on its own; say so all the same
        notices.append(
            f"The last used settings in '{paths.settings_file}' were not usable ({exc}); using defaults."
        )
        return JobState(name, None, notices)
    return JobState(name, settings, notices + [f"Last used settings: {m}" for m in more])
