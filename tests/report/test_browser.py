"""The report in a real browser (headless Chromium, driven over the DevTools protocol): it loads with
no console errors, every figure is there and drawn (checked on a screenshot), the answer shows the
winning recipe, the copy buttons work quietly, and the page fits a phone and turns dark."""

from __future__ import annotations

import io

import pytest
from chromium import Browser, find_chromium
from PIL import Image

from lrkit.report import build_report

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="needs Chromium: `make browser` installs Debian's chromium (as root)")

FIGURES = ["curves", "finder", "schedule", "landscape", "budget"]
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


def test_the_page_loads_clean_with_every_figure_drawn_and_the_answer(browser, report, tune_data):
    browser.viewport(1280, 900)
    browser.open(report.as_uri())
    figures = browser.evaluate(FIGURE_BOXES)
    assert [figure["name"] for figure in figures] == FIGURES
    assert browser.evaluate('document.querySelectorAll("svg").length') == len(FIGURES)
    shot = Image.open(io.BytesIO(browser.screenshot())).convert("RGB")
    assert len(shot.getcolors(1 << 24)) > 100  # not a blank page
    for figure in figures:
        assert figure["width"] > 600 and figure["height"] > 150 and figure["paths"] > 10, figure
        left, top = round(figure["x"]), round(figure["y"])
        region = shot.crop((left, top, left + round(figure["width"]), top + round(figure["height"])))
        dark = sum(count for count, value in region.convert("L").getcolors(256) if value < 200)
        ink = dark / (region.width * region.height)
        assert len(region.getcolors(1 << 24)) > 30 and ink > 0.01, (figure["name"], ink)
    answer = browser.evaluate('document.getElementById("answer").innerText')
    recipe = tune_data["recipe"]
    assert recipe["optimizer"] in answer and f"{recipe['lr']:.6g}" in answer and recipe["schedule"] in answer
    assert "lrkit train cancer-logreg" in answer
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
