"""(b) On a quadratic, plain gradient descent diverges above 2/L and is fastest near 2/(L+mu).

The built-in `quadratic` task with curvatures from mu=2.5 to L=10 (condition number 4, so that
2/(L+mu) = 0.16 lies well below 2/L = 0.2) is trained with plain SGD (full batch: the objective
has no noise) at rates from 0.5 to 1.5 times 2/L in steps of 0.05 x 2/L. The speed of a run is
its loss's shrink factor per step, averaged geometrically until the loss is 1e-10 of where it
started (or until the run ends); theory predicts max(|1 - lr mu|, |1 - lr L|)^2.
"""

from __future__ import annotations

import math

from ..train import Recipe
from ._claim import Claim, Judgement, join, verdict
from ._jobs import Job, Runs
from ._result import Mark, Panel, Series

MU, L = 2.5, 10.0
FRACTIONS = tuple(round(0.5 + 0.05 * k, 2) for k in range(21))
STEP = 0.05 * 2 / L  # the grid's spacing in rate
TARGET = 1e-10


def _jobs() -> dict[float, Job]:
    return {f: Job("quadratic", Recipe("sgd", f * 2 / L), options=(("L", L), ("mu", MU)))
            for f in FRACTIONS}


def plan() -> list[Job]:
    return list(_jobs().values())


def shrink_per_step(losses: tuple[float, ...]) -> float:
    """Geometric mean of loss[t+1]/loss[t] until the loss first falls to TARGET x its start."""
    start = losses[0]
    end = next((t for t, value in enumerate(losses) if value <= TARGET * start), len(losses) - 1)
    return (losses[end] / start) ** (1 / end)


def judge(runs: Runs) -> Judgement:
    results = {f: runs[job] for f, job in _jobs().items()}
    rates = {f: f * 2 / L for f in FRACTIONS}
    stable = [rates[f] for f in FRACTIONS if not results[f].diverged]
    diverged = [rates[f] for f in FRACTIONS if results[f].diverged]
    first_diverged = min(diverged, default=math.inf)
    shrink = {rates[f]: shrink_per_step(results[f].train_loss) for f in FRACTIONS if not results[f].diverged}
    fastest = min(shrink, key=shrink.__getitem__)
    threshold_ok = max(stable, default=0.0) < first_diverged and abs(first_diverged - 2 / L) <= STEP + 1e-12
    fastest_ok = abs(fastest - 2 / (L + MU)) <= STEP + 1e-12
    where = (f"at every rate from {first_diverged:.3g} up and at none below it" if threshold_ok else
             f"at {join(f'{r:.3g}' for r in diverged) if diverged else 'no rate'}")
    finding = (
        f"Plain gradient descent on a quadratic with curvatures {MU:g} to {L:g} diverged {where} (theory: "
        f"above 2/L = {2 / L:.3g}). The loss shrank fastest at lr {fastest:.3g}, to {shrink[fastest]:.2f} of "
        f"itself per step (theory: fastest at 2/(L+mu) = {2 / (L + MU):.3g}); above that rate the steepest "
        "direction overshoots back and forth, which slows the whole descent."
    )
    predicted = [max(abs(1 - rates[f] * MU), abs(1 - rates[f] * L)) ** 2 for f in FRACTIONS]
    panel = Panel(
        "gradient descent on a quadratic (mu=2.5, L=10)", "learning rate", "loss shrink factor per step",
        (Series("measured", list(shrink), list(shrink.values())),
         Series("theory max(|1-lr mu|, |1-lr L|)^2", list(rates.values()), predicted)),
        (Mark("2/L (diverges above)", 2 / L), Mark("2/(L+mu) (fastest)", 2 / (L + MU))),
        y_log=True,
    )
    return Judgement(
        verdict([threshold_ok, fastest_ok]), finding,
        {"L": L, "mu": MU, "two_over_L": 2 / L, "two_over_L_plus_mu": 2 / (L + MU), "grid_step": STEP,
         "largest_stable_lr": max(stable, default=None), "smallest_diverged_lr": min(diverged, default=None),
         "fastest_lr": fastest, "shrink_per_step": {f"{lr:.4g}": v for lr, v in shrink.items()}},
        (panel,),
    )


CLAIM = Claim(
    "b",
    "Plain gradient descent on a quadratic diverges above lr 2/L and is fastest near 2/(L+mu).",
    "Supported when the smallest rate that diverged is within one grid step (0.05 x 2/L) of 2/L with "
    "no divergence below it, and the rate whose loss shrank fastest per step is within one grid step "
    "of 2/(L+mu); refuted when neither holds, depends when one does.",
    plan,
    judge,
)
