"""``rekognition-labeler search``: output shapes, exit codes, and the same upkeep as the window."""

from __future__ import annotations

import io
import json
import sqlite3

import pytest
from library_support import det, downgrade_to_before_the_index, finished_record, store_job

from gui.core.results_store import ResultsStore


def cli(data_dir, *args):
    from gui.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["search", *args, "--data-dir", str(data_dir)], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def filled(data_dir):
    with ResultsStore(data_dir / "results.sqlite3") as store:
        store_job(store, "j1", "s3://b/dogs/rex.mp4", [det(0, "Dog", 95), det(2500, "Dog", 81)], duration_ms=4000)
        store_job(store, "j2", "s3://b/cats/tom.mp4", [det(0, "Cat", 90)], duration_ms=61_000)
    return data_dir


def test_one_line_per_video_and_one_per_moment(filled):
    code, out, err = cli(filled, "Dog OR Cat", "--moments")
    assert code == 0, err
    lines = out.splitlines()
    assert [line.split("\t")[:3] for line in lines if not line.startswith("\t")] == [
        ["s3://b/cats/tom.mp4", "j2", "00:01:01.000"], ["s3://b/dogs/rex.mp4", "j1", "00:00:04.000"]]
    assert lines[1] == "\tCat\t00:00:00.000\t00:00:00.000\t90.0"
    assert lines[3:] == ["\tDog\t00:00:00.000\t00:00:00.000\t95.0", "\tDog\t00:00:02.500\t00:00:02.500\t81.0"]
    code, out, _ = cli(filled, "Dog OR Cat")
    assert len(out.splitlines()) == 2 and "\t1 label" in out


def test_json_is_one_array(filled):
    code, out, _ = cli(filled, "Dog>90", "--json")
    assert code == 0
    [video] = json.loads(out)
    assert video["uri"] == "s3://b/dogs/rex.mp4" and video["label_count"] == 1 and "moments" not in video
    code, out, _ = cli(filled, "Dog>90", "--json", "--moments")
    assert json.loads(out)[0]["moments"] == [{"label": "Dog", "start_ms": 0, "end_ms": 0, "confidence": 95.0}]


@pytest.mark.parametrize(("args", "code"), [
    (("Unicorn",), 1), (("Unicorn", "--json"), 1), (("Dog",), 0), (("NOT (Dog",), 2), (("Dog>=200",), 2),
])
def test_exit_codes(filled, args, code):
    got, out, err = cli(filled, *args)
    assert got == code
    if code == 1:
        assert out in ("", "[]\n")
    if code == 2:
        assert out == "" and "error: bad query:" in err and "^" in err and "Traceback" not in err


def test_an_unusable_cache_exits_5(data_dir):
    con = sqlite3.connect(data_dir / "results.sqlite3")
    con.execute("PRAGMA user_version = 99")
    con.close()
    code, _out, err = cli(data_dir, "Dog")
    assert code == 5 and "newer version" in err


def test_help_documents_the_grammar(capsys):
    from gui.cli import main

    assert main(["search", "--help"]) == 0
    text = capsys.readouterr().out
    assert 'category:"Animals and Pets"' in text and "Dog>=90" in text and "exit codes" in text


def test_jobs_removed_from_the_list_leave_the_cli_too(filled):
    from gui.core.jobstore import JobStore

    jobs = JobStore(filled / "jobs.sqlite3")
    try:
        record = finished_record(jobs, "b", "dogs/rex.mp4", "j1", preset="Pets")
        code, out, _ = cli(filled, "Dog")
        assert code == 0 and out.rstrip("\n").endswith("\tPets")
        jobs.remove(record.id)
    finally:
        jobs.close()
    code, out, _ = cli(filled, "Dog")
    assert (code, out) == (1, "")


def test_an_old_cache_is_indexed_first_and_said_so(filled):
    downgrade_to_before_the_index(filled / "results.sqlite3")
    code, out, err = cli(filled, "Dog OR Cat")
    assert code == 0 and len(out.splitlines()) == 2
    assert "indexing 2 stored job(s) for the library (once)" in err
    code, _out, err = cli(filled, "Dog OR Cat")
    assert "indexing" not in err


def test_markers_write_the_matching_moments_as_the_view_exports_them(filled, tmp_path):
    """``--markers`` goes through the same export as the Library view's dialog (one marker per moment)."""
    import csv

    code, out, err = cli(filled, "Dog>=90 OR Cat", "--markers", "markers-csv", "-o", str(tmp_path / "m"))
    assert code == 0, err
    assert sorted(out.splitlines()) == sorted([f"wrote 1 marker to {tmp_path / 'm' / 'rex.csv'}",
                                               f"wrote 1 marker to {tmp_path / 'm' / 'tom.csv'}"])
    with open(tmp_path / "m" / "rex.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["label"], r["start"], r["confidence"]) for r in rows] == [("Dog", "0.000", "95.000")]  # not the 81
    code, out, err = cli(filled, "Dog", "--markers", "otio", "-o", str(tmp_path / "one.otio"))
    assert code == 0 and out == f"wrote 2 markers to {tmp_path / 'one.otio'}\n"


@pytest.mark.parametrize(("args", "code", "message"), [
    (("Dog", "--markers", "otio"), 2, "--markers FORMAT and -o PATH go together"),
    (("Dog", "-o", "x.otio"), 2, "--markers FORMAT and -o PATH go together"),
    (("Dog", "--markers", "otio", "-o", "x.otio", "--json"), 2, "does not go with --json"),
    (("Dog", "--markers", "edl", "-o", "x.edl", "--start-timecode", "99:99"), 2, "--start-timecode"),
    (("Unicorn", "--markers", "otio", "-o", "x.otio"), 1, "no video matched: nothing written"),
])
def test_markers_refuse_bad_options_and_write_nothing(filled, tmp_path, monkeypatch, args, code, message):
    monkeypatch.chdir(tmp_path)
    got, out, err = cli(filled, *args)
    assert (got, out) == (code, "")
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x.otio").exists() and not (tmp_path / "x.edl").exists()
