"""The values of lrkit's halving `Policy` that are measured, recomputed from the design tasks only.

- `tie`: how far two seeds of one configuration land apart. For every configuration of the
  oracle's grid whose mean loss is within 1.5x of its task's best, the relative difference of its
  two search seeds; `tie` is the 80th percentile of those (a gap that one pair of seeds in five
  exceeds is within what seeds explain).
- `single_run_scale`: budget 1 trains Adam with cosine at the range test's suggestion times this.
  On each design task, the best full-run rate of Adam with cosine (the grid's best, refined by a
  parabola through it and its neighbours in log-rate, log-loss) over the suggestion of tune's own
  range test on seed 0; the scale is the median ratio. Each of the range test's rules (lrkit's,
  steepest, minimum/10, valley) is scored the same way, leave one task out: the scale from the
  other tasks, the loss at the rate it gives read off the grid's Adam-cosine curve (log-linear
  between grid rates), over the oracle's search loss.

- `decay` (with `--schedules`): at the grid's best cosine rate of each optimizer on each design
  task, warmup-free WSD with a 20% and a 10% linear decay against cosine, seeds 0 and 1
  (176 runs, about 4 minutes on 2 cores).

    python benchmarks/derive_policy.py [--quick] [--schedules]  # needs the design tasks' oracle (oracle.py)
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import statistics
from concurrent.futures import ProcessPoolExecutor

import suite
import torch
from oracle import SUITE_CACHE, cache_key

from lrkit.finder import find_lr
from lrkit.tasks import load_task
from lrkit.train import Recipe
from lrkit.train import run as train_run
from lrkit.tune import make_plan
from lrkit.tune._plan import MULTIPLIERS

NEAR_BEST = 1.5
TIE_QUANTILE = 0.8


def seed_gaps(entry: dict) -> list[float]:
    """Relative gap between the two search seeds of each configuration near the task's best."""
    pairs: dict[tuple, list[float]] = {}
    for run in entry["grid"]:
        loss = math.inf if run["val_loss"] is None else run["val_loss"]
        pairs.setdefault((run["optimizer"], run["schedule"], run["lr"]), []).append(loss)
    finite = {key: losses for key, losses in pairs.items()
              if len(losses) == 2 and all(map(math.isfinite, losses))}
    best = min(statistics.mean(losses) for losses in finite.values())
    return [abs(a - b) / min(a, b) for a, b in finite.values()
            if statistics.mean((a, b)) <= NEAR_BEST * best and min(a, b) > 0]


def best_rate(entry: dict, optimizer: str = "adam", schedule: str = "cosine") -> float:
    """The grid's best rate for one optimizer and schedule, refined by a parabola in log space."""
    seeds = _by_rate(entry, optimizer, schedule)
    rates = sorted(seeds)
    losses = [statistics.mean(seeds[lr]) for lr in rates]
    k = min(range(len(rates)), key=losses.__getitem__)
    if 0 < k < len(rates) - 1 and all(math.isfinite(v) and v > 0 for v in losses[k - 1:k + 2]):
        y0, y1, y2 = (math.log(v) for v in losses[k - 1:k + 2])
        curvature = y0 - 2 * y1 + y2
        if curvature > 0:
            shift = max(-0.5, min(0.5, 0.5 * (y0 - y2) / curvature))  # in grid steps
            return rates[k] * (rates[k + 1] / rates[k]) ** shift
    return rates[k]


def suggestions(task_ref: str, optimizer: str = "adam") -> dict[str, float | None]:
    """Every rule's suggestion from tune's own range test (its length for this task), seed 0."""
    task = load_task(suite.resolve(task_ref))
    steps = make_plan(task.steps, 1.0).finder_steps
    return find_lr(task, optimizer, seed=0, steps=steps).suggestions


# Candidate rates as multiples of each optimizer's suggestion: the plan's and wider ones.
CANDIDATE_SETS = {
    "0.1 .. 3.16 (4)": MULTIPLIERS,
    "0.03 .. 3.16 (5)": (10**-1.5, *MULTIPLIERS),
    "0.01 .. 3.16 (6)": (0.01, 10**-1.5, *MULTIPLIERS),
    "0.01 .. 10 (7)": (0.01, 10**-1.5, *MULTIPLIERS, 10.0),
    "0.01, 0.1, 1 (3)": (0.01, 0.1, 1.0),
    "0.003 .. 3 by 10 (4)": (0.003, 0.03, 0.3, 3.0),
}


def coverage(entries: dict[str, dict], suggested: dict[str, dict[str, float]],
             schedules: tuple[str, ...] = ("cosine",)) -> None:
    """For each candidate set, the best loss any candidate reaches with `schedules`, read off the
    grid, over the oracle's: what halving could at best find, whatever its decisions."""
    print(f"\ncandidate sets, the best candidate's loss (grid, {' or '.join(schedules)}) / the oracle's:")
    for label, multipliers in CANDIDATE_SETS.items():
        ratios = []
        for name, entry in entries.items():
            losses = [curve_loss(entry, rate * m, optimizer, schedule)
                      for optimizer, rate in suggested[name].items()
                      for m in multipliers for schedule in schedules]
            ratios.append(min(losses) / entry["best"]["search_val_loss"])
        worst = max(zip(ratios, entries))
        print(f"  {label:22s} {_scores(ratios)}; worst {worst[1]}")


def curve_loss(entry: dict, lr: float, optimizer: str = "adam", schedule: str = "cosine") -> float:
    """The grid's mean loss for one optimizer and schedule at `lr`, log-linear between grid rates
    (the edge rate's loss beyond the grid)."""
    seeds = _by_rate(entry, optimizer, schedule)
    rates = sorted(seeds)
    losses = [statistics.mean(seeds[r]) for r in rates]
    if lr <= rates[0] or lr >= rates[-1]:
        return losses[0] if lr <= rates[0] else losses[-1]
    k = max(i for i in range(len(rates)) if rates[i] <= lr)
    if not (math.isfinite(losses[k]) and math.isfinite(losses[k + 1])):
        return math.inf
    t = math.log(lr / rates[k]) / math.log(rates[k + 1] / rates[k])
    return math.exp((1 - t) * math.log(losses[k]) + t * math.log(losses[k + 1]))


def leave_one_out(entries: dict[str, dict], rates: dict[str, float], best: dict[str, float]) -> list[float]:
    """Each task's loss ratio when its scale is the median best/suggested of the other tasks."""
    ratios = []
    for name, suggested in rates.items():
        others = sorted(math.log(best[o] / rates[o]) for o in rates if o != name)
        lr = suggested * math.exp(statistics.median(others))
        ratios.append(curve_loss(entries[name], lr) / entries[name]["best"]["search_val_loss"])
    return ratios


def _capped(entries: dict[str, dict], rates: dict[str, float], scale: float) -> list[float]:
    """Each task's loss ratio at `scale` x its suggestion, a diverged one at its grid's worst finite loss."""
    out = []
    for name, suggested in rates.items():
        entry = entries[name]
        worst = max(_loss(run) for run in entry["grid"] if math.isfinite(_loss(run)))
        ratio = curve_loss(entry, suggested * scale) / entry["best"]["search_val_loss"]
        out.append(ratio if math.isfinite(ratio) else worst / entry["best"]["search_val_loss"])
    return out


def _by_rate(entry: dict, optimizer: str, schedule: str) -> dict[float, list[float]]:
    """The grid's losses of one optimizer and schedule, by rate (one per search seed)."""
    seeds: dict[float, list[float]] = {}
    for grid_run in entry["grid"]:
        if (grid_run["optimizer"], grid_run["schedule"]) == (optimizer, schedule):
            seeds.setdefault(grid_run["lr"], []).append(_loss(grid_run))
    return seeds


def _loss(run: dict) -> float:
    return math.inf if run["val_loss"] is None else run["val_loss"]


def _scores(ratios: list[float]) -> str:
    """Clipped geometric mean over the tasks where the rate trains (a diverged one counts apart)."""
    finite = [max(1.0, r) for r in ratios if math.isfinite(r)]
    return (f"clipped geomean {statistics.geometric_mean(finite):.3f}, worst finite {max(finite):.2f}, "
            f"within 5% {sum(r <= 1.05 for r in ratios)}, diverged {len(ratios) - len(finite)}")


def train(task_ref: str, optimizer: str, lr: float, schedule: str, seed: int) -> float:
    """The final validation loss of one run; `schedule` is "cosine" or "wsd<percent>" (no warmup)."""
    torch.set_num_threads(1)
    task = load_task(suite.resolve(task_ref))
    if schedule.startswith("wsd"):
        decay = max(1, task.steps * int(schedule[3:]) // 100)
        schedule = f"wsd(lr={lr!r}, steps={task.steps}, warmup=0, decay={decay})"
    return train_run(task, Recipe(optimizer, lr, schedule, seed=seed)).val_loss


def compare_schedules(refs: list[str], entries: dict[str, dict]) -> None:
    """WSD with 20% and 10% decay against cosine, at cosine's best grid rate per optimizer."""
    jobs = [(ref, optimizer, _grid_best(entries[cache_key(ref)], optimizer), schedule, seed)
            for ref in refs for optimizer in ("adam", "momentum")
            for schedule in ("cosine", "wsd20", "wsd10") for seed in (0, 1)]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        losses = dict(zip(jobs, pool.map(train, *zip(*jobs))))
    mean = {}
    for (ref, optimizer, _, schedule, _), value in losses.items():
        mean.setdefault((ref, optimizer, schedule), []).append(value)
    print("\nwarmup-free WSD / cosine, at cosine's best grid rate (mean of seeds 0 and 1):")
    for schedule in ("wsd20", "wsd10"):
        ratios = [statistics.mean(mean[ref, o, schedule]) / statistics.mean(mean[ref, o, "cosine"])
                  for ref in refs for o in ("adam", "momentum")]
        ratios = [r for r in ratios if math.isfinite(r)]
        worse, better = sum(r > 1.05 for r in ratios), sum(r < 0.95 for r in ratios)
        print(f"  {schedule}: geomean {statistics.geometric_mean(ratios):.3f}, median "
              f"{statistics.median(ratios):.3f}, worse by over 5% {worse}, better by over 5% {better} "
              f"of {len(ratios)}")


def _grid_best(entry: dict, optimizer: str) -> float:
    seeds = _by_rate(entry, optimizer, "cosine")
    return min(seeds, key=lambda lr: statistics.mean(seeds[lr]))


def main(quick: bool, schedules: bool) -> None:
    torch.set_num_threads(1)
    cache = json.loads(SUITE_CACHE.read_text())
    refs = [f"{suite.PREFIX}{name}" for name in suite.names("design", quick)]
    missing = [cache_key(ref) for ref in refs if cache_key(ref) not in cache]
    if missing:
        raise SystemExit(f"no oracle for {', '.join(missing)}: run oracle.py --suite --split design first")
    gaps, ratios = [], []
    entries = {cache_key(ref): cache[cache_key(ref)] for ref in refs}
    best = {name: best_rate(entry) for name, entry in entries.items()}
    by_rule: dict[str, dict[str, float]] = {}
    searched: dict[str, dict[str, float]] = {}
    for ref in refs:
        name = cache_key(ref)
        gaps += seed_gaps(entries[name])
        found = suggestions(ref)
        momentum = suggestions(ref, "momentum")["lrkit"]
        searched[name] = {o: r for o, r in (("adam", found["lrkit"]), ("momentum", momentum)) if r}
        for rule, value in found.items():
            if value:
                by_rule.setdefault(rule, {})[name] = value
        suggested = found["lrkit"]
        ratio = None if not suggested else best[name] / suggested
        if ratio:
            ratios.append(ratio)
        print(f"{name:26s} adam+cosine best {best[name]:9.3g}  suggestion {suggested or math.nan:9.3g}  "
              f"ratio {ratio or math.nan:7.3g}")
    print("\nbudget 1 by rule, leave one task out (loss at the scaled rate / the oracle's search loss):")
    for rule, rates in by_rule.items():
        plain = [curve_loss(entries[name], lr) / entries[name]["best"]["search_val_loss"]
                 for name, lr in rates.items()]
        print(f"  {rule:14s} {len(rates):2d} tasks, as suggested: {_scores(plain)}")
        scaled = leave_one_out(entries, rates, best)
        print(f"  {rule:14s} {len(rates):2d} tasks, scaled:       {_scores(scaled)}")
    print("\nbudget 1 at a fixed scale of lrkit's suggestion (a diverged run counts as the worst grid run):")
    for scale in (1.0, 0.5, 10**-0.5, 0.2, 0.1):
        print(f"  x{scale:<6.3g} {_scores(_capped(entries, by_rule['lrkit'], scale))}")
    coverage(entries, searched)
    coverage(entries, searched, ("cosine", "constant"))
    quantiles = statistics.quantiles(gaps, n=10)
    print(f"\nseed gaps of {len(gaps)} configurations within {NEAR_BEST}x of their task's best: "
          f"median {statistics.median(gaps):.3f}, 80th {quantiles[7]:.3f}, 90th {quantiles[8]:.3f}")
    print(f"tie = {quantiles[round(TIE_QUANTILE * 10) - 1]:.3f}")
    logs = sorted(math.log10(r) for r in ratios)
    low, _, high = statistics.quantiles(logs, n=4)
    print(f"best / suggestion over {len(ratios)} tasks: median {10 ** statistics.median(logs):.3f}, "
          f"quartiles {10 ** low:.3f} .. {10 ** high:.3f}")
    print(f"single_run_scale = {10 ** statistics.median(logs):.3f}")
    if schedules:
        compare_schedules(refs, entries)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the quick design subset only")
    parser.add_argument("--schedules", action="store_true", help="also train WSD against cosine (176 runs)")
    arguments = parser.parse_args()
    main(arguments.quick, arguments.schedules)
