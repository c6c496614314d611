"""Tested folklore: small experiments that check statements people repeat about the learning rate.

`run_claims(only="b,c")` trains the runs each claim needs (real `lrkit.train.run`s on the built-in
tasks) and judges each by a stated rule as "supported", "refuted" or "depends", with its finding
in plain words, the numbers behind it and the series to redraw its figure.

Stable names (the HTML report reads them): `ClaimsResult.claims / wall_seconds / workers / runs`
(distinct training runs) and `kind: "claims"` in its JSON; `ClaimResult.id / statement / rule /
verdict / finding / measurements / panels / runs / seconds`; a `Panel` holds `Series` and `Mark`s
(see `_result`), drawn by `lrkit.report.plot_claim`. docs/claims.md says how each claim is judged.
"""

from ._registry import CLAIMS, ClaimError, run_claims
from ._result import ClaimResult, ClaimsResult, Mark, Panel, Series

__all__ = ["CLAIMS", "ClaimError", "ClaimResult", "ClaimsResult", "Mark", "Panel", "Series", "run_claims"]
