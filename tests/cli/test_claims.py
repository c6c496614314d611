"""`lrkit claims` as a user runs it: the table, the claims page in the report folder (joined to
the demo's report when there is one), JSON, and one-line errors."""

from __future__ import annotations

import json

from lrkit.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_one_claim_prints_its_verdict_and_writes_its_page_plot_and_json(tmp_path, capsys):
    out, data = tmp_path / "report", tmp_path / "mine.json"
    assert main(["claims", "--only", "b", "--workers", "1", "--out", str(out), "--json", str(data)]) == 0
    printed = capsys.readouterr().out
    assert "(b)" in printed and "supported" in printed and "2/L" in printed
    assert "index.html" in printed and "(b)" in (out / "index.html").read_text()
    pngs = list(out.glob("*.png"))
    assert len(pngs) == 1 and pngs[0].read_bytes().startswith(PNG_MAGIC)
    for path in (data, out / "claims.json"):
        result = json.loads(path.read_text())
        assert result["kind"] == "claims" and [c["id"] for c in result["claims"]] == ["b"]


def test_claims_join_the_tune_report_in_the_same_folder(tmp_path, capsys):
    from lrkit.tune import tune

    (tmp_path / "tune.json").write_text(json.dumps(tune("cancer-logreg", budget=1, workers=1).to_dict()))
    assert main(["claims", "--only", "b", "--workers", "1", "--out", str(tmp_path)]) == 0
    assert "claims.html" in capsys.readouterr().out
    assert 'href="claims.html"' in (tmp_path / "index.html").read_text()
    assert "(b)" in (tmp_path / "claims.html").read_text()


def test_json_to_stdout_is_only_the_json(tmp_path, capsys):
    assert main(["claims", "--only", "b", "--workers", "1", "--out", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["claims"][0]["verdict"] == "supported"


def test_an_unknown_claim_is_one_line_on_stderr_and_exit_2(tmp_path, capsys):
    assert main(["claims", "--only", "z", "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "unknown claim 'z'" in captured.err
    assert not any(tmp_path.iterdir())
