"""The names lrkit gives its Optuna attributes, shared by the modules that write and read them."""

PLANNED = "lrkit_planned"  # trial: enqueued from the plan (study: the plan is enqueued)
RUN = "lrkit_run"  # trial: its RunResult as JSON
OUTCOME = "lrkit_outcome"  # trial: "complete", "pruned" or "diverged"
RUNG = "lrkit_rung"  # trial: the stage of synchronous halving it runs to
EXTRA = "lrkit_extra"  # trial: trained in full beside halving's finalists (a rescue or a twin)
CONFIRM_SEED = "lrkit_confirm_seed"  # trial: a finalist's retraining on one more seed
CONFIRMED = "lrkit_confirmed"  # study: the finalists' retraining has been enqueued
RESCUED = "lrkit_rescued"  # study: the overfitting finalists' lower rates have been enqueued
TWINNED = "lrkit_twinned"  # study: the leader's twin schedules have been enqueued
