"""Every row of the migration table in docs/torch-adapter.md, run: torch's scheduler and lrkit's spec
(as a schedule and through LRSchedule) give the same rate at every step, so the table cannot lie."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler

from lrkit.adapters.torch import LRSchedule
from lrkit.schedules import parse

DOC = Path(__file__).parents[2] / "docs" / "torch-adapter.md"
STEPS = 200


def _rows() -> list[tuple[str, str]]:
    """(torch expression, lrkit spec) from the table between the migration-table markers."""
    text = DOC.read_text()
    table = text[text.index("<!-- migration-table:start -->"):text.index("<!-- migration-table:end -->")]
    rows = []
    for line in table.splitlines():
        cells = re.findall(r"\|\s*`([^|]+?)`\s*(?=\|)", line)
        if len(cells) >= 2:
            rows.append((cells[0], cells[1]))
    return rows


def _rates(optimizer: torch.optim.Optimizer, scheduler: lr_scheduler.LRScheduler) -> np.ndarray:
    rates = []
    for _ in range(STEPS):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(rates)


def _optimizer() -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1, momentum=0.9)


def test_the_table_is_read():
    assert len(_rows()) >= 11


@pytest.mark.parametrize(("torch_expression", "spec"), _rows(), ids=[spec for _, spec in _rows()])
def test_each_row_gives_torchs_rates(torch_expression, spec):
    optimizer = _optimizer()
    names = {name: getattr(lr_scheduler, name) for name in dir(lr_scheduler) if name[0].isupper()}
    expected = _rates(optimizer, eval(torch_expression, names, {"opt": optimizer}))
    np.testing.assert_allclose(parse(spec).values(STEPS), expected, rtol=1e-9, atol=1e-15)
    adapted = _optimizer()
    np.testing.assert_allclose(_rates(adapted, LRSchedule(adapted, spec)), expected, rtol=1e-9, atol=1e-15)
