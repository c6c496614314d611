"""The learning-rate effect table: every rate tried, how fast it reached the target loss, where it
ended and its verdict — the measured form of "high: fast but poor, medium: good, low: slow"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._format import loss, rate
from ._html import escape, table

if TYPE_CHECKING:
    from ..train import RunResult
    from ..tune import RateEffect
    from ._sweep_effects import ConfigEffect

VERDICT_WORDS = {
    "winner": "the winner",
    "best": "best of its group",
    "stopped": "stopped (not compared)",
    "good": "good",
    "slow": "slow (too low)",
    "oscillating": "oscillating (too high)",
    "overfitting": "overfitting (too high)",
    "diverged": "diverged (too high)",
}


@dataclass(frozen=True)
class EffectRow:
    """One rate's row: its effect and whether it is the recommended run."""

    effect: RateEffect
    winner: bool

    def cells(self) -> list[str]:
        """The row as the table shows it (HTML-escaped)."""
        e = self.effect
        reached = str(e.reached_at) if e.reached_at is not None else f"not by {e.steps}"
        return [
            rate(e.lr) + _star(self.winner), escape(f"{e.optimizer} · {e.shape}"),
            _verdict(e.verdict, e.detail), str(e.steps), loss(e.target), reached, loss(e.val_loss),
            loss(e.val_metric),
        ]


def effect_rows(effects: tuple[RateEffect, ...], final: RunResult | None) -> list[EffectRow]:
    """The effects in their order (the winner's group first, by rate), the recommended run marked."""
    return [EffectRow(effect, final is not None and _is_final(effect, final)) for effect in effects]


def effects_table(rows: list[EffectRow], metric_name: str | None) -> str:
    """The effect table as HTML."""
    headers = ["lr", "optimizer · schedule", "verdict: what happened", "steps run", "target loss",
               "steps to target", "val loss", f"val {metric_name or 'metric'}"]
    return table(headers, [row.cells() for row in rows], numeric={0, 3, 4, 5, 6, 7}, css="effects")


def config_effects_table(effects: tuple[ConfigEffect, ...], metric_name: str | None) -> str:
    """A sweep's effect table as HTML: a row per configuration, its seeds and where each ended."""
    headers = ["lr", "optimizer · schedule", "seeds", "verdict: what happened", "steps run", "val loss",
               f"val {metric_name or 'metric'}"]
    rows = [[rate(e.lr) + _star(e.winner), escape(f"{e.optimizer} · {e.shape}"), ", ".join(map(str, e.seeds)),
             _verdict(e.verdict, e.detail), str(e.steps), loss(e.val_loss) + _each(e.losses),
             loss(e.val_metric)]
            for e in effects]
    return table(headers, rows, numeric={0, 4, 5, 6}, css="effects")


def _verdict(verdict: str, detail: str) -> str:
    words = escape(VERDICT_WORDS.get(verdict, verdict))
    return (f'<span class="verdict {escape(verdict)}">{words}</span>'
            f'<span class="detail">{escape(detail)}</span>')


def _star(winner: bool) -> str:
    return ' <span class="star" title="the recommended run">★</span>' if winner else ""


def _each(losses: tuple[float, ...]) -> str:
    """Each seed's loss under the mean, when there are several."""
    if len(losses) < 2:
        return ""
    return f'<span class="detail">{escape(" · ".join(loss(value) for value in losses))}</span>'


def _is_final(effect: RateEffect, final: RunResult) -> bool:
    return (effect.optimizer, effect.lr, effect.steps, effect.val_loss) == (
        final.recipe.optimizer, final.recipe.lr, final.steps, final.val_loss)

