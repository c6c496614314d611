"""`lrkit report` as a user runs it: a report folder from JSON files, one-line errors with exit 2."""

from __future__ import annotations

import json

import pytest

from lrkit.cli import main


def test_report_writes_the_index_and_pngs(tune_data, tmp_path, capsys):
    results = tmp_path / "run.json"
    results.write_text(json.dumps(tune_data["final"]["run"]))
    assert main(["report", str(results), "-o", str(tmp_path / "out")]) == 0
    assert "report written to" in capsys.readouterr().out
    assert (tmp_path / "out" / "index.html").is_file()
    assert sorted(path.name for path in (tmp_path / "out").glob("*.png")) == ["curves.png", "schedule.png"]


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"), ("not json", "not JSON"), ('{"kind": "poem"}', "not an lrkit result"),
])
def test_a_bad_file_is_one_line_and_exit_code_2(tmp_path, capsys, content, message):
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    assert main(["report", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
