"""`lrkit bench` runs the checkout's suite: arguments passed on, task files made absolute (the
suite runs in benchmarks/), and a clear error outside a checkout."""

from __future__ import annotations

import json
import subprocess
import sys

from lrkit.cli import main


def test_bench_runs_the_checkouts_suite_with_task_files_made_absolute(tmp_path, monkeypatch):
    suite = tmp_path / "benchmarks" / "bench_tune.py"
    suite.parent.mkdir()
    # A stand-in suite that records the arguments it was started with.
    suite.write_text("import json, pathlib, sys\n"
                     "pathlib.Path('argv.json').write_text(json.dumps(sys.argv[1:]))\n")
    monkeypatch.chdir(tmp_path)
    argv = ["bench", "--checkout", str(tmp_path), "--held-out", "--budgets", "2", "my_task.py:make", "wine"]
    assert main(argv) == 0
    passed = json.loads((suite.parent / "argv.json").read_text())
    assert passed == ["--budgets", "2", "--held-out", f"{tmp_path / 'my_task.py'}:make", "wine"]


def test_bench_outside_a_checkout_is_one_line_and_exit_code_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lrkit", "bench", "--checkout", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "bench_tune.py not found" in result.stderr and len(result.stderr.strip().splitlines()) == 1
