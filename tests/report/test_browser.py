"""The report in a real browser (headless Chromium, driven over the DevTools protocol): it loads with
no console errors, every figure is there and drawn (checked on a screenshot), the answer shows the
winning recipe, no page says inf or nan, the copy buttons work quietly, and the page fits a phone
and turns dark. The tune's pages, a real sweep's and a real claims run's."""

from __future__ import annotations

import io

import pytest
from chromium import Browser, find_chromium
from conftest import non_finite
from PIL import Image

from lrkit._format import rate
from lrkit.report import build_report

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="needs Chromium: `make browser` installs Debian's chromium (as root)")

FIGURES = ["curves", "finder", "schedule", "landscape", "budget"]
SWEEP_FIGURES = ["curves", "schedule", "landscape", "budget"]
FIGURE_BOXES = """Array.from(document.querySelectorAll("figure[data-figure]")).map(figure => {
  const svg = figure.querySelector("svg"), box = svg.getBoundingClientRect();
  return {name: figure.dataset.figure, x: box.left + scrollX, y: box.top + scrollY, width: box.width,
          height: box.height, paths: svg.querySelectorAll("path").length};
})"""


@pytest.fixture(scope="module")
def report(tune_json, tmp_path_factory):
    return build_report(tune_json, tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def browser():
    chromium = Browser(find_chromium())
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def sweep_report(strategy_sweeps, claims_run, tmp_path_factory):
    """A sha sweep's page (runs stopped at rungs, finalists on two seeds) and a claims page."""
    return build_report([strategy_sweeps["sha"], claims_run], tmp_path_factory.mktemp("browser-sweep"))


def drawn(browser, names: list[str], width: int = 600) -> None:
    """The page's figures are `names`, each an SVG with ink on a screenshot, and the page's text
    (what it shows and what it holds) says no inf or nan."""
    figures = browser.evaluate(FIGURE_BOXES)
    assert [figure["name"] for figure in figures] == names
    assert browser.evaluate('document.querySelectorAll("svg").length') == len(names)
    shot = Image.open(io.BytesIO(browser.screenshot())).convert("RGB")
    assert len(shot.getcolors(1 << 24)) > 100  # not a blank page
    for figure in figures:
        assert figure["width"] > width and figure["height"] > 150 and figure["paths"] > 10, figure
        left, top = round(figure["x"]), round(figure["y"])
        region = shot.crop((left, top, left + round(figure["width"]), top + round(figure["height"])))
        dark = sum(count for count, value in region.convert("L").getcolors(256) if value < 200)
        ink = dark / (region.width * region.height)
        assert len(region.getcolors(1 << 24)) > 30 and ink > 0.01, (figure["name"], ink)
    for text in ("document.body.innerText", "document.body.textContent"):
        assert non_finite(browser.evaluate(text)) == []


def test_the_page_loads_clean_with_every_figure_drawn_and_the_answer(browser, report, tune_data):
    browser.viewport(1280, 900)
    browser.open(report.as_uri())
    drawn(browser, FIGURES)
    answer = browser.evaluate('document.getElementById("answer").innerText')
    recipe = tune_data["recipe"]
    assert recipe["optimizer"] in answer and rate(recipe["lr"]) in answer and recipe["schedule"] in answer
    assert "lrkit train cancer-logreg" in answer
    assert browser.errors() == []


def test_the_sweep_page_loads_clean_and_names_its_winner_in_the_answer_and_the_table(browser, sweep_report,
                                                                                    strategy_sweeps):
    browser.viewport(1280, 900)
    browser.open(sweep_report.as_uri())
    drawn(browser, SWEEP_FIGURES)
    best = strategy_sweeps["sha"]["best"]
    answer = browser.evaluate('document.getElementById("answer").innerText')
    assert f"Winner: {best['optimizer']} at lr {rate(best['lr'])} with schedule {best['schedule']}" in answer
    assert f"lrkit train cancer-logreg --optimizer {best['optimizer']} --lr {best['lr']:.6g}" in answer
    starred = browser.evaluate('Array.from(document.querySelectorAll("table.effects tr"), '
                               'row => row.innerText).filter(text => text.includes("★"))')
    assert len(starred) == 1 and starred[0].startswith(rate(best["lr"])) and "the winner" in starred[0]
    assert not any(word in starred[0] for word in ("too low", "too high", "slow", "stopped"))
    assert browser.errors() == []


def test_the_claims_page_of_a_real_run_loads_clean(browser, sweep_report, claims_run):
    browser.viewport(1280, 900)
    browser.open(sweep_report.with_name("claims.html").as_uri())
    (claim,) = claims_run["claims"]
    drawn(browser, [f"claim-{claim['id']}"], width=300)  # a claim of one panel is drawn narrower
    assert claim["finding"] in browser.evaluate("document.body.innerText")
    assert browser.errors() == []


def test_copy_buttons_answer_without_errors(browser, report):
    browser.open(report.as_uri())
    count = browser.evaluate('document.querySelectorAll("button[data-copy]").forEach(b => b.click()) || '
                             'document.querySelectorAll("button[data-copy]").length')
    assert count == 2
    browser.evaluate("new Promise(done => setTimeout(done, 300))")
    labels = browser.evaluate('Array.from(document.querySelectorAll("button[data-copy]"), b => '
                              "b.textContent)")
    assert all(label in ("copied", "press Ctrl+C") for label in labels), labels
    assert browser.errors() == []


def test_the_page_fits_a_phone_and_follows_dark_mode(browser, report):
    browser.viewport(390, 844, mobile=True)
    browser.open(report.as_uri())
    assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert all(figure["width"] <= 390 for figure in browser.evaluate(FIGURE_BOXES))
    light = browser.evaluate("getComputedStyle(document.body).backgroundColor")
    browser.viewport(390, 844, mobile=True, dark=True)
    dark = browser.evaluate("getComputedStyle(document.body).backgroundColor")
    assert light == "rgb(255, 255, 255)" and dark != light
    assert sum(int(v) for v in dark[4:-1].split(",")) < 150
    assert "invert" in browser.evaluate('getComputedStyle(document.querySelector("figure svg")).filter')
    assert browser.errors() == []
