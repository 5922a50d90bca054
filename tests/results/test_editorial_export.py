"""Exporting markers to disk: several jobs into a folder, bad input (each a clear KnownError and no
file written), atomic writes with the user's umask."""

from __future__ import annotations

import os
import stat

import pytest
from editorial_support import otio_read, segment, segments_page, store_pages

from gui.core.editorial import (
    EditorialError,
    MarkerCount,
    WriteOptions,
    count_markers,
    export_markers,
    load_job,
    output_paths,
)
from gui.core.markers import MarkerOptions


@pytest.fixture
def out_dir(tmp_path):
    d = tmp_path / "exports"
    d.mkdir()
    return d


def _job(store, job_id, key, *, rate=25.0, labels=None, aggregation="SEGMENTS"):
    labels = labels if labels is not None else [segment("Car", 1000, 2000, 90.0, "Vehicles and Automotive")]
    store_pages(store, job_id, [segments_page(labels, rate, key=key)], aggregation)


def test_several_jobs_write_one_file_per_video_into_a_folder(store, tmp_path):
    _job(store, "job-a", "a/clip.mp4")
    _job(store, "job-b", "b/other.mov", labels=[segment("Dog", 0, 500, 80.0), segment("Dog", 3000, 4000, 80.0)])
    folder = tmp_path / "markers"
    result = export_markers(store, ["job-a", "job-b"], "otio", folder)
    assert sorted(p.name for p in folder.iterdir()) == ["clip.otio", "other.otio"]
    assert [(p.name, n) for p, n in result.written] == [("clip.otio", 1), ("other.otio", 2)]
    assert result.marker_count == 3
    assert otio_read(folder / "other.otio", "otio_json").name == "b/other.mov"


def test_videos_sharing_a_name_get_the_job_id_added(store, tmp_path):
    _job(store, "aaaaaaaa-1", "day1/take.mp4")
    _job(store, "bbbbbbbb-2", "day2/take.mp4")
    export_markers(store, ["aaaaaaaa-1", "bbbbbbbb-2"], "resolve-edl", tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["take-aaaaaaaa.edl", "take-bbbbbbbb.edl"]


def test_one_job_into_an_existing_folder(store, tmp_path):
    _job(store, "job-a", "a/clip one.mp4")
    export_markers(store, ["job-a"], "fcpxml", tmp_path)
    assert (tmp_path / "clip_one.fcpxml").is_file()


def test_output_paths_for_one_file():
    assert output_paths([], "edl", tmp := __import__("pathlib").Path("x.edl"), folder=False) == [tmp]


def test_a_job_without_results_is_refused_and_nothing_is_written(store, tmp_path):
    _job(store, "job-a", "a/clip.mp4")
    folder = tmp_path / "out"
    with pytest.raises(EditorialError) as info:
        export_markers(store, ["job-a", "job-missing"], "otio", folder)
    assert info.value.message.title == "No segments stored"
    assert "job-missing" in info.value.message.text
    assert not folder.exists()


def test_a_job_with_timestamps_only_is_refused(store, tmp_path):
    _job(store, "job-t", "a/clip.mp4", aggregation="TIMESTAMPS")
    with pytest.raises(EditorialError) as info:
        export_markers(store, ["job-t"], "edl", tmp_path / "x.edl")
    assert info.value.message.title == "No segments stored"
    assert not (tmp_path / "x.edl").exists()


@pytest.mark.parametrize("rate", [0, 0.0, None])
def test_a_frame_rate_of_zero_is_refused(store, tmp_path, rate):
    _job(store, "job-z", "a/clip.mp4", rate=rate)
    with pytest.raises(EditorialError) as info:
        export_markers(store, ["job-z"], "resolve-edl", tmp_path / "x.edl")
    assert info.value.message.title == "No frame rate"
    assert "job-z" in info.value.message.text
    assert not (tmp_path / "x.edl").exists()


def test_an_unknown_format_is_refused(store, out_dir):
    _job(store, "job-a", "a/clip.mp4")
    with pytest.raises(EditorialError) as info:
        export_markers(store, ["job-a"], "aaf", out_dir / "x.aaf")
    assert info.value.message.title == "Unknown export format"
    assert "resolve-edl" in info.value.message.hint
    assert list(out_dir.iterdir()) == []


def test_a_filter_leaving_no_marker_says_so_and_writes_nothing(store, out_dir):
    _job(store, "job-a", "a/clip.mp4")
    with pytest.raises(EditorialError) as info:
        export_markers(store, ["job-a"], "fcp7xml", out_dir / "x.xml", options=MarkerOptions(labels=("Giraffe",)))
    assert info.value.message.title == "No markers"
    assert "nothing was written" in info.value.message.text
    assert list(out_dir.iterdir()) == []


def test_a_video_left_without_markers_among_several_is_skipped_and_named(store, tmp_path):
    _job(store, "job-a", "a/clip.mp4")
    _job(store, "job-b", "b/dog.mp4", labels=[segment("Dog", 0, 500, 80.0)])
    result = export_markers(store, ["job-a", "job-b"], "otio", tmp_path / "out", options=MarkerOptions(labels=("car",)))
    assert [p.name for p, _ in result.written] == ["clip.otio"]
    assert result.skipped == ["b/dog.mp4: no label span passes the filters"]


def test_invalid_options_and_start_timecode(store, out_dir):
    _job(store, "job-a", "a/clip.mp4")
    with pytest.raises(EditorialError) as info:
        export_markers(store, ["job-a"], "otio", out_dir / "x.otio", options=MarkerOptions(min_confidence=120))
    assert "0-100" in info.value.message.text
    with pytest.raises(Exception) as info2:
        export_markers(store, ["job-a"], "otio", out_dir / "x.otio", write=WriteOptions(start_timecode="25:99"))
    assert info2.value.message.title == "Invalid timecode"
    assert list(out_dir.iterdir()) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_an_output_folder_that_cannot_be_written(store, tmp_path):
    _job(store, "job-a", "a/clip.mp4")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(EditorialError) as info:
            export_markers(store, ["job-a"], "otio", locked / "x.otio")
        assert info.value.message.title == "Folder not writable"
    finally:
        locked.chmod(0o700)


def test_an_output_folder_that_is_a_file(store, tmp_path):
    """Also as root: a file in the way of the folder cannot be written into."""
    _job(store, "job-a", "a/clip.mp4")
    _job(store, "job-b", "b/clip2.mp4")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(EditorialError) as info:
        export_markers(store, ["job-a", "job-b"], "otio", blocker / "sub")
    assert info.value.message.title == "Folder not writable"
    assert blocker.read_text() == "x"


@pytest.mark.skipif(os.name != "posix", reason="umask is POSIX")
@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600), (0o002, 0o664)])
def test_exported_files_follow_the_umask(store, out_dir, umask, mode):
    _job(store, "job-a", "a/clip.mp4")
    previous = os.umask(umask)
    try:
        export_markers(store, ["job-a"], "markers-csv", out_dir / "x.csv")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((out_dir / "x.csv").stat().st_mode) == mode
    assert [p.name for p in out_dir.iterdir()] == ["x.csv"]  # no temp file left behind


def test_rewriting_replaces_the_file_atomically(store, out_dir):
    _job(store, "job-a", "a/clip.mp4")
    out = out_dir / "x.vtt"
    out.write_text("old")
    export_markers(store, ["job-a"], "vtt-chapters", out)
    assert out.read_text().startswith("WEBVTT")
    assert [p.name for p in out_dir.iterdir()] == ["x.vtt"]


def test_count_markers_for_the_preview(store):
    _job(store, "job-a", "a/clip.mp4", labels=[segment("Car", 0, 1000, 90.0), segment("Dog", 0, 1000, 40.0)])
    loaded = [load_job(store, "job-a")]
    assert count_markers(loaded, MarkerOptions()) == MarkerCount(2)
    assert count_markers(loaded, MarkerOptions(min_confidence=50)).total == 1
    _job(store, "job-vfr", "a/phone.mp4", rate=29.6)
    count = count_markers([*loaded, load_job(store, "job-vfr")], MarkerOptions())
    assert count.total == 3 and "29.6" in count.notes[0]


# -- the Library's moments ------------------------------------------------------------------------------


def test_library_moments_export_one_marker_each_from_either_aggregation(store, tmp_path):
    """Moments are merged spans with their highest confidence: each is one marker (merge gap 0), its note gives
    that confidence and no mean (not kept per moment), and TIMESTAMPS-only jobs export too (no segments)."""
    from editorial_support import read_csv

    from gui.core.editorial import export_moments
    from gui.core.library import Moment

    _job(store, "job-t", "t/clip.mp4", aggregation="TIMESTAMPS",
         labels=[segment("Dog", 1000, 1000, 91.0, "Animals and Pets")])
    with pytest.raises(EditorialError, match="segment results"):
        export_markers(store, ["job-t"], "markers-csv", tmp_path / "no.csv")  # the jobs' route needs segments
    moments = [Moment("Dog", 1000, 2400, 91.0), Moment("Dog", 2520, 3000, 80.0), Moment("Cat", 5000, 6000, 70.0)]
    result = export_moments(store, [("job-t", moments, "TIMESTAMPS")], "markers-csv", tmp_path / "m.csv")
    assert result.marker_count == 3  # 120 ms apart, yet two markers: the moments the search listed
    rows = read_csv(tmp_path / "m.csv")
    assert [(r["label"], r["start"], r["end"], r["confidence"], r["mean confidence"], r["categories"]) for r in rows] \
        == [("Dog", "1.000", "2.400", "91.000", "", "Animals and Pets"),
            ("Dog", "2.520", "3.000", "80.000", "", "Animals and Pets"),
            ("Cat", "5.000", "6.000", "70.000", "", "")]
    # the options still apply: a merge gap joins them, a minimum confidence leaves some out
    merged = export_moments(store, [("job-t", moments, "TIMESTAMPS")], "otio", tmp_path / "m.otio",
                            options=MarkerOptions(merge_gap_ms=200, min_confidence=75.0))
    assert merged.marker_count == 1
    [marker] = otio_read(tmp_path / "m.otio", "otio_json").tracks.markers
    assert marker.comment == "Confidence max 91.0% (2 moments); Animals and Pets"
    assert marker.metadata["rekognition"]["moments"] == 2 and "mean_confidence" not in marker.metadata["rekognition"]


def test_library_moments_of_a_job_no_longer_cached_fail_clearly_and_write_nothing(store, tmp_path):
    from gui.core.editorial import export_moments
    from gui.core.library import Moment

    with pytest.raises(EditorialError, match="no longer in the local cache"):
        export_moments(store, [("gone", [Moment("Dog", 0, 10, 90.0)], "SEGMENTS")], "otio", tmp_path / "x.otio")
    assert not (tmp_path / "x.otio").exists()


class _Cancelled:
    cancelled = True


def _refusal(call):
    with pytest.raises(EditorialError) as info:
        call()
    m = info.value.message
    return m.title, m.text, m.hint


def test_each_refusal_says_what_and_what_to_do_and_writes_nothing(store, tmp_path):
    from gui.core.editorial import export_moments, write_markers
    from gui.core.library import Moment

    _job(store, "job-a", "a/clip.mp4")
    out = tmp_path / "out.otio"
    dog = [Moment("Dog", 0, 500, 90.0)]
    assert _refusal(lambda: export_markers(store, [], "otio", out)) == \
        ("No jobs", "Choose at least one job to export.", "")
    assert _refusal(lambda: write_markers([], "otio", out)) == ("No jobs", "Choose at least one job to export.", "")
    assert _refusal(lambda: export_moments(store, [], "otio", out)) == \
        ("No videos", "Choose at least one video to export.", "")
    # bad options are refused before any job is read (the missing job would be another error)
    assert _refusal(lambda: export_markers(store, ["job-missing"], "otio", out,
                                           options=MarkerOptions(min_confidence=101, merge_gap_ms=-1))) == \
        ("Invalid marker options", "minimum confidence must be 0-100, not 101; merge gap must be 0 ms or more, "
                                   "not -1.", "")
    assert _refusal(lambda: export_moments(store, [("job-missing", dog, "SEGMENTS")], "otio", out,
                                           options=MarkerOptions(min_duration_ms=-1)))[0] == "Invalid marker options"
    assert _refusal(lambda: export_moments(store, [("job-gone", dog, "SEGMENTS")], "otio", out)) == \
        ("No results stored", "The results of job job-gone are no longer in the local cache.",
         "Open the job's results to fetch them again.")
    for call in (lambda: export_markers(store, ["job-a"], "otio", out, cancel=_Cancelled()),
                 lambda: export_moments(store, [("job-a", dog, "SEGMENTS")], "otio", out, cancel=_Cancelled()),
                 lambda: write_markers([load_job(store, "job-a")], "otio", out, cancel=_Cancelled())):
        assert _refusal(call) == ("Export cancelled", "Nothing was written.", "")
    assert _refusal(lambda: export_moments(store, [("job-a", dog, "SEGMENTS")], "otio", out,
                                           options=MarkerOptions(min_confidence=95))) == \
        ("No markers", "The filters leave no marker in a/clip.mp4; nothing was written.",
         "Lower the minimum confidence or duration, or choose other labels or categories.")
    assert not out.exists()


def test_library_moments_keep_the_jobs_video_facts_and_the_write_options(store, tmp_path):
    """The moments of a SEGMENTS-indexed job take their categories from those results, the video's size and
    length from its metadata, and the export honours the start timecode it is given."""
    from gui.core.editorial import export_moments, load_moments
    from gui.core.library import Moment

    _job(store, "job-s", "s/clip.mp4", labels=[segment("Dog", 0, 500, 90.0, "Animals and Pets")])
    loaded = load_moments(store, "job-s", [Moment("Dog", 0, 500, 90.0)], "SEGMENTS")
    assert (loaded.width, loaded.height, loaded.duration_ms, loaded.unit) == (1280, 720, 90_000, "moment")
    assert loaded.segments[0].categories == ("Animals and Pets",)  # from the SEGMENTS results it was indexed from
    assert loaded.uri == "s3://footage/s/clip.mp4" and loaded.name == "s/clip.mp4"
    export_moments(store, [("job-s", [Moment("Dog", 0, 500, 90.0)], "SEGMENTS")], "edl", tmp_path / "m.edl",
                   write=WriteOptions(start_timecode="10:00:00:00"))
    assert "10:00:00:00" in (tmp_path / "m.edl").read_text()


class _CancelledAfter:
    """Says "cancelled" from its ``n``-th look on (a user pressing Cancel while the export runs)."""

    def __init__(self, n):
        self.n = n
        self.looks = 0

    @property
    def cancelled(self):
        self.looks += 1
        return self.looks >= self.n


def test_a_cancel_while_the_videos_are_marked_stops_before_anything_is_written(store, tmp_path):
    from gui.core.editorial import export_moments
    from gui.core.library import Moment

    _job(store, "job-a", "a/clip.mp4")
    _job(store, "job-b", "b/other.mov")
    token = _CancelledAfter(3)  # both jobs read, then cancelled at the first video's markers
    assert _refusal(lambda: export_markers(store, ["job-a", "job-b"], "otio", tmp_path / "m", cancel=token))[0] \
        == "Export cancelled"
    assert token.looks == 3 and not (tmp_path / "m").exists()
    token = _CancelledAfter(3)
    dog = [Moment("Dog", 0, 500, 90.0)]
    assert _refusal(lambda: export_moments(store, [("job-a", dog, "SEGMENTS"), ("job-b", dog, "SEGMENTS")], "otio",
                                           tmp_path / "m", cancel=token))[0] == "Export cancelled"
    assert token.looks == 3 and not (tmp_path / "m").exists()


def test_notes_are_said_once_and_only_when_there_is_one(store, tmp_path):
    _job(store, "job-a", "a/clip.mp4", rate=25.0)
    _job(store, "job-b", "b/other.mov", rate=25.0)
    assert export_markers(store, ["job-a", "job-b"], "otio", tmp_path / "std").notes == []
    _job(store, "job-c", "c/odd.mp4", rate=12.5)
    _job(store, "job-d", "d/odd.mp4", rate=12.5)
    notes = export_markers(store, ["job-c", "job-d"], "otio", tmp_path / "odd").notes
    assert len(notes) == 1 and "12.5" in notes[0]


def test_no_marker_in_several_videos_names_them_all(store, tmp_path):
    _job(store, "job-a", "a/clip.mp4")
    _job(store, "job-b", "b/other.mov")
    title, text, _ = _refusal(lambda: export_markers(store, ["job-a", "job-b"], "otio", tmp_path / "m",
                                                     options=MarkerOptions(min_confidence=99.9)))
    assert (title, text) == ("No markers", "The filters leave no marker in a/clip.mp4, b/other.mov; nothing was "
                                           "written.")


@pytest.mark.parametrize("reported", [15.0, 12.5, 29.4])
def test_non_standard_rates_export_where_the_format_allows_and_are_refused_clearly_where_not(store, tmp_path,
                                                                                            reported):
    """EDL and FCP7 XML are written by OpenTimelineIO adapters whose timecode knows only standard rates (they
    raise, or would write 29 fps as 29.97 drop-frame): a clear refusal naming the formats that work, nothing
    written. The other formats count the rounded rate themselves."""
    from editorial_support import read_csv

    from gui.core.editorial import FORMATS

    _job(store, "job-r", "r/screen.mp4", rate=reported)
    fps = round(reported)
    for fmt in FORMATS:
        out = tmp_path / f"m-{fmt}"
        if fmt in ("edl", "fcp7xml"):
            title, text, hint = _refusal(lambda fmt=fmt, out=out: export_markers(store, ["job-r"], fmt, out))
            assert title == "Frame rate not supported by this format"
            assert f"r/screen.mp4 runs at {fps} fps ({reported:g} reported)" in text
            assert hint == "Export this video as resolve-edl, fcpxml, otio, markers-csv, vtt-chapters."
            assert not out.exists()
            continue
        result = export_markers(store, ["job-r"], fmt, out)
        assert result.marker_count == 1
    rows = read_csv(tmp_path / "m-markers-csv")
    # Car 1000-2000 ms: frames round(1.0 * fps) and round(2.0 * fps); timecode counted at the whole rate
    assert (rows[0]["timecode in"], rows[0]["timecode out"]) == ("00:00:01:00", "00:00:02:00")
    edl = (tmp_path / "m-resolve-edl").read_text()
    assert "01:00:01:00 01:00:01:01 01:00:01:00 01:00:01:01" in edl  # a one-frame event at 1 s after 01:00:00:00
