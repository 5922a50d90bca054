"""``-o FILE`` targets (gui.core.outputs.open_output and ``results -o``): ``-`` is stdout; devices, FIFOs
and symlinks are written through, never replaced; a missing folder is refused unless asked; bad targets
get a plain message and exit 2."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import threading

import pytest

from gui import cli
from gui.core.outputs import OutputError, open_output

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file types")


def _write(path, text="new\n", **kwargs) -> None:
    with open_output(path, **kwargs) as stream:
        stream.write(text)


def test_dash_is_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    _write("-", "a,b\n", stdout=out)
    assert out.getvalue() == "a,b\n" and not (tmp_path / "-").exists()


def test_a_symlink_to_a_device_stays_a_symlink_and_the_device_a_device(tmp_path):
    link = tmp_path / "out.csv"
    link.symlink_to("/dev/null")
    _write(link)
    assert link.is_symlink() and os.readlink(link) == "/dev/null"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    _write(fifo, "through the pipe\n")
    reader.join(10)
    assert got == [b"through the pipe\n"] and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_symlink_to_a_regular_file_is_followed(tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    os.chmod(real, 0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    _write(link)
    assert link.is_symlink() and real.read_text() == "new\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # a replaced file keeps its permissions


def test_a_new_file_follows_the_umask(tmp_path):
    previous = os.umask(0o027)
    try:
        _write(tmp_path / "a.csv")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "a.csv").stat().st_mode) == 0o640


def test_missing_folder_is_refused_unless_asked(tmp_path):
    target = tmp_path / "no" / "such" / "out.csv"
    with pytest.raises(OutputError, match="does not exist"):
        _write(target)
    assert not (tmp_path / "no").exists()
    _write(target, make_parents=True)
    assert target.read_text() == "new\n"


def test_a_folder_or_a_file_as_folder_is_refused_and_nothing_half_written(tmp_path):
    with pytest.raises(OutputError, match="is a folder"):
        _write(tmp_path)
    plain = tmp_path / "plain"
    plain.write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        _write(plain / "out.csv")
    target = tmp_path / "kept.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), open_output(target) as stream:
        stream.write("partial")
        raise RuntimeError("the export failed half-way")
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["kept.csv", "plain"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_read_only_folder_is_a_plain_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o500)
    try:
        with pytest.raises(OutputError, match="cannot write in the folder"):
            _write(folder / "out.csv")
    finally:
        os.chmod(folder, 0o700)


# ---- the CLI's results command ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished_job(tmp_path_factory):
    """A data folder with one succeeded job whose results are stored (submit --wait, then results)."""
    from gui.core.logs import setup_logging
    from gui.sandbox import Sandbox

    sb = Sandbox(port=0, seed_demo=True, job_seconds=0.2)
    sb.start()
    data = tmp_path_factory.mktemp("outputs") / "app"
    conn = ["--endpoint-url", sb.endpoint_url, "--region", "us-east-1", "--data-dir", str(data)]
    try:
        code = cli.main(["submit", *conn, "--poll-interval", "0.1", "--poll-max", "0.3", "--wait",
                         "s3://demo-videos/city/city-traffic.mp4"], stdout=io.StringIO(), stderr=io.StringIO())
        assert code == cli.EXIT_OK
        first = data.parent / "first.csv"
        assert cli.main(["results", *conn, "1", "--format", "csv", "-o", str(first)],
                        stdout=io.StringIO(), stderr=io.StringIO()) == cli.EXIT_OK
        yield conn, first.read_bytes().decode()  # CSV rows end in CRLF
    finally:
        setup_logging(None)
        sb.stop()


def _results(conn, *args):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["results", *conn, "1", "--format", "csv", *map(str, args)], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_results_output_targets(finished_job, tmp_path, monkeypatch, restore_logging):
    conn, csv_text = finished_job
    monkeypatch.chdir(tmp_path)
    code, out, err = _results(conn, "-o", "-")
    assert code == cli.EXIT_OK and out == csv_text and "to standard output" in err
    assert not (tmp_path / "-").exists()

    bad_targets = [(tmp_path / "missing" / "x.csv", "does not exist (create it, or pass --parents)"),
                   (tmp_path, "is a folder")]
    if os.path.isdir("/proc/self"):  # a folder nobody may create files in, root included
        bad_targets.append(("/proc/self/labels.csv", "cannot write in the folder '/proc/self'"))
    for bad, says in bad_targets:
        code, out, err = _results(conn, "-o", bad)
        assert code == cli.EXIT_USAGE, err
        assert says in err and "Unexpected error" not in err and "OSError" not in err and "Traceback" not in err
    assert not (tmp_path / "missing").exists()
    code, _, err = _results(conn, "-o", tmp_path / "missing" / "x.csv", "--parents")
    assert code == cli.EXIT_OK and (tmp_path / "missing" / "x.csv").read_bytes().decode() == csv_text

    link = tmp_path / "null.csv"
    link.symlink_to("/dev/null")
    assert _results(conn, "-o", link)[0] == cli.EXIT_OK and link.is_symlink()


def test_results_through_a_dev_stdout_symlink_reaches_the_pipe(finished_job, tmp_path):
    conn, csv_text = finished_job
    link = tmp_path / "to-stdout.csv"
    link.symlink_to("/dev/stdout")
    proc = subprocess.run([sys.executable, "-m", "gui", "results", *conn, "1", "--format", "csv", "-o", str(link)],
                          capture_output=True, timeout=120)
    assert proc.returncode == cli.EXIT_OK, proc.stderr
    assert proc.stdout.decode().startswith(csv_text + "wrote ") and link.is_symlink()


def test_a_dangling_symlink_stays_a_symlink(tmp_path):
    link = tmp_path / "latest.csv"
    link.symlink_to(tmp_path / "runs" / "7.csv")
    with pytest.raises(OutputError, match="does not exist"):
        _write(link)
    (tmp_path / "runs").mkdir()
    _write(link)
    assert link.is_symlink() and (tmp_path / "runs" / "7.csv").read_text() == "new\n"


def test_exported_presets_follow_the_umask(tmp_path):
    from gui.core.presets import export_settings
    from gui.core.types import JobSettings

    previous = os.umask(0o022)
    try:
        written = export_settings("Mine", JobSettings(), tmp_path / "mine")
    finally:
        os.umask(previous)
    assert written.name == "mine.json" and stat.S_IMODE(written.stat().st_mode) == 0o644
