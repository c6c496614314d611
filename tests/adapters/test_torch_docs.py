"""The Python examples in docs/torch-adapter.md run, in order, in one namespace (as in a notebook)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import matplotlib
import pytest
import torch

# Importing dynamo trips a deprecation inside torch itself.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")

DOC = Path(__file__).parents[2] / "docs" / "torch-adapter.md"


def test_every_example_runs(tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)  # the examples write ckpt.pt and resume.png
    # Dynamo's capture without inductor's code generation (about 30 s a compile on 2 CPU cores).
    monkeypatch.setattr(torch, "compile", functools.partial(torch.compile, backend="eager"))
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert len(blocks) == 6
    namespace: dict = {}
    try:
        for block in blocks:
            exec(compile(block, str(DOC), "exec"), namespace)
    finally:
        torch._dynamo.reset()
    assert (tmp_path / "resume.png").stat().st_size > 0
