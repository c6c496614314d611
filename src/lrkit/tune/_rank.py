"""Which run is ahead: the lowest validation loss, except that a near tie goes to the lower rate.

Every run of the search trains on one seed. Rates near the edge of stability vary most from seed
to seed (on a 120-example task, momentum SGD at 0.18 scored 0.05 on seed 0 and 0.10 to 0.24 on
five others, while 0.056 scored 0.05 to 0.08), so a small lead of a higher rate of the same
optimizer and schedule is more likely luck than a better rate (docs/tune.md).
"""

from __future__ import annotations

from ..search._groups import group_of
from ..train import RunResult

TIE = 0.10  # a lower rate within 10% of a higher one's validation loss ranks above it


def near_tie(lower: RunResult, higher: RunResult) -> bool:
    """`lower` is a lower rate of `higher`'s optimizer and schedule whose loss is within `TIE`."""
    return (group_of(lower) == group_of(higher) and lower.recipe.lr < higher.recipe.lr
            and lower.val_loss <= higher.val_loss + TIE * abs(higher.val_loss))


def ranked(runs: dict[int, RunResult]) -> list[int]:
    """The keys of the runs that did not diverge, best first: each place goes to the lowest rate
    that is in a near tie with the best run left, or to that run when none is."""
    left = sorted((key for key, run in runs.items() if not run.diverged), key=lambda key: runs[key].val_loss)
    order = []
    while left:
        lead = runs[left[0]]
        pick = min((key for key in left if near_tie(runs[key], lead)), key=lambda key: runs[key].recipe.lr,
                   default=left[0])
        order.append(pick)
        left.remove(pick)
    return order
