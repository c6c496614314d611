"""lrkit schedules in a real Hugging Face Trainer: the rate each optimizer update applies, the rate
the Trainer logs, gradient accumulation, the Trainer's own optimizer and plateau control."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="install the integrations extra: pip install -e '.[integrations]'")
pytest.importorskip("accelerate", reason="install the integrations extra: pip install -e '.[integrations]'")
import torch
from transformers import Trainer, TrainingArguments

from lrkit.adapters.huggingface import ControllerCallback, attach_schedule
from lrkit.adapters.torch import LRSchedule
from lrkit.control import Plateau
from lrkit.errors import LrkitError
from lrkit.schedules import parse

SPEC = "warmup(3, start=0.1) >> cosine(lr=0.05, steps=10, min_lr=0.001)"
STEPS = 12


class Regression(torch.nn.Module):
    """What the Trainer needs of a model: keyword inputs and a dict with the loss."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.linear = torch.nn.Linear(4, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"loss": torch.nn.functional.mse_loss(self.linear(x), labels)}


class Pairs(torch.utils.data.Dataset):
    def __init__(self, n: int) -> None:
        generator = torch.Generator().manual_seed(n)
        self.x = torch.randn(n, 4, generator=generator)
        self.y = self.x.sum(dim=1, keepdim=True).sin()

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"x": self.x[i], "labels": self.y[i]}


def _trainer(tmp_path, model: torch.nn.Module | None = None, optimizers=(None, None), **options) -> Trainer:
    options = {"save_strategy": "no", **options}
    args = TrainingArguments(
        output_dir=str(tmp_path),
        max_steps=STEPS,
        per_device_train_batch_size=4,
        report_to=[],
        use_cpu=True,
        logging_steps=1,
        disable_tqdm=True,
        **options,
    )
    data = {"train_dataset": Pairs(64), "eval_dataset": Pairs(8)}
    return Trainer(model=model or Regression(), args=args, optimizers=optimizers, **data)


def _record(optimizer: torch.optim.Optimizer) -> list[list[float]]:
    applied: list[list[float]] = []
    optimizer.register_step_pre_hook(lambda opt, *_: applied.append([g["lr"] for g in opt.param_groups]))
    return applied


@pytest.mark.parametrize("accumulate", [1, 2])
def test_trainer_applies_and_logs_the_schedule_at_each_update(tmp_path, accumulate: int) -> None:
    schedule = parse(SPEC)
    model = Regression()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    applied = _record(optimizer)
    scheduler = LRSchedule(optimizer, SPEC)
    trainer = _trainer(tmp_path, model, (optimizer, scheduler), gradient_accumulation_steps=accumulate)
    trainer.train()
    assert trainer.state.global_step == STEPS
    assert [rates[0] for rates in applied] == schedule.values(STEPS).tolist()
    history = trainer.state.log_history
    logged = {row["step"]: row["learning_rate"] for row in history if "learning_rate" in row}
    assert logged == {k + 1: schedule(k) for k in range(STEPS)}  # the Trainer logs update k as step k + 1


def test_attach_schedule_drives_the_trainers_own_optimizer(tmp_path) -> None:
    schedule = parse(SPEC)
    trainer = _trainer(tmp_path, learning_rate=1.0, weight_decay=0.01)
    scheduler = attach_schedule(trainer, SPEC)
    assert isinstance(trainer.optimizer, torch.optim.AdamW) and len(trainer.optimizer.param_groups) == 2
    applied = _record(trainer.optimizer)
    trainer.train()
    assert trainer.lr_scheduler is scheduler
    assert applied == [[schedule(k)] * 2 for k in range(STEPS)]  # args.learning_rate no longer matters


def test_plateau_on_eval_loss_applies_from_the_next_update(tmp_path) -> None:
    schedule = parse(SPEC)
    trainer = _trainer(tmp_path, eval_strategy="steps", eval_steps=4)
    # A relative threshold of 0.99 counts nothing after the first evaluation as an improvement.
    plateau = Plateau(factor=0.5, patience=0, threshold=0.99)
    attach_schedule(trainer, SPEC, plateau, monitor="loss")
    applied = _record(trainer.optimizer)
    trainer.train()
    # Evaluations after updates 4, 8 and 12: the first sets the best, the second halves the rate.
    assert [rates[0] for rates in applied] == [schedule(k) * (0.5 if k >= 8 else 1.0) for k in range(STEPS)]
    assert plateau.reductions == 2


def test_resuming_from_a_checkpoint_continues_the_schedule(tmp_path) -> None:
    schedule = parse(SPEC)
    first = _trainer(tmp_path, save_strategy="steps", save_steps=6)
    attach_schedule(first, SPEC)
    first.train()
    resumed = _trainer(tmp_path)
    attach_schedule(resumed, SPEC)
    applied = _record(resumed.optimizer)
    resumed.train(resume_from_checkpoint=str(tmp_path / "checkpoint-6"))
    assert [rates[0] for rates in applied] == schedule.values(STEPS)[6:].tolist()


def test_errors_name_the_fix(tmp_path) -> None:
    trainer = _trainer(tmp_path, eval_strategy="steps", eval_steps=4)
    attach_schedule(trainer, SPEC, "plateau(patience=0)", monitor="accuracy")
    with pytest.raises(LrkitError, match=r"watches 'eval_accuracy'.*reported: .*eval_loss"):
        trainer.train()
    with pytest.raises(LrkitError, match="already has an lr_scheduler"):
        attach_schedule(trainer, SPEC)
    plain = _trainer(tmp_path, eval_strategy="steps", eval_steps=4)
    attach_schedule(plain, SPEC)
    plain.add_callback(ControllerCallback())
    with pytest.raises(LrkitError, match="LRSchedule with a controller"):
        plain.train()
