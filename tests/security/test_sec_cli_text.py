"""The CLI never prints a control or bidi character of an S3 key raw: ESC cannot reach the terminal and a
newline cannot split a table row."""

from __future__ import annotations

import io

from hostile import CONTROL_NAMES, seed_jobs

from gui import cli


def test_status_table_shows_control_characters_visibly(tmp_path, restore_logging):
    data = tmp_path / "app"
    data.mkdir()
    records = seed_jobs(data / "jobs.sqlite3", names=CONTROL_NAMES)
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["status", "--data-dir", str(data)], stdout=out, stderr=err) == cli.EXIT_OK, err.getvalue()
    table = out.getvalue()
    assert "\x1b" not in table and "\u202e" not in table
    lines = table.splitlines()
    # a header, then per job its row and its "↳ message" line: no extra line from the newline in a key
    assert len(lines) == 1 + 2 * len(records), table
    assert "esc⟨U+001B⟩[2Jclear.mp4" in table and "clip⟨U+202E⟩gnp.mp4" in table
    assert "two⟨U+000A⟩lines.mp4" in table


def test_error_messages_keep_their_lines_but_show_a_key_s_control_characters(tmp_path, restore_logging):
    data = tmp_path / "app"
    data.mkdir()
    records = seed_jobs(data / "jobs.sqlite3", names=CONTROL_NAMES)
    newline_job = next(r for r in records if "\n" in r.key)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["results", "--data-dir", str(data), str(newline_job.id), "--format", "csv", "-o", "-"],
                    stdout=out, stderr=err)
    assert code == cli.EXIT_FAILED
    assert err.getvalue().count("\n") == 1 and "two⟨U+000A⟩lines.mp4" in err.getvalue()
    # a message of several lines keeps them (settings problems are listed one per line)
    code = cli.main(["submit", "--data-dir", str(data), "--job-tag", "a b", "--min-confidence", "120",
                     "s3://b/a.mp4"], stdout=out, stderr=(err := io.StringIO()))
    assert code == cli.EXIT_USAGE and err.getvalue().startswith("error: invalid settings:\n  ")
