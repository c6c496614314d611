"""`lrkit claims` as a user runs it: the table, one PNG per claim, JSON, and one-line errors."""

from __future__ import annotations

import json

from lrkit.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_one_claim_prints_its_verdict_and_writes_its_plot_and_json(tmp_path, capsys):
    out, data = tmp_path / "claims", tmp_path / "claims.json"
    assert main(["claims", "--only", "b", "--workers", "1", "--out", str(out), "--json", str(data)]) == 0
    printed = capsys.readouterr().out
    assert "(b)" in printed and "supported" in printed and "2/L" in printed
    assert (out / "claim-b.png").read_bytes().startswith(PNG_MAGIC)
    assert [path.name for path in out.iterdir()] == ["claim-b.png"]
    result = json.loads(data.read_text())
    assert result["kind"] == "claims" and [c["id"] for c in result["claims"]] == ["b"]


def test_json_to_stdout_is_only_the_json(tmp_path, capsys):
    assert main(["claims", "--only", "b", "--workers", "1", "--out", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["claims"][0]["verdict"] == "supported"


def test_an_unknown_claim_is_one_line_on_stderr_and_exit_2(tmp_path, capsys):
    assert main(["claims", "--only", "z", "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "unknown claim 'z'" in captured.err
    assert not any(tmp_path.iterdir())
