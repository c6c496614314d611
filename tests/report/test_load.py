"""Any results JSON reads back into its result object; bad input is one clear ReportError."""

from __future__ import annotations

import json

import pytest

from lrkit.claims import ClaimsResult
from lrkit.finder import FinderResult
from lrkit.report import ReportError, load_results
from lrkit.report._load import kind_of
from lrkit.search import SweepResult
from lrkit.train import RunResult
from lrkit.tune import TuneResult


def test_every_kind_is_recognised(tune_data, sweep_data, claims_data):
    assert kind_of(tune_data) == "tune"
    assert kind_of(tune_data["final"]["run"]) == "run"
    assert kind_of(tune_data["finders"][0]) == "finder"
    assert kind_of(sweep_data) == "sweep"
    assert kind_of(claims_data) == "claims"


def test_files_load_into_their_result_objects(tune_data, sweep_data, claims_data, tmp_path):
    expected = {"tune": (tune_data, TuneResult), "run": (tune_data["final"]["run"], RunResult),
                "finder": (tune_data["finders"][0], FinderResult), "sweep": (sweep_data, SweepResult),
                "claims": (claims_data, ClaimsResult)}
    for kind, (data, cls) in expected.items():
        path = tmp_path / f"{kind}.json"
        path.write_text(json.dumps(data))
        result = load_results(path)
        assert isinstance(result, cls)
        assert result.to_dict() == cls.from_dict(data).to_dict()


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"),
    ("{not json", "not JSON"),
    ("[1, 2]", "a JSON list, not an object"),
    ('{"hello": 1}', "not an lrkit result"),
    ('{"kind": "tune", "task": "x"}', "a tune result with a missing or bad field"),
])
def test_bad_input_is_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ReportError, match=message) as caught:
        load_results(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)
