"""Hostile names shared by the security tests: HTML, entities, an unclosed tag, bidi and control
characters, as an S3 key, a folder name or a preset name may hold them."""

from __future__ import annotations

from pathlib import Path

from gui.core.jobstore import JobStore, Scope, new_job
from gui.core.types import JobSettings

HTML_NAMES = (
    "<font size=7 color=red>APPROVED.mp4",
    '<img src="file:///etc/hostname">.mp4',
    "&lt;x&gt;.mp4",
    "open</",
)
CONTROL_NAMES = (
    "clip\u202egnp.mp4",
    "esc\x1b[2Jclear.mp4",
    "two\nlines.mp4",
)
ALL_NAMES = HTML_NAMES + CONTROL_NAMES
SCOPE = Scope("123456789012", "us-east-1", "http://127.0.0.1:9")


def seed_jobs(db: Path, bucket: str = "hostile-bucket", names: tuple[str, ...] = ALL_NAMES,
              preset: str | None = None) -> list:
    """One queued job per hostile key, failed with a message that repeats the key."""
    with JobStore(db) as store:
        records = store.add_jobs([new_job(bucket, f"in/{name}", JobSettings(), SCOPE, preset=preset)
                                  for name in names])
        for r in records:
            store.mark_failed(r.id, f"Could not read {r.key}")
        return [store.get(r.id) for r in records]
