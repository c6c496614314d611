"""The learning-rate effect table: every rate tried, how fast it reached the target loss, where it
ended and its verdict — the measured form of "high: fast but poor, medium: good, low: slow"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._html import escape, number, table

if TYPE_CHECKING:
    from ..train import RunResult
    from ..tune import RateEffect

VERDICT_WORDS = {
    "best": "best of its group",
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
        words = escape(VERDICT_WORDS.get(e.verdict, e.verdict))
        star = ' <span class="star" title="the recommended run">★</span>' if self.winner else ""
        return [
            f"{e.lr:.3g}{star}", escape(f"{e.optimizer} · {e.shape}"),
            f'<span class="verdict {escape(e.verdict)}">{words}</span>'
            f'<span class="detail">{escape(e.detail)}</span>',
            str(e.steps), number(e.target), reached, number(e.val_loss), number(e.val_metric),
        ]


def effect_rows(effects: tuple[RateEffect, ...], final: RunResult | None) -> list[EffectRow]:
    """The effects in their order (the winner's group first, by rate), the recommended run marked."""
    return [EffectRow(effect, final is not None and _is_final(effect, final)) for effect in effects]


def effects_table(rows: list[EffectRow], metric_name: str | None) -> str:
    """The effect table as HTML."""
    headers = ["lr", "optimizer · schedule", "verdict: what happened", "steps run", "target loss",
               "steps to target", "val loss", f"val {metric_name or 'metric'}"]
    return table(headers, [row.cells() for row in rows], numeric={0, 3, 4, 5, 6, 7}, css="effects")


def _is_final(effect: RateEffect, final: RunResult) -> bool:
    return (effect.optimizer, effect.lr, effect.steps, effect.val_loss) == (
        final.recipe.optimizer, final.recipe.lr, final.steps, final.val_loss)

