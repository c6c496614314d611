"""(d) Adaptive optimizers beat a tuned fixed rate.

On each fast built-in task, Adam and SGD with momentum 0.9 each at their best constant rate (a
half-decade grid: 1e-4..0.1 for Adam, 1e-3..1 for SGD, two seeds each), compared by mean final
validation loss.
"""

from __future__ import annotations

from ._claim import (
    ADAM_RATES,
    MOMENTUM_RATES,
    TASKS,
    Claim,
    Judgement,
    argmin,
    grid,
    grid_jobs,
    grid_losses,
    join,
    verdict,
)
from ._claim import rate as fmt
from ._jobs import Job, Runs
from ._result import Panel, Series

MARGIN = 0.05  # a win needs a loss at least 5% lower
NEAR = 1.25  # a rate "works" when its loss is within 25% of the optimizer's best
OPTIMIZERS = {"adam": ADAM_RATES, "momentum": MOMENTUM_RATES}


def plan() -> list[Job]:
    return grid_jobs(grid(task, name, rates) for task in TASKS for name, rates in OPTIMIZERS.items())


def outcome(adam: float, sgd: float) -> str:
    """Which optimizer won at their best rates: "adam", "momentum" or "tie" (within MARGIN)."""
    if adam < (1 - MARGIN) * sgd:
        return "adam"
    return "momentum" if sgd < (1 - MARGIN) * adam else "tie"


def judge(runs: Runs) -> Judgement:
    tasks, panels = {}, []
    for task in TASKS:
        losses = {name: grid_losses(runs, grid(task, name, rates)) for name, rates in OPTIMIZERS.items()}
        m = tasks[task] = {}
        for name, values in losses.items():
            best = argmin(values)
            m.update({f"{name}_lr": best, f"{name}_loss": values[best],
                      f"{name}_rates_near_best": sum(v <= NEAR * values[best] for v in values.values())})
        m["winner"] = outcome(m["adam_loss"], m["momentum_loss"])
        panels.append(Panel(
            task, "learning rate", "final validation loss",
            tuple(Series(name, list(values), list(values.values())) for name, values in losses.items()),
            x_log=True, y_log=True,
        ))
    winners = {label: [t for t, m in tasks.items() if m["winner"] == result] for result, label in
               (("adam", "Adam won"), ("momentum", "SGD with momentum won"),
                ("tie", f"they tied within {MARGIN:.0%}"))}
    detail = join(f"{t} {m['adam_loss']:.3g} (Adam at {fmt(m['adam_lr'])}) vs {m['momentum_loss']:.3g} "
                  f"(SGD at {fmt(m['momentum_lr'])})" for t, m in tasks.items())
    near = {name: sum(m[f"{name}_rates_near_best"] for m in tasks.values()) for name in OPTIMIZERS}
    outcomes = "; ".join(f"{label} on {join(names)}" for label, names in winners.items() if names)
    finding = (
        f"With each optimizer's rate tuned, {outcomes}. Validation losses: {detail}. Grid rates within "
        f"{NEAR - 1:.0%} of the optimizer's best, summed over the tasks: Adam {near['adam']}, SGD "
        f"{near['momentum']} (of {len(ADAM_RATES) * len(TASKS)} each)."
    )
    return Judgement(verdict([m["winner"] == "adam" for m in tasks.values()]), finding, {"tasks": tasks},
                     tuple(panels))


CLAIM = Claim(
    "d",
    "Adaptive optimizers (Adam) beat SGD with a tuned fixed rate.",
    "On each task, Adam wins when its best mean final validation loss (2 seeds, half-decade grid) is "
    f"at least {MARGIN:.0%} below that of SGD with momentum at its own best rate. Supported when Adam "
    "wins on every task, refuted when on none, depends otherwise.",
    plan,
    judge,
)
