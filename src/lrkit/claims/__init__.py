"""Tested folklore: small experiments that check statements people repeat about the learning rate.

`run_claims(only="b,c")` trains the runs each claim needs (real `lrkit.train.run`s on the built-in
tasks) and judges each by a stated rule as "supported", "refuted" or "depends", with its finding
in plain words, the numbers behind it and the series to redraw its figure.
"""

from ._registry import CLAIMS, ClaimError, run_claims
from ._result import ClaimResult, ClaimsResult, Mark, Panel, Series

__all__ = ["CLAIMS", "ClaimError", "ClaimResult", "ClaimsResult", "Mark", "Panel", "Series", "run_claims"]
