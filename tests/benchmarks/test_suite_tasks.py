"""The benchmark suite: its frozen split, its task references, its weight decay, and that its
kinds of model train."""

import hashlib
import math

import pytest
import suite
import torch
from suite.models import MLP, WeightDecay
from suite.tasks import NAMES, build

from lrkit.tasks import TaskError, load_task
from lrkit.train import Recipe, run


def test_split_is_the_parity_of_sha256_and_about_half_each():
    design = suite.names("design")
    test = suite.names("test")
    assert sorted(design + test) == sorted(NAMES) and len(NAMES) >= 40
    assert all(hashlib.sha256(name.encode()).digest()[0] % 2 == 0 for name in design)
    assert 0.4 <= len(design) / len(NAMES) <= 0.6


def test_quick_subset_takes_tasks_from_their_own_split():
    for split, chosen in suite.QUICK.items():
        assert set(chosen) <= set(suite.names(split))
    assert suite.names("both", quick=True) == [*suite.QUICK["design"], *suite.QUICK["test"]]


def test_a_suite_reference_loads_through_lrkit_as_the_same_task():
    ref = suite.resolve("suite:moons-mlp-small-b4")
    loaded, built = load_task(ref), build("moons-mlp-small-b4")
    assert suite.is_suite(ref) and loaded.name == "moons-mlp-small-b4"
    assert all(torch.equal(a, b) for a, b in zip(loaded.train + loaded.val, built.train + built.val))


def test_an_unknown_suite_name_is_a_task_error():
    with pytest.raises(TaskError, match="no function 'no-such-task'"):
        load_task(suite.ref("no-such-task"))


def test_weight_decay_gives_the_gradient_of_the_l2_penalty():
    torch.manual_seed(0)
    plain = MLP(3, 4, 2)
    decayed = WeightDecay(MLP(3, 4, 2), 0.1)
    decayed.model.load_state_dict(plain.state_dict())
    x, y = torch.randn(8, 3), torch.randint(0, 2, (8,))
    penalty = 0.05 * sum(p.square().sum() for p in plain.parameters())
    (torch.nn.functional.cross_entropy(plain(x), y) + penalty).backward()
    torch.nn.functional.cross_entropy(decayed(x), y).backward()
    for want, got in zip(plain.parameters(), decayed.model.parameters()):
        torch.testing.assert_close(got.grad, want.grad)


@pytest.mark.parametrize("name", ["majority-gru", "maxtoken-transformer", "text-mlp-lm", "text-lstm-lm",
                                  "digits-resnet", "regression-mlp-p100-wd", "friedman3-huber"])
def test_each_kind_of_model_trains_on_its_data(name):
    result = run(build(name), Recipe("adam", 1e-3), steps=3)
    assert result.steps == 3 and math.isfinite(result.val_loss)


def test_groups_keep_design_and_test_apart_and_other_tasks_together():
    refs = [suite.resolve(f"suite:{name}") for name in suite.names("both", quick=True)]
    grouped = suite.groups(refs)
    assert list(grouped) == ["design", "test"]
    assert [r.rpartition(":")[2] for r in grouped["test"]] == list(suite.QUICK["test"])
    assert suite.groups([*refs, "digits-mlp"]) == {"all": [*refs, "digits-mlp"]}
