"""The report is rebuilt from JSON alone: its sections, effect table, figures, PNG files and pages."""

from __future__ import annotations

import html
import itertools
import json
import math
import re

import pytest
import torch

from lrkit._format import rate, spec
from lrkit.report import build_report, landscape, spending, view_of
from lrkit.report._code import python_loop
from lrkit.train import Recipe
from lrkit.tune import TuneResult

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TUNE_SECTIONS = ["answer", "effects", "curves", "finder", "schedule", "landscape", "budget"]
TUNE_FIGURES = ["curves", "finder", "schedule", "landscape", "budget"]


def section_ids(page: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)">', page)


def figure_names(page: str) -> list[str]:
    """Figures that hold an inline SVG."""
    return re.findall(r'<figure data-figure="([^"]+)"><svg ', page)


def section(page: str, name: str) -> str:
    return re.search(rf'<section id="{name}">(.*?)</section>', page, re.S).group(1)


def without_svg(page: str) -> str:
    return re.sub(r"<svg .*?</svg>", "<svg/>", page, flags=re.S)


@pytest.fixture(scope="module")
def tune_page(tune_json, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    index = build_report(tune_json, out)
    return out, index.read_text()


def test_a_tune_report_has_every_section_in_reading_order(tune_page):
    out, page = tune_page
    assert section_ids(page) == TUNE_SECTIONS
    assert figure_names(page) == TUNE_FIGURES
    for name in TUNE_FIGURES:
        assert (out / f"{name}.png").read_bytes()[:8] == PNG_MAGIC


def test_the_answer_shows_the_winning_recipe_and_how_to_train_with_it(tune_page, tune_data):
    answer = html.unescape(section(tune_page[1], "answer"))
    recipe = Recipe.from_dict(tune_data["recipe"])
    assert f"<dd>{recipe.optimizer}</dd>" in answer and f"<dd>{rate(recipe.lr)}</dd>" in answer
    assert f"<dd>{spec(recipe.schedule)}</dd>" in answer
    assert recipe.command("cancer-logreg", tune_data["steps"]) in answer
    assert f"LRSchedule(optimizer, {recipe.schedule!r})" in answer
    assert tune_data["summary"][0] in answer


def test_every_page_links_the_schedule_gallery_when_it_is_there(run_json, claims_data, tmp_path):
    build_report(run_json, tmp_path / "without")
    assert "schedules.png" not in (tmp_path / "without" / "index.html").read_text()
    (tmp_path / "with").mkdir()
    (tmp_path / "with" / "schedules.png").write_bytes(PNG_MAGIC)
    build_report([run_json, claims_data], tmp_path / "with")
    for name in ("index.html", "claims.html"):
        assert '<a href="schedules.png">schedule gallery</a>' in (tmp_path / "with" / name).read_text()


def test_the_effect_table_lists_every_rate_with_its_verdict(tune_page, tune_data):
    effects = re.search(r'<table class="effects">.*?</table>', tune_page[1], re.S).group(0)
    rows = re.findall(r"<tr><td.*?</tr>", effects, re.S)
    assert len(rows) == len(tune_data["effects"]) == len(tune_data["trials"])
    for row, effect in zip(rows, tune_data["effects"]):
        assert row.startswith(f'<tr><td class="num">{effect["lr"]:.3g}')
        assert f'class="verdict {effect["verdict"]}"' in row
        assert html.escape(effect["detail"]) in row
    assert sum("★" in row for row in rows) == 1


def test_a_dict_gives_the_same_report_as_its_file(tune_page, tune_data, tmp_path):
    page = build_report(tune_data, tmp_path).read_text()
    assert without_svg(page) == without_svg(tune_page[1])


def test_landscape_and_budget_data_account_for_every_run(tune_data):
    result = TuneResult.from_dict(tune_data)
    groups = landscape(result.trials)
    assert sum(len(points) for points in groups.values()) == len(result.trials)
    for points in groups.values():
        assert [p.lr for p in points] == sorted(p.lr for p in points)
        assert len({p.step for p in points}) == 1
    parts = spending(view_of(result))
    assert math.isclose(sum(part.cost for part in parts), result.cost)
    assert [part.stage for part in parts[: len(result.finders)]] == ["range test"] * len(result.finders)


def test_sweep_run_and_range_test_reports(tune_data, sweep_data, tmp_path):
    expected = {
        "sweep": (sweep_data, ["answer", "effects", "curves", "schedule", "landscape", "budget"]),
        "run": (tune_data["final"]["run"], ["answer", "curves", "schedule"]),
        "finder": (tune_data["finders"][0], ["answer", "finder"]),
    }
    for kind, (data, sections) in expected.items():
        page = build_report(data, tmp_path / kind).read_text()
        assert section_ids(page) == sections, kind
        assert figure_names(page) == [s for s in sections if s not in ("answer", "effects")], kind
    finder = tune_data["finders"][0]
    answer = section(build_report(finder, tmp_path / "finder").read_text(), "answer")
    assert f"--lr {finder['suggestion']:.3g}" in answer


@pytest.fixture
def run_json(tune_data, tmp_path):
    """The tune's final run as `lrkit train --json` writes it: a page quicker to build than a tune's."""
    path = tmp_path / "results" / "run.json"
    path.parent.mkdir()
    path.write_text(json.dumps(tune_data["final"]["run"]))
    return path


def test_claims_get_their_own_page_linked_from_the_index(run_json, claims_data, tmp_path):
    claims = tmp_path / "claims-result.json"
    claims.write_text(json.dumps(claims_data))
    index = build_report([run_json, claims], tmp_path / "out")
    assert 'href="claims.html"' in index.read_text()
    page = (tmp_path / "out" / "claims.html").read_text()
    assert 'href="index.html"' in page
    assert section_ids(page) == ["claims", "claim-a", "claim-b"]
    assert 'class="verdict supported"' in page and 'class="verdict refuted"' in page
    assert "Every rate above 2/L diverged." in page
    figures = figure_names(page)
    assert figures in ([], ["claim-a"])  # drawn once the claims' figure module is there
    for name in figures:
        assert (tmp_path / "out" / f"claims-{name}.png").read_bytes()[:8] == PNG_MAGIC


def test_a_claims_json_next_to_the_results_joins_the_report(run_json, claims_data, tmp_path):
    (run_json.parent / "claims.json").write_text(json.dumps(claims_data))
    build_report(run_json, tmp_path / "out")
    assert section_ids((tmp_path / "out" / "claims.html").read_text())[0] == "claims"


def test_the_page_needs_no_network(tune_page):
    page = tune_page[1]
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "@import" not in page and "url(http" not in page and "<link rel=\"stylesheet\"" not in page


@pytest.mark.parametrize("plateau", [None, "plateau(factor=0.5, patience=2)"])
def test_the_python_code_trains_a_plain_pytorch_loop(plateau):
    recipe = Recipe("momentum", 0.05, "cosine", plateau)
    torch.manual_seed(0)
    x, y = torch.randn(64, 5), torch.randint(0, 2, (64,))
    model = torch.nn.Linear(5, 2)
    seen = []
    namespace = {"model": model, "loss_fn": torch.nn.functional.cross_entropy,
                 "batches": itertools.repeat((x, y)),
                 "validation_loss": lambda: seen.append(1) or 1.0}
    before = torch.nn.functional.cross_entropy(model(x), y).item()
    exec(python_loop(recipe, 40, eval_every=10), namespace)
    optimizer = namespace["optimizer"]
    assert namespace["step"] == 39 and namespace["loss"].item() < before
    assert optimizer.param_groups[0]["momentum"] == 0.9
    assert optimizer.param_groups[0]["lr"] == pytest.approx(recipe.build_schedule(40)(40), abs=1e-12)
    assert len(seen) == (4 if plateau else 0)
