"""The curves panel says what it draws: a training function's runs have validation losses only."""

from __future__ import annotations

import dataclasses

import matplotlib
import matplotlib.pyplot as plt
from fake_runs import make_run

from lrkit.report._run_plots import plot_rate_curves

matplotlib.use("Agg")


def _label(runs) -> str:
    figure, ax = plt.subplots()
    plot_rate_curves(runs, ax)
    label = ax.get_ylabel()
    plt.close(figure)
    return label


def test_a_tasks_runs_are_drawn_with_their_training_loss():
    assert _label([make_run(0.01, [0.5, 0.4]), make_run(0.1, [0.6, 0.3])]) == \
        "loss (line: training, dots: validation)"


def test_a_functions_runs_say_they_show_validation_losses_only():
    runs = [dataclasses.replace(make_run(lr, [0.5, 0.4]), train_loss=()) for lr in (0.01, 0.1)]
    assert _label(runs) == "validation loss"
