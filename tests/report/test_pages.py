"""Every page lrkit writes, from real results (a tune, a sweep of each strategy, a claims run): no
inf, nan or Infinity anywhere, and nothing that contradicts the answer: the starred row is the
winner and says so, the answer recommends the JSON's best, and a configuration the search stopped
early is judged only at a step it reached."""

from __future__ import annotations

import html
import math
import re

import pytest
from conftest import SWEEPS, non_finite

from lrkit._format import rate
from lrkit.report import build_report, view_of
from lrkit.search import SweepResult

TOO_LOW_OR_HIGH = ("slow", "oscillating", "overfitting", "diverged", "stopped")


def effect_rows(page: str) -> list[str]:
    table = re.search(r'<table class="effects">.*?</table>', page, re.S).group(0)
    return re.findall(r"<tr><td.*?</tr>", table, re.S)


@pytest.fixture(scope="module")
def sweep_pages(strategy_sweeps, tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("sweep-pages")
    return {strategy: build_report(data, out / strategy).read_text()
            for strategy, data in strategy_sweeps.items()}


def test_the_words_are_caught():
    page = "<td>target loss inf</td><td>nanx that of lr 0.02</td><td>NaN</td><td>Infinity</td>"
    assert len(non_finite(page)) == 4
    assert non_finite("<p>information, infer, finance, the winner's ∞-free page</p>") == []


@pytest.mark.parametrize("strategy", list(SWEEPS))
def test_a_sweep_page_states_no_non_finite_number_and_stars_its_winner(sweep_pages, strategy_sweeps,
                                                                         strategy):
    page, data = sweep_pages[strategy], strategy_sweeps[strategy]
    assert non_finite(page) == []
    best = data["best"]
    rows = effect_rows(page)
    starred = [row for row in rows if "★" in row]
    assert len(starred) == 1
    assert starred[0].startswith(f'<tr><td class="num">{rate(best["lr"])} ')
    assert 'class="verdict winner"' in starred[0]
    assert not any(f'class="verdict {word}"' in starred[0] for word in TOO_LOW_OR_HIGH)
    answer = html.unescape(re.search(r'<section id="answer">(.*?)</section>', page, re.S).group(1))
    assert f"<dd>{best['optimizer']}</dd>" in answer and f"<dd>{rate(best['lr'])}</dd>" in answer
    assert f"--optimizer {best['optimizer']} --lr {best['lr']:.6g} --schedule {best['schedule']}" in answer
    seeds = best["seeds"]
    assert ("the mean over seeds" in answer) == (len(seeds) > 1)


@pytest.mark.parametrize("strategy", list(SWEEPS))
def test_each_configuration_is_judged_at_a_step_it_reached_against_its_groups_best(strategy_sweeps, strategy):
    result = SweepResult.from_dict(strategy_sweeps[strategy])
    view = view_of(result)
    configs = {(c.params["optimizer"], c.params["schedule"], c.params["lr"]): c for c in result.configs()}
    assert [effect.winner for effect in view.config_effects].count(True) == 1
    for effect in view.config_effects:
        config = configs[(effect.optimizer, effect.shape, effect.lr)]
        assert effect.seeds == config.seeds and effect.steps == config.steps
        if effect.compared_at is not None:  # one of its own evaluations, where its run ended
            assert effect.compared_at <= max(t.run.steps for t in config.trials)
            assert all(effect.compared_at in {e.step for e in t.run.evaluations} for t in config.trials)
        if effect.verdict == "slow":
            assert effect.lr < effect.best_lr
        if effect.verdict in ("oscillating", "overfitting"):
            assert effect.lr > effect.best_lr
        if config.state == "pruned" and effect.verdict not in ("best", "stopped"):
            assert effect.detail.endswith("the search stopped it there")


def test_the_tune_pages_state_no_non_finite_number_and_star_the_best(tune_json, tune_data, tmp_path):
    page = build_report(tune_json, tmp_path / "tune").read_text()
    assert non_finite(page) == []
    starred = [row for row in effect_rows(page) if "★" in row]
    assert len(starred) == 1 and 'class="verdict best"' in starred[0]
    for kind, data in (("run", tune_data["final"]["run"]), ("finder", tune_data["finders"][0])):
        assert non_finite(build_report(data, tmp_path / kind).read_text()) == [], kind


def test_the_claims_page_of_a_real_run_states_no_non_finite_number(claims_run, strategy_sweeps, tmp_path):
    build_report([strategy_sweeps["sha"], claims_run], tmp_path)
    page = (tmp_path / "claims.html").read_text()
    assert non_finite(page) == []
    (claim,) = claims_run["claims"]
    assert f'class="verdict {claim["verdict"]}"' in page and html.escape(claim["finding"]) in page


def test_claim_measurements_that_are_not_finite_read_as_symbols(tmp_path):
    from lrkit.claims import ClaimResult, ClaimsResult

    claim = ClaimResult("z", "Too high a rate diverges", "a rule", "supported", "It did.",
                        {"final_loss": [0.5, math.inf], "best_lr": 0.0552290964136667, "ratio": math.nan},
                        (), 2, 1.0)
    build_report([ClaimsResult((claim,), 1.0, 1)], tmp_path)
    page = (tmp_path / "index.html").read_text()
    assert non_finite(page) == []
    assert "<td>[0.5, ∞]</td>" in page and "<td>0.0552</td>" in page and "<td>–</td>" in page
