"""A sweep's answer in words: the winner, the evidence it won on (its mean validation loss over
its seeds), how it beat the runner-up, and what the search spent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._format import loss, rate, seeds

if TYPE_CHECKING:
    from ._result import ConfigRecord, SweepResult


def summarize(result: SweepResult) -> list[str]:
    """Sentences that hold for the result's numbers, whatever the strategy and its size."""
    configs = result.configs()
    winner, runner_up = result.winner, result.runner_up
    if winner is None:
        return [f"No winner: no configuration ran in full without diverging. {_spent(result, configs)}"]
    lines = [f"Winner: {describe(winner)}: {_evidence(winner)}{_metric(winner)}, "
             f"trained in full ({winner.steps} steps)."]
    if runner_up is None:
        lines.append("No other configuration ran in full on every seed: the search stopped the others "
                     "earlier, or they diverged.")
    else:
        lines.append(f"Runner-up: {describe(runner_up)}: {_evidence(runner_up)}. "
                     f"{_margin(winner, runner_up)}")
    lines.append(_spent(result, configs))
    return lines


def describe(config: ConfigRecord) -> str:
    """"adam at lr 0.0552 with schedule cosine" (and its plateau control, if any)."""
    p = config.params
    plateau = f" and {p['plateau']}" if p["plateau"] else ""
    return f"{p['optimizer']} at lr {rate(p['lr'])} with schedule {p['schedule']}{plateau}"


def _evidence(config: ConfigRecord) -> str:
    if len(config.seeds) == 1:
        return f"validation loss {loss(config.val_loss)} on {seeds(config.seeds)}"
    each = ", ".join(loss(value) for value in config.losses)
    return f"mean validation loss {loss(config.val_loss)} over {seeds(config.seeds)} ({each})"


def _metric(config: ConfigRecord) -> str:
    if config.val_metric is None:
        return ""
    name = config.trials[0].run.metric_name or "metric"
    return f", {'mean ' if len(config.seeds) > 1 else ''}{name} {loss(config.val_metric)}"


def _margin(winner: ConfigRecord, runner_up: ConfigRecord) -> str:
    """How the winner beat the runner-up: on more seeds, or by a lower mean on the same seeds."""
    if len(runner_up.seeds) < len(winner.seeds):
        return (f"The winner was trained on {len(winner.seeds)} seeds and the runner-up on "
                f"{len(runner_up.seeds)}: configurations confirmed on more seeds rank first, so one lucky "
                f"seed cannot name the winner.{_shared(winner, runner_up)}")
    lead = 1 - winner.val_loss / runner_up.val_loss if runner_up.val_loss else 0.0
    text = f"The winner's mean is {100 * lead:.1f}% lower"
    if len(winner.seeds) > 1 and winner.seeds == runner_up.seeds:
        ahead = sum(mine < theirs for mine, theirs in zip(winner.losses, runner_up.losses))
        text += (f", lower on each of the {ahead} seeds" if ahead == len(winner.seeds)
                 else f", lower on {ahead} of the {len(winner.seeds)} seeds")
    return text + "."


def _shared(winner: ConfigRecord, runner_up: ConfigRecord) -> str:
    """The two on the seeds both ran, when there are any."""
    mine = dict(zip(winner.seeds, winner.losses))
    pairs = [(seed, mine[seed], theirs) for seed, theirs in zip(runner_up.seeds, runner_up.losses)
             if seed in mine]
    return "".join(f" On seed {seed} the winner ended at {loss(a)} and the runner-up at {loss(b)}."
                   for seed, a, b in pairs)


def _spent(result: SweepResult, configs: tuple[ConfigRecord, ...]) -> str:
    stopped = sum(config.state == "pruned" for config in configs)
    diverged = sum(config.state == "diverged" for config in configs)
    ends = [*([f"the search stopped {stopped} of them early"] if stopped else []),
            *([f"{diverged} diverged"] if diverged else [])]
    return (f"The {result.strategy} sweep ran {len(result.trials)} trials of {len(configs)} configurations "
            f"for {result.cost:.2f} full runs" + (f"; {' and '.join(ends)}." if ends else "."))
