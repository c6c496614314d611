"""`lrkit find` says when the loss never diverged, and then recommends no rate."""

from __future__ import annotations

from lrkit.cli import main


def test_a_test_that_never_diverged_says_so_and_recommends_nothing(capsys):
    assert main(["find", "digits-mlp", "--end-lr", "0.01", "--steps", "20"]) == 0
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]  # the bar leaves a line break
    assert len(lines) == 1 and lines[0].startswith("warning: the loss never diverged up to --end-lr 0.01")
    assert lines[0].endswith("raise --end-lr: lrkit find digits-mlp --optimizer adam --end-lr 0.1")
    assert "reached end-lr 0.01 without diverging" in " ".join(captured.out.split())  # the title wraps
    assert "recommended" not in captured.out and "next: lrkit train" not in captured.out


def test_a_test_that_diverged_recommends_a_rate_without_a_warning(capsys):
    assert main(["find", "digits-mlp", "--steps", "60"]) == 0
    captured = capsys.readouterr()
    assert "warning" not in captured.err
    assert "lrkit (recommended)" in captured.out and "next: lrkit train digits-mlp" in captured.out
