"""The job table model: qtmodeltester, incremental updates (never a reset to change a row), the proxy."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from gui.core.jobstates import JobStatus
from gui.core.jobstore import JobStore, Scope, new_job
from gui.core.types import JobSettings
from gui.qt.job_model import (
    ELAPSED,
    JOB_ID,
    LABELS,
    STATUS,
    SUBMITTED,
    VIDEO,
    JobFilterProxy,
    JobRole,
    JobTableModel,
    SortRole,
)

pytestmark = pytest.mark.usefixtures("qapp")  # icons are pixmaps: they need the application

SCOPE = Scope("111122223333", "us-east-1", "")
OTHER = Scope("111122223333", "eu-west-1", "")


@pytest.fixture
def store(tmp_path):
    with JobStore(tmp_path / "jobs.sqlite3", clock=lambda: 1_700_000_000.0) as s:
        yield s


def _add(store, n, scope=SCOPE, prefix="clip", tag=None):
    return store.add_jobs([new_job("videos", f"{prefix}-{i}.mp4", JobSettings(job_tag=tag), scope) for i in range(n)])


def _claim(store, n):
    return store.claim(SCOPE, owner="me", max_active=n, limit=n, lease_seconds=60, is_abandoned=lambda *a: False)


class Spy:
    def __init__(self, model):
        self.resets = 0
        self.inserted: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int]] = []
        self.changed: list[tuple[int, int, int, int]] = []
        model.modelReset.connect(self.on_reset)
        model.rowsInserted.connect(self.on_inserted)
        model.rowsRemoved.connect(self.on_removed)
        model.dataChanged.connect(self.on_changed)

    def on_reset(self):
        self.resets += 1

    def on_inserted(self, parent, first, last):
        self.inserted.append((first, last))

    def on_removed(self, parent, first, last):
        self.removed.append((first, last))

    def on_changed(self, top_left, bottom_right, roles=()):
        self.changed.append((top_left.row(), bottom_right.row(), top_left.column(), bottom_right.column()))


def test_qtmodeltester_on_the_model_and_the_proxy(qtmodeltester, store):
    _add(store, 6, tag="batch-a")
    [a, b] = _claim(store, 2)
    store.mark_started(a.id, "JOB-A")
    store.mark_failed(b.id, "Unable to get object metadata from S3.", error_code="InvalidS3ObjectException")
    model = JobTableModel(clock=lambda: 1_700_000_100.0)
    model.reset(store.changed_since(0).rows, SCOPE)
    qtmodeltester.check(model)
    proxy = JobFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(SUBMITTED, Qt.SortOrder.DescendingOrder)
    proxy.set_statuses({JobStatus.QUEUED, JobStatus.IN_PROGRESS})
    qtmodeltester.check(proxy)


def test_display_values(store):
    [r] = _add(store, 1, tag="t1")
    _claim(store, 1)
    store.mark_started(r.id, "JOB-1")
    model = JobTableModel(clock=lambda: 1_700_000_075.0)
    model.reset(store.jobs(), SCOPE)
    idx = model.index(0, 0)
    assert model.data(idx) == "s3://videos/clip-0.mp4"
    assert model.data(model.index(0, STATUS)) == "In progress"
    assert model.data(model.index(0, ELAPSED)) == "1 min 15 s"
    assert model.data(model.index(0, JOB_ID)) == "JOB-1"
    assert model.data(model.index(0, LABELS)) == ""
    assert model.data(model.index(0, STATUS), SortRole) < model.data(model.index(0, STATUS), SortRole) + 1
    assert model.data(idx, JobRole).id == r.id
    assert model.data(model.index(0, STATUS), Qt.ItemDataRole.DecorationRole) is not None


def test_changes_are_applied_row_by_row_without_reset(store):
    _add(store, 5)
    model = JobTableModel()
    changes = store.changed_since(0)
    model.reset(changes.rows, SCOPE)
    spy = Spy(model)
    version = changes.version

    # one job changes: one dataChanged for that row, all columns
    [claimed] = _claim(store, 1)
    store.mark_started(claimed.id, "JOB-X")
    changes = store.changed_since(version)
    version = changes.version
    transitions = model.apply(changes.rows)
    row = model.row_of(claimed.id)
    assert spy.changed == [(row, row, 0, 7)]
    assert [(old, r.status) for old, r in transitions] == [(JobStatus.QUEUED, JobStatus.IN_PROGRESS)]
    assert spy.resets == 0 and spy.inserted == []

    # new jobs (including another region's, which this list does not show): appended in one block
    _add(store, 2, prefix="new")
    _add(store, 3, scope=OTHER, prefix="other")
    changes = store.changed_since(version)
    version = changes.version
    model.apply(changes.rows)
    assert spy.inserted == [(5, 6)] and model.rowCount() == 7

    # a removed job leaves with rowsRemoved; the rows after it keep their identity
    row = next(i for i in range(model.rowCount()) if model.record(i).status is JobStatus.QUEUED)
    queued = model.record(row)
    assert store.cancel(queued.id) and store.remove(queued.id)
    last_id = model.record(6).id
    model.apply(store.changed_since(version).rows)
    assert spy.removed == [(row, row)] and model.rowCount() == 6
    assert model.row_of(last_id) == 5 and model.record(5).id == last_id
    assert spy.resets == 0


def test_tick_refreshes_elapsed_of_active_rows_only(store):
    _add(store, 4)
    [a] = _claim(store, 1)
    store.mark_failed(a.id, "x")
    model = JobTableModel()
    model.reset(store.jobs(), SCOPE)
    spy = Spy(model)
    model.tick()
    assert spy.changed == [(1, 3, ELAPSED, ELAPSED)]  # row 0 has ended
    for row in range(4):
        store.cancel(model.record(row).id)
    model.apply(store.changed_since(0).rows)
    spy.changed.clear()
    model.tick()
    assert spy.changed == []


def test_proxy_filters_by_status_and_text_and_sorts_by_time(store):
    _add(store, 3, prefix="beach", tag="holiday")
    _add(store, 2, prefix="office")
    [a, b] = _claim(store, 2)
    store.mark_started(a.id, "JOBAAA")
    store.mark_started(b.id, "JOBBBB")
    model = JobTableModel()
    model.reset(store.jobs(), SCOPE)
    proxy = JobFilterProxy()
    proxy.setSourceModel(model)

    def videos():
        return [proxy.data(proxy.index(r, VIDEO)) for r in range(proxy.rowCount())]

    assert proxy.rowCount() == 5
    proxy.set_statuses({JobStatus.IN_PROGRESS})
    assert videos() == ["s3://videos/beach-0.mp4", "s3://videos/beach-1.mp4"]
    proxy.set_statuses(None)
    proxy.set_text("OFFICE")
    assert len(videos()) == 2 and all("office" in v for v in videos())
    proxy.set_text("holiday")  # the JobTag
    assert len(videos()) == 3
    proxy.set_text("jobbbb")  # the JobId
    assert videos() == ["s3://videos/beach-1.mp4"]
    proxy.set_text("")
    proxy.sort(STATUS, Qt.SortOrder.AscendingOrder)
    statuses = [proxy.data(proxy.index(r, 0), JobRole).status for r in range(proxy.rowCount())]
    assert statuses == [JobStatus.QUEUED] * 3 + [JobStatus.IN_PROGRESS] * 2


def test_proxy_sorts_by_submission_time_not_by_row_order(tmp_path):
    """Distinct submission times running opposite to the row ids: only a sort by the time passes."""
    times = iter([1_700_000_500.0, 1_700_000_400.0, 1_700_000_300.0, 1_700_000_200.0])
    with JobStore(tmp_path / "sorted.sqlite3", clock=lambda: next(times)) as store:
        added = [_add(store, 1, prefix=f"clip{i}")[0] for i in range(4)]
        model = JobTableModel(clock=lambda: 1_700_001_000.0)
        model.reset(store.jobs(), SCOPE)
    assert len({r.submitted_at for r in added}) == 4
    proxy = JobFilterProxy()
    proxy.setSourceModel(model)

    def order():
        return [proxy.data(proxy.index(r, 0), JobRole).id for r in range(proxy.rowCount())]

    oldest_first = [r.id for r in sorted(added, key=lambda r: r.submitted_at)]
    proxy.sort(SUBMITTED, Qt.SortOrder.AscendingOrder)
    assert order() == oldest_first
    proxy.sort(SUBMITTED, Qt.SortOrder.DescendingOrder)
    assert order() == oldest_first[::-1]


def test_proxy_sorts_a_retried_job_by_its_new_submission_time(tmp_path):
    """Distinct submission times, and a retried job (a new submission) that is newer than rows added
    after it: the order follows the times, both ways."""
    ticks = iter(float(t) for t in range(1_700_000_000, 1_700_001_000, 10))
    with JobStore(tmp_path / "jobs.sqlite3", clock=lambda: next(ticks)) as store:
        first, second, third = (_add(store, 1, prefix=f"clip-{i}")[0] for i in range(3))
        assert len({first.submitted_at, second.submitted_at, third.submitted_at}) == 3
        store.mark_failed(first.id, "x")
        assert store.retry(first.id) is not None
        model = JobTableModel()
        model.reset(store.jobs(), SCOPE)
    proxy = JobFilterProxy()
    proxy.setSourceModel(model)

    def keys():
        return [proxy.data(proxy.index(r, 0), JobRole).key for r in range(proxy.rowCount())]

    proxy.sort(SUBMITTED, Qt.SortOrder.DescendingOrder)
    assert keys() == ["clip-0-0.mp4", "clip-2-0.mp4", "clip-1-0.mp4"]
    proxy.sort(SUBMITTED, Qt.SortOrder.AscendingOrder)
    assert keys() == ["clip-1-0.mp4", "clip-2-0.mp4", "clip-0-0.mp4"]
