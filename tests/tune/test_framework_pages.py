"""The pages that tune a Lightning module, a Hugging Face Trainer and a plain loop with mixed
precision (docs/tune-lightning.md, tune-huggingface.md, tune-loop.md): each page's file, saved as
the page names it, trains as lrkit runs it (a run paused at a report and resumed later ends as an
unbroken run does, a run stopped while paused ends at once with `TrialStopped`), and its
`lrkit.tune` call runs as written, halving pausing runs on the way."""

from __future__ import annotations

import functools
import importlib
import math
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

import lrkit
from lrkit.train import Recipe
from lrkit.train._trial import FunctionRun, TrialStopped

DOCS = Path(__file__).parents[2] / "docs"
# page -> (the module its code is saved as, the framework it needs)
PAGES = {
    "tune-lightning.md": ("my_lightning", "lightning.pytorch"),
    "tune-huggingface.md": ("my_hf", "transformers"),
    "tune-loop.md": ("my_loop", "torch"),
}
STEPS, EVAL_EVERY = 45, 10  # reports at 10, 20, 30, 40 and the last step, 45

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*(val_dataloader|train_dataloader|LeafSpec|dataloader is not resumable|num_workers"
    "|val_check_interval).*",
)


@dataclass
class Page:
    text: str
    module: str
    train: object
    usage: str  # the page's Python call of lrkit.tune


@pytest.fixture(params=list(PAGES))
def page(request, tmp_path, monkeypatch):
    module, framework = PAGES[request.param]
    pytest.importorskip(framework, reason="install the integrations extra: pip install -e '.[integrations]'")
    text = (DOCS / request.param).read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) == 2, f"{request.param}: the file to save, then the lrkit.tune call"
    (tmp_path / f"{module}.py").write_text(blocks[0])
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small models on shared cores: several times faster (DESIGN.md)
    before = set(threading.enumerate())
    try:
        yield Page(text, module, importlib.import_module(module).train, blocks[1])
    finally:
        torch.set_num_threads(threads)
        sys.modules.pop(module, None)
        for thread in set(threading.enumerate()) - before:  # a stopped run unwinds in its thread
            if thread.name.startswith("lrkit "):
                thread.join(timeout=30)


def run(train, lr=3e-3, seed=0):
    return FunctionRun(train, "page", Recipe("adam", lr, seed=seed), STEPS, eval_every=EVAL_EVERY,
                       device=torch.device("cpu"))


def losses(result):
    return [(evaluation.step, evaluation.val_loss) for evaluation in result.evaluations]


def test_a_paused_run_ends_as_an_unbroken_run_and_a_stopped_one_ends_at_its_report(page):
    whole = run(page.train).advance(None)
    assert [step for step, _ in losses(whole)] == [10, 20, 30, 40, 45]
    assert all(math.isfinite(loss) for _, loss in losses(whole))
    assert len(whole.lr) == STEPS  # the scheduler stepped once per optimizer update

    escaped: list[BaseException] = []

    def recorded(trial):
        try:
            page.train(trial)
        except BaseException as error:
            escaped.append(error)
            raise

    paused, other = run(page.train), run(recorded, lr=1e-2, seed=1)
    assert losses(paused.advance(12)) == losses(whole)[:2]  # pauses at the first report from step 12
    # Another run trains meanwhile, drawing from the same global generators, and waits paused too.
    assert [step for step, _ in losses(other.advance(25))] == [10, 20, 30]
    resumed = paused.advance(None)
    assert losses(resumed) == losses(whole)
    assert resumed.lr == whole.lr

    other.stop()
    other._thread.join(timeout=30)
    assert not other._thread.is_alive()
    # The framework let lrkit's stop through unchanged, out of trainer.fit / trainer.train.
    assert len(escaped) == 1 and type(escaped[0]) is TrialStopped
    assert [step for step, _ in losses(other.result())] == [10, 20, 30]


def test_the_range_test_reads_a_loss_after_every_step(page):
    from lrkit.finder._function import find_lr_function

    finder = find_lr_function(page.train, page.module, "adam", steps=20)
    assert len(finder.lrs) >= 10 and list(finder.lrs) == sorted(finder.lrs)
    assert finder.suggestion is not None and math.isfinite(finder.suggestion)


def test_tune_as_the_page_calls_it(page, monkeypatch, capsys):
    match = re.search(r"lrkit\.tune\(train, steps=(\d+), budget=(\d+)\)", page.usage)
    assert match, page.usage
    steps, budget = int(match[1]), int(match[2])
    assert f"lrkit tune {page.module}.py:train --steps {steps} --budget {budget} " in page.text
    # One process: worker processes would each import the framework again (seconds apiece).
    monkeypatch.setattr(lrkit, "tune", functools.partial(lrkit.tune, workers=1))
    namespace: dict = {}
    exec(compile(page.usage, page.module, "exec"), namespace)
    result = namespace["result"]
    assert str(result.recipe) in capsys.readouterr().out

    final = result.final
    assert final.steps == steps and final.diverged_at is None
    assert final.evaluations[-1].step == steps and math.isfinite(final.evaluations[-1].val_loss)
    assert result.cost <= budget + 0.1
    # Halving paused every run at a rung and ended the runs it dropped there: what the page says.
    rungs = [steps // 27 * 3**k for k in range(3)]
    trunk_ends = {steps - int(decay) for trial in result.trials  # where a finalist turned into its decay
                  for decay in re.findall(r"^wsd\(.*decay=(\d+)\)$", trial.recipe.schedule or "")}
    assert len(result.trials) >= 8
    assert any(trial.steps < steps for trial in result.trials)
    assert {trial.steps for trial in result.trials if trial.steps < steps} <= {*rungs, *trunk_ends}
    assert all(finder.steps <= steps // 10 for finder in result.finders)
    told = " ".join(page.text.split())
    assert f"at most {steps // 10} steps each" in told and f"{rungs[0]}, {rungs[1]} and {rungs[2]}" in told
    assert [f"its last {steps - end} steps" in told for end in trunk_ends] == [True]
