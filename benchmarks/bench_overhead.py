"""Overhead of computing a rate: lrkit's closed form per call, and LRSchedule.step() beside torch's
own scheduler's step() on the same kind of optimizer, measured side by side in one process.

    python benchmarks/bench_overhead.py [--quick]

Targets (issue 2): closed form <= 1 us per call; the adapter no slower than torch's own
(issue 18: at or below it for 1 and 8 param groups, every schedule).

The two schedulers are timed as a training loop runs them: each `scheduler.step()` follows an
`optimizer.step()` (not timed), so update counting sees the update it counts. Each step is timed on
its own, torch's and lrkit's alternately in one loop, so both meet the same load on a shared
machine, and the median step is kept: a step the OS preempted is an outlier, not the cost.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable

import torch
from rich.console import Console
from rich.table import Table
from torch.optim import lr_scheduler as torch_sched

from lrkit.adapters.torch import LRSchedule
from lrkit.schedules import parse

HORIZON = 1_000_000  # long enough that no scheduler runs past its end while being timed

# (lrkit spec, factory of torch's equivalent scheduler on an optimizer with base rate 0.1)
PAIRS: dict[str, tuple[str, Callable | None]] = {
    "constant": ("constant(0.1)", None),
    "step": ("step(0.1, step_size=1000, gamma=0.5)", lambda o: torch_sched.StepLR(o, 1000, 0.5)),
    "multistep": (
        "multistep(0.1, milestones=[1000, 5000, 9000])",
        lambda o: torch_sched.MultiStepLR(o, [1000, 5000, 9000]),
    ),
    "exponential": ("exponential(0.1, gamma=0.99999)", lambda o: torch_sched.ExponentialLR(o, 0.99999)),
    "inverse_time": ("inverse_time(0.1, decay_rate=0.5, decay_steps=1000)", None),
    "polynomial": (
        f"polynomial(0.1, steps={HORIZON}, power=2.0)",
        lambda o: torch_sched.PolynomialLR(o, total_iters=HORIZON, power=2.0),
    ),
    "linear": (
        f"linear(0.01, 0.1, steps={HORIZON})",
        lambda o: torch_sched.LinearLR(o, start_factor=0.1, total_iters=HORIZON),
    ),
    "cosine": (f"cosine(0.1, steps={HORIZON})", lambda o: torch_sched.CosineAnnealingLR(o, HORIZON)),
    "cosine_restarts": (
        "cosine_restarts(0.1, period=1000, mult=2)",
        lambda o: torch_sched.CosineAnnealingWarmRestarts(o, 1000, 2),
    ),
    "cyclic": (
        "cyclic(0.01, 0.1, up=500)",
        lambda o: torch_sched.CyclicLR(o, 0.01, 0.1, 500, cycle_momentum=False),
    ),
    "one_cycle": (
        f"one_cycle(0.1, steps={HORIZON})",
        lambda o: torch_sched.OneCycleLR(o, 0.1, total_steps=HORIZON, cycle_momentum=False),
    ),
    "warmup >> cosine": (
        f"warmup(1000, start=0.1) >> cosine(0.1, steps={HORIZON})",
        lambda o: torch_sched.SequentialLR(
            o,
            [torch_sched.LinearLR(o, 0.1, total_iters=1000), torch_sched.CosineAnnealingLR(o, HORIZON)],
            milestones=[1000],
        ),
    ),
    "wsd": (f"wsd(0.1, steps={HORIZON}, warmup=1000, decay=100000)", None),
    "inverse_sqrt": ("inverse_sqrt(0.1, warmup=1000)", None),
    "piecewise": ("piecewise(values=[0.1, 0.01, 0.001], boundaries=[1000, 5000])", None),
}


def _best_of(repeats: int, run: Callable[[], float]) -> float:
    """Median of `repeats` timings (each already per call, in microseconds)."""
    return statistics.median(run() for _ in range(repeats))


def closed_form_us(spec: str, calls: int) -> Callable[[], float]:
    schedule = parse(spec)
    steps = range(0, calls * 7, 7)

    def run() -> float:
        start = time.perf_counter()
        for step in steps:
            schedule(step)
        return (time.perf_counter() - start) / calls * 1e6

    return run


def values_ns_per_step(spec: str, n: int) -> Callable[[], float]:
    schedule = parse(spec)

    def run() -> float:
        start = time.perf_counter()
        schedule.values(n)
        return (time.perf_counter() - start) / n * 1e9

    return run


def _optimizer(groups: int, tensor: bool) -> torch.optim.Optimizer:
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(groups)]
    return torch.optim.SGD(params, lr=torch.tensor(0.1) if tensor else 0.1, momentum=0.9)


def paired_step_us(makers: list[Callable], groups: int, steps: int, tensor: bool = False) -> list[float]:
    """The median cost of `scheduler.step()` (microseconds) for each factory in `makers`, each on
    its own optimizer (its rate a tensor with `tensor`), stepped in turn in one loop after an
    untimed `optimizer.step()`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's SequentialLR flags its own step(0)
        pairs = []
        for make in makers:
            optimizer = _optimizer(groups, tensor)
            pairs.append((optimizer, make(optimizer)))
        samples: list[list[int]] = [[] for _ in makers]
        clock = time.perf_counter_ns
        for _ in range(steps):
            for (optimizer, scheduler), sample in zip(pairs, samples):
                optimizer.step()
                start = clock()
                scheduler.step()
                sample.append(clock() - start)
    return [statistics.median(sample) / 1000 for sample in samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    repeats, calls, steps = (3, 2_000, 500) if args.quick else (7, 50_000, 5_000)
    console = Console(width=max(Console().width, 100))

    table = Table(title="closed form: microseconds per s(step) call; values(n) per step")
    for column in ("schedule", "s(step) us", "values(100k) ns/step", "target <= 1 us"):
        table.add_column(column, justify="left" if column == "schedule" else "right")
    for name, (spec, _) in PAIRS.items():
        per_call = _best_of(repeats, closed_form_us(spec, calls))
        vectorised = _best_of(repeats, values_ns_per_step(spec, 100_000))
        table.add_row(name, f"{per_call:.3f}", f"{vectorised:.1f}", "yes" if per_call <= 1.0 else "NO")
    console.print(table)

    compared = [(name, spec, make) for name, (spec, make) in PAIRS.items() if make is not None]
    console.print(step_table(
        "scheduler.step() in a training loop, microseconds (median step): torch's own vs LRSchedule "
        "with count='calls' and with count='updates', same SGD optimizer",
        compared, repeats, steps, tensor=False,
    ))
    console.print(step_table(
        "the same with the rate a tensor (SGD(lr=torch.tensor(0.1)), as for a compiled optimizer step)",
        [row for row in compared if row[0] in ("step", "cosine")], repeats, steps, tensor=True,
    ))


def step_table(title: str, compared: list[tuple[str, str, Callable]], repeats: int, steps: int,
               tensor: bool) -> Table:
    """torch's scheduler and LRSchedule (both counts) side by side, for 1 and 8 param groups."""
    table = Table(title=title)
    columns = ("schedule", "groups", "torch", "lrkit", "lrkit / torch", "updates", "updates / torch")
    for column in columns:
        table.add_column(column, justify="left" if column == "schedule" else "right")
    for name, spec, torch_factory in compared:
        makers = [
            torch_factory,
            lambda o, s=spec: LRSchedule(o, s),
            lambda o, s=spec: LRSchedule(o, s, count="updates"),
        ]
        for groups in (1, 8):
            runs = [paired_step_us(makers, groups, steps, tensor) for _ in range(repeats)]
            torch_us, calls_us, updates_us = (statistics.median(run[i] for run in runs) for i in range(3))
            table.add_row(
                name, str(groups), f"{torch_us:.2f}", f"{calls_us:.2f}", f"{calls_us / torch_us:.2f}",
                f"{updates_us:.2f}", f"{updates_us / torch_us:.2f}",
            )
    return table


if __name__ == "__main__":
    main()
