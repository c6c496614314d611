"""Results show themselves in a notebook (`_repr_html_`) and draw themselves (`.plot()`)."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from lrkit.finder import FinderResult
from lrkit.search import SweepResult
from lrkit.train import RunResult
from lrkit.tune import TuneResult


def test_a_tune_result_shows_its_report_in_a_notebook(tune_data):
    result = TuneResult.from_dict(tune_data)
    first, second = result._repr_html_(), result._repr_html_()
    assert first.startswith('<div class="lrkit">') and "<style>" in first
    assert result.recipe.schedule in first and f"{result.recipe.lr:.6g}" in first
    assert first.count("<svg ") == 5
    ids = set(re.findall(r' id="([^"]+)"', first)) & set(re.findall(r' id="([^"]+)"', second))
    assert ids <= {"answer", "effects", "curves", "finder", "schedule", "landscape", "budget"}


def test_every_result_kind_has_html_and_a_plot(tune_data, sweep_data):
    results = [TuneResult.from_dict(tune_data), SweepResult.from_dict(sweep_data),
               RunResult.from_dict(tune_data["final"]["run"]),
               FinderResult.from_dict(tune_data["finders"][0])]
    for result in results:
        assert "<svg " in result._repr_html_()
        figure = result.plot()
        assert isinstance(figure, Figure) and figure.axes
        plt.close(figure)
