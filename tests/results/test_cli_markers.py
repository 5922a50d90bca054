"""``rekognition-labeler results JOB_ID ... --format <marker format>`` on the scripted sandbox: fetches what
is not stored, writes what OpenTimelineIO reads back, several jobs into a folder, documented exit codes."""

from __future__ import annotations

import io
from fractions import Fraction

import pytest
from editorial_support import expected_frames, expected_markers, otio_read, read_resolve_edl
from results_support import DEMO_BUCKET, DEMO_VIDEO, SCRIPTED_VIDEO, start_and_wait

from gui import cli


@pytest.fixture
def run_cli(scripted, tmp_path):
    data = tmp_path / "app"

    def call(*args):
        out, err = io.StringIO(), io.StringIO()
        argv = ["results", "--endpoint-url", scripted.endpoint_url, "--region", "us-east-1", "--data-dir", data,
                *args]
        code = cli.main([str(a) for a in argv], stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    yield call
    from gui.core.logs import setup_logging

    setup_logging(None)


@pytest.fixture(scope="module")
def second_job(scripted, scripted_job):
    return start_and_wait(scripted_job["client"], DEMO_BUCKET, DEMO_VIDEO)


def test_resolve_marker_edl_from_the_cli_matches_the_segments(run_cli, scripted_job, tmp_path):
    out = tmp_path / "dog.edl"
    code, stdout, stderr = run_cli(scripted_job["job_id"], "--format", "resolve-edl", "-o", out)
    assert code == cli.EXIT_OK, stderr
    pages = scripted_job["segments"]
    rate = Fraction(round(pages[0]["VideoMetadata"]["FrameRate"] * 1000), 1000)
    assert rate == 24
    expected = expected_frames(expected_markers(pages), rate)
    assert stdout == f"wrote {len(expected)} markers to {out}\n"
    assert "fetching the results of" in stderr
    parsed = read_resolve_edl(out.read_text(), rate)
    assert parsed["title"] == SCRIPTED_VIDEO
    assert [(m["name"], m["frame"] - 86400, m["duration"]) for m in parsed["markers"]] == expected


def test_marker_options_reach_the_file(run_cli, scripted_job, tmp_path):
    out = tmp_path / "dog.otio"
    code, _, stderr = run_cli(scripted_job["job_id"], "--format", "otio", "-o", out, "--labels", "dog, Car",
                              "--merge-gap", "0", "--min-duration", "40", "--start-timecode", "00:10:00:00")
    assert code == cli.EXIT_OK, stderr
    pages = scripted_job["segments"]
    timeline = otio_read(out, "otio_json")
    assert timeline.global_start_time.value == 600 * 24
    got = [(m.name, round(m.marked_range.start_time.value), round(m.marked_range.duration.value))
           for m in timeline.tracks.markers]
    assert got == expected_frames(expected_markers(pages, 0, labels=("dog", "car"), min_duration_ms=40), Fraction(24))
    assert {name for name, _, _ in got} <= {"Dog", "Car"} and got


def test_several_jobs_write_one_file_each_into_a_folder(run_cli, scripted_job, second_job, tmp_path):
    folder = tmp_path / "edit"
    code, stdout, stderr = run_cli(scripted_job["job_id"], second_job, "--format", "fcp7xml", "-o", folder)
    assert code == cli.EXIT_OK, stderr
    assert sorted(p.name for p in folder.iterdir()) == ["city-traffic.xml", "dog-park.xml"]
    assert len(stdout.splitlines()) == 2
    assert otio_read(folder / "city-traffic.xml", "fcp_xml").name == DEMO_VIDEO


def test_a_filter_leaving_no_marker_exits_1_and_writes_nothing(run_cli, scripted_job, tmp_path):
    out = tmp_path / "none.edl"
    code, stdout, stderr = run_cli(scripted_job["job_id"], "--format", "edl", "-o", out, "--labels", "Giraffe")
    assert code == cli.EXIT_FAILED
    assert "export failed: No markers" in stderr and "nothing was written" in stderr
    assert stdout == "" and not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "json"], "exports one job at a time"),
        (["--format", "otio", "--min-confidence", "150"], "0-100"),
        (["--format", "otio", "--merge-gap", "-1"], "merge gap"),
        (["--format", "resolve-edl", "--start-timecode", "1:00"], "--start-timecode: Invalid timecode"),
    ],
)
def test_usage_errors_exit_2(run_cli, scripted_job, second_job, tmp_path, args, message):
    jobs = [scripted_job["job_id"], second_job] if args[1] == "json" else [scripted_job["job_id"]]
    code, _, stderr = run_cli(*jobs, *args, "-o", tmp_path / "x")
    assert code == cli.EXIT_USAGE, stderr
    assert message in stderr
    assert not (tmp_path / "x").exists()


def test_an_unknown_format_is_a_usage_error(run_cli, scripted_job, tmp_path, capsys):
    code, _, _ = run_cli(scripted_job["job_id"], "--format", "aaf", "-o", tmp_path / "x")
    assert code == cli.EXIT_USAGE
    stderr = capsys.readouterr().err  # argparse writes its usage errors to sys.stderr
    assert "invalid choice: 'aaf'" in stderr and "resolve-edl" in stderr


def test_help_lists_the_marker_formats_and_options():
    out = io.StringIO()
    parser = cli.build_parser()
    results = next(a for a in parser._subparsers._group_actions if a.dest == "command").choices["results"]
    results.print_help(out)
    text = out.getvalue()
    for word in ("resolve-edl", "fcp7xml", "vtt-chapters", "--merge-gap", "--start-timecode", "FILE_OR_FOLDER"):
        assert word in text
