"""The range test on dict batches (Hugging Face style) from a real DataLoader, and on a model that
computes its own loss; batches it cannot read are one clear error."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from lrkit.finder import FinderError, range_test


class Features(Dataset):
    """The same examples as a TensorDataset, one dict per example."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"features": self.x[i], "label": self.y[i]}


class Net(torch.nn.Module):
    """Takes its input by keyword, as a Hugging Face model does."""

    def __init__(self) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.body(features)


def _data():
    torch.manual_seed(0)
    x = torch.randn(256, 8)
    return x, (x @ torch.randn(8, 1)).squeeze(1).gt(0).long()


def _test(data: DataLoader, **options):
    torch.manual_seed(1)
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    return range_test(model, optimizer, torch.nn.functional.cross_entropy, data, steps=30, end_lr=1.0,
                      probe_size=100, **options)


@pytest.mark.parametrize("inputs", ["features", None])  # None: the other keys go in as keyword arguments
def test_dict_batches_named_by_key_give_the_curve_of_the_same_pairs(inputs):
    x, y = _data()
    pairs = _test(DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True,
                             generator=torch.Generator().manual_seed(2)))
    dicts = _test(DataLoader(Features(x, y), batch_size=32, shuffle=True,
                             generator=torch.Generator().manual_seed(2)), inputs=inputs, target="label")
    assert dicts.steps == pairs.steps == 30
    assert dicts.losses == pairs.losses and dicts.probe == pairs.probe
    assert dicts.suggestions == pairs.suggestions


def _pad(examples: list[dict]) -> dict[str, torch.Tensor]:
    """What a padding collator gives: sequences padded to the longest in this batch."""
    ids = torch.nn.utils.rnn.pad_sequence([e["input_ids"] for e in examples], batch_first=True)
    return {"input_ids": ids, "attention_mask": (ids != 0).long(),
            "labels": torch.stack([e["labels"] for e in examples])}


def test_a_hugging_face_model_that_returns_its_own_loss():
    transformers = pytest.importorskip("transformers")
    config = transformers.BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=32, max_position_embeddings=16,
                                     num_labels=2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config)
    lengths = torch.randint(3, 12, (96,))
    examples = []
    for n in lengths.tolist():
        ids = torch.randint(1, 30, (n,))
        examples.append({"input_ids": ids, "labels": (ids == 7).any().long()})
    loader = DataLoader(examples, batch_size=16, shuffle=True, collate_fn=_pad)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    before = {key: value.clone() for key, value in model.state_dict().items()}

    result = range_test(model, optimizer, None, loader, start_lr=1e-5, end_lr=1.0, steps=25, probe_size=40)

    assert result.steps > 5 and np.all(np.isfinite(result.probe))
    assert result.lrs[0] == pytest.approx(1e-5)
    assert result.suggestion is not None
    assert all(torch.equal(value, before[key]) for key, value in model.state_dict().items())


CROSS_ENTROPY = torch.nn.functional.cross_entropy


@pytest.mark.parametrize(
    ("loss_fn", "options", "said"),
    [
        (CROSS_ENTROPY, {}, "the batches are dicts with keys 'features', 'label'; name the target"),
        (CROSS_ENTROPY, {"target": "labels"}, "no key 'labels'; their keys are 'features', 'label'"),
        (None, {}, "the model's forward takes no 'label' \\(it takes features\\)"),
        (CROSS_ENTROPY, {"inputs": "features"}, "name the target"),
    ],
)
def test_dict_batches_it_cannot_read_are_one_clear_error(loss_fn, options, said):
    x, y = _data()
    model = Net()
    with pytest.raises(FinderError, match=said):
        range_test(model, torch.optim.SGD(model.parameters(), lr=1.0), loss_fn,
                   DataLoader(Features(x, y), batch_size=32), steps=5, **options)


def test_a_model_that_returns_no_loss_is_one_clear_error():
    x, _ = _data()
    model = Net()
    said = "the model returned Tensor with no loss for a batch with keys 'features'"
    with pytest.raises(FinderError, match=said):
        range_test(model, torch.optim.SGD(model.parameters(), lr=1.0), None,
                   DataLoader([{"features": row} for row in x], batch_size=32), steps=5)


def test_pairs_without_a_loss_function_are_one_clear_error():
    x, y = _data()
    model = torch.nn.Linear(8, 2)
    with pytest.raises(FinderError, match="loss_fn=None needs dict batches"):
        range_test(model, torch.optim.SGD(model.parameters(), lr=1.0), None,
                   DataLoader(TensorDataset(x, y), batch_size=32), steps=5)
