"""The claims page: every claim tested with its verdict, the rule behind it, the numbers it rests on
and its figure (drawn by `plot_claim` of `_claims_plot`, the claims' own figure module)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .._format import loss, rate
from ._html import Section, escape, facts, table

if TYPE_CHECKING:
    from ..claims import ClaimResult, ClaimsResult

_LONGEST_VALUE = 160  # characters of a measurement shown before it is cut


def claims_sections(result: ClaimsResult) -> list[Section]:
    """An overview table, then a section per claim."""
    rows = [[f'<a href="#claim-{escape(c.id)}">{escape(c.id)}</a>', escape(c.statement), _verdict(c.verdict),
             escape(c.finding)] for c in result.claims]
    count = len(result.claims)
    intro = (f"{count} statement{'s' * (count != 1)} people repeat about the learning rate, each tested "
             f"by small real training runs ({result.runs} runs, {result.wall_seconds:.0f} s on "
             f"{result.workers} workers) and judged by a stated rule.")
    overview = Section("claims", "Claims tested", intro,
                       table(["claim", "statement", "verdict", "finding"], rows, css="claims"))
    return [overview, *(_claim_section(claim) for claim in result.claims)]


def _claim_section(claim: ClaimResult) -> Section:
    body = facts([("verdict", _verdict(claim.verdict)), ("rule", escape(claim.rule)),
                  ("evidence", escape(f"{claim.runs} training runs, {claim.seconds:.0f} s"))])
    measured = _flatten(claim.measurements)
    if measured:
        body += table(["measurement", "value"], [[escape(k), escape(v)] for k, v in measured.items()])
    return Section(f"claim-{claim.id}", f"{claim.id}. {claim.statement}", claim.finding, body,
                   _figure(claim))


def _figure(claim: ClaimResult) -> Any:
    """The claim's figure; none while the claims' figure module is not there yet."""
    if not claim.panels:
        return None
    try:
        from ._claims_plot import plot_claim
    except ModuleNotFoundError as error:
        if error.name != f"{__package__}._claims_plot":
            raise
        return None
    return plot_claim(claim)


def _verdict(verdict: str) -> str:
    return f'<span class="verdict {escape(verdict)}">{escape(verdict)}</span>'


def _flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Nested measurements as "a.b" keys; each value as short text (numbers as `_text` writes them)."""
    if isinstance(value, dict):
        flat: dict[str, str] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    text = _text(value, _is_rate(prefix))
    return {prefix: text if len(text) <= _LONGEST_VALUE else text[: _LONGEST_VALUE - 1] + "…"}


def _text(value: Any, rates: bool) -> str:
    """A measurement as text: rates to 3 significant digits, other numbers to 4, a value that is
    not finite as ∞ or –, lists in brackets."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return rate(value) if rates else loss(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_text(item, rates) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{key}: {_text(item, _is_rate(str(key)))}" for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    return str(value)


def _is_rate(key: str) -> bool:
    """Whether a measurement's name says it holds learning rates ("best_lr", "rates", "lrs")."""
    name = key.rsplit(".", 1)[-1].lower()
    return "lr" in name.split("_") or "lrs" in name.split("_") or "rate" in name
