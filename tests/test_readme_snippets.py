"""Every ```python snippet of README.md and docs/*.md runs as pasted: each is saved as a script
of its own and run in a fresh Python process, without an `if __name__ == "__main__":` guard, as a
reader would paste it. A snippet that needs the reader's own objects (`model`, `loader`) says so
with an HTML comment on the line above its fence: `<!-- not run: needs your model -->`. A snippet
written as a session (`>>>`) runs as a doctest. The pages in SLOW run real work of minutes and
only with LRKIT_SLOW_SNIPPETS=1; tests/test_workers.py runs the same calls (tune, sweep and
claims with workers=2, unguarded) on small work every time."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
# Pages whose snippets are run by a test of their own, in order in one namespace, as written.
RUN_ELSEWHERE = {"torch-adapter.md": "tests/adapters/test_torch_docs.py",
                 **dict.fromkeys(("tune-lightning.md", "tune-huggingface.md", "tune-loop.md"),
                                 "tests/tune/test_framework_pages.py")}  # saved as the file they import
SKIP = re.compile(r"<!-- not run: (.+) -->")
# Measured on 2 cores shared with other jobs (load 10): search.md 337 s, claims.md 105 s.
SLOW = {"search.md": "a sha sweep of digits-cnn", "claims.md": "claims b and c"}
RUN_SLOW = os.environ.get("LRKIT_SLOW_SNIPPETS") == "1"


def _snippets() -> list:
    params = []
    for doc in DOCS:
        if doc.name in RUN_ELSEWHERE:
            continue
        lines = doc.read_text().splitlines()
        for start, line in enumerate(lines):
            if line.strip() != "```python":
                continue
            end = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == "```")
            code = "\n".join(lines[start + 1:end]) + "\n"
            skip = SKIP.search(lines[start - 1]) if start else None
            marks = [pytest.mark.skip(reason=skip.group(1))] if skip else []
            if doc.name in SLOW and not RUN_SLOW:
                marks.append(pytest.mark.skip(reason=f"{SLOW[doc.name]}: minutes (LRKIT_SLOW_SNIPPETS=1)"))
            params.append(pytest.param(code, id=f"{doc.relative_to(ROOT)}:{start + 1}", marks=marks))
    return params


@pytest.mark.parametrize("code", _snippets())
def test_the_snippet_runs_as_pasted(code: str, tmp_path: Path) -> None:
    if code.startswith(">>>"):
        (tmp_path / "snippet.txt").write_text(code)
        command = [sys.executable, "-m", "doctest", "snippet.txt"]
    else:
        (tmp_path / "snippet.py").write_text(code)
        command = [sys.executable, "snippet.py"]
    env = {**os.environ, "MPLBACKEND": "Agg"}  # snippets that plot save files; no display here
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    assert "Traceback" not in done.stderr
