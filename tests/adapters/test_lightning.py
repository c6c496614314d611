"""LrkitCallback in a real Lightning Trainer: the rates each optimizer step applies, logging,
plateau control, resuming from a checkpoint and the divergence guard."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("lightning", reason="install the integrations extra: pip install -e '.[integrations]'")
import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import LearningRateMonitor
from lightning.pytorch.loggers import Logger

from lrkit.adapters.lightning import LrkitCallback
from lrkit.control import Plateau
from lrkit.errors import LrkitError
from lrkit.schedules import parse

SPEC = "warmup(5, start=0.1) >> cosine(lr=0.2, steps=20, min_lr=0.01)"

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*(val_dataloader|LeafSpec|dataloader is not resumable|num_workers).*"
)


class ListLogger(Logger):
    """Keeps every logged row as (step, metrics) in memory."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[int, dict[str, float]]] = []

    name = "list"
    version = 0

    def log_hyperparams(self, *args, **kwargs) -> None:
        pass

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self.rows.append((step, dict(metrics)))

    def values(self, key: str) -> dict[int, float]:
        return {step: metrics[key] for step, metrics in self.rows if key in metrics}


class Tiny(pl.LightningModule):
    """A linear regression that records the rate of every update its optimizer applies."""

    def __init__(self, nan_at: int | None = None, groups: bool = False) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body = torch.nn.Linear(4, 4)
        self.head = torch.nn.Linear(4, 1)
        self.nan_at = nan_at
        self.groups = groups
        self.applied: list[list[float]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.tanh(self.body(x)))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self(x), y)
        if self.trainer.global_step == self.nan_at:
            loss = loss * math.nan
        return loss

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", torch.tensor(1.0))  # never improves: the plateau reduces each time

    def configure_optimizers(self):
        if self.groups:
            body = {"params": self.body.parameters(), "name": "body", "lr": 0.05}
            params = [body, {"params": self.head.parameters()}]
        else:
            params = self.parameters()
        optimizer = torch.optim.SGD(params, lr=0.1, momentum=0.9)
        optimizer.register_step_pre_hook(
            lambda opt, *_: self.applied.append([group["lr"] for group in opt.param_groups])
        )
        return optimizer


def _data(n: int = 64) -> torch.utils.data.DataLoader:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=generator)
    dataset = torch.utils.data.TensorDataset(x, x.sum(dim=1, keepdim=True).sin())
    return torch.utils.data.DataLoader(dataset, batch_size=4)


def _fit(
    module: Tiny, callbacks: list, max_steps: int, ckpt_path=None, **options
) -> tuple[pl.Trainer, ListLogger]:
    logger = ListLogger()
    trainer = pl.Trainer(
        accelerator="cpu",
        max_steps=max_steps,
        logger=logger,
        callbacks=callbacks,
        log_every_n_steps=1,
        enable_progress_bar=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        **options,
    )
    validation = _data(8) if "val_check_interval" in options else None
    trainer.fit(module, _data(), validation, ckpt_path=ckpt_path)
    return trainer, logger


@pytest.mark.parametrize("accumulate", [1, 2])
def test_each_update_applies_the_schedule_and_the_logged_rate_matches(accumulate: int) -> None:
    schedule = parse(SPEC)
    module = Tiny()
    trainer, logger = _fit(module, [LrkitCallback(SPEC)], max_steps=30, accumulate_grad_batches=accumulate)
    assert trainer.global_step == 30
    assert [rates[0] for rates in module.applied] == schedule.values(30).tolist()
    logged = logger.values("lr-SGD")
    assert sorted(logged) == list(range(30))
    assert logged == pytest.approx({step: schedule(step) for step in range(30)}, rel=1e-6)


def test_keys_match_learning_rate_monitor_with_param_groups() -> None:
    schedule = parse(SPEC)
    module = Tiny(groups=True)
    _, logger = _fit(module, [LrkitCallback(SPEC), LearningRateMonitor()], max_steps=6)
    ours = {key for _, metrics in logger.rows for key in metrics if key.startswith("lr-")}
    assert ours == {"lr-SGD/body", "lr-SGD/pg2"}
    assert module.applied == [[0.5 * schedule(k), schedule(k)] for k in range(6)]
    # LearningRateMonitor's own rows (ours also carry "epoch"): the same rates under the same keys.
    theirs = {step: metrics["lr-SGD/pg2"] for step, metrics in logger.rows if "epoch" not in metrics}
    assert theirs == {k: schedule(k) for k in range(6)}


class TwoOptimizers(Tiny):
    """Manual optimization: the body's optimizer steps at every batch, the head's at every other one."""

    def __init__(self) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.applied_by = {"body": [], "head": []}

    def training_step(self, batch, batch_idx):
        body, head = self.optimizers()
        x, y = batch
        self.manual_backward(torch.nn.functional.mse_loss(self(x), y))
        body.step()
        body.zero_grad()
        if batch_idx % 2:
            head.step()
            head.zero_grad()

    def configure_optimizers(self):
        optimizers = []
        for name in ("body", "head"):
            optimizer = torch.optim.SGD(getattr(self, name).parameters(), lr=0.1)
            record = self.applied_by[name].append
            optimizer.register_step_pre_hook(lambda opt, *_, record=record: record(opt.param_groups[0]["lr"]))
            optimizers.append(optimizer)
        return optimizers


def test_each_optimizer_follows_the_schedule_by_its_own_updates() -> None:
    schedule = parse(SPEC)
    module = TwoOptimizers()
    _, logger = _fit(module, [LrkitCallback(SPEC)], max_steps=-1, max_epochs=1)
    assert module.applied_by["body"] == schedule.values(16).tolist()
    assert module.applied_by["head"] == schedule.values(8).tolist()
    assert {key for _, metrics in logger.rows for key in metrics} >= {"lr-SGD", "lr-SGD-1"}
    assert logger.values("lr-SGD-1")[15] == pytest.approx(schedule(7), rel=1e-6)


def test_plateau_lowers_the_rate_from_the_update_after_validation() -> None:
    schedule = parse(SPEC)
    module = Tiny()
    plateau = Plateau(factor=0.5, patience=0)
    _fit(module, [LrkitCallback(SPEC, plateau)], max_steps=20, val_check_interval=5)
    # val_loss is 1.0 at every validation (after updates 5, 10, 15): the first sets the best,
    # each later one reduces, and the very next update uses the reduced rate.
    multipliers = [1.0] * 10 + [0.5] * 5 + [0.25] * 5
    assert [rates[0] for rates in module.applied] == [m * schedule(k) for k, m in enumerate(multipliers)]
    assert plateau.reductions == 2


def test_controller_spec_and_missing_metric_are_reported() -> None:
    callback = LrkitCallback(SPEC, "plateau(factor=0.5, patience=0)", monitor="val_acc")
    assert isinstance(callback.controller, Plateau) and callback.controller.factor == 0.5
    with pytest.raises(LrkitError, match=r"watches 'val_acc'.*logged metrics.*val_loss"):
        _fit(Tiny(), [callback], max_steps=10, val_check_interval=5)


def test_a_resumed_run_continues_the_schedule_and_the_controller(tmp_path) -> None:
    schedule = parse(SPEC)
    plateau = Plateau(factor=0.5, patience=0)
    first, _ = _fit(Tiny(), [LrkitCallback(SPEC, plateau)], max_steps=10, val_check_interval=5)
    assert plateau.reductions == 1
    first.save_checkpoint(tmp_path / "run.ckpt")
    module, fresh = Tiny(), Plateau(factor=0.5, patience=0)
    callbacks = [LrkitCallback(SPEC, fresh)]
    _fit(module, callbacks, max_steps=14, ckpt_path=tmp_path / "run.ckpt", val_check_interval=5)
    assert fresh.state_dict()["multiplier"] == 0.5
    assert [rates[0] for rates in module.applied] == [0.5 * schedule(k) for k in range(10, 14)]


def test_guard_rolls_back_a_nan_update_and_training_goes_on() -> None:
    module = Tiny(nan_at=12)
    callback = LrkitCallback(SPEC, guard={"snapshot_every": 4, "warmup": 2})
    trainer, _ = _fit(module, [callback], max_steps=20)
    assert trainer.global_step == 20
    [event] = callback.guard.events
    assert (event.step, event.reason, event.action, event.lr_scale) == (12, "nan", "restore", 0.5)
    assert all(torch.isfinite(p).all() for p in module.parameters())
    # The updates after the rollback replay the schedule from the snapshot's step at half the rate.
    schedule, start = parse(SPEC), event.snapshot_step
    assert [rates[0] for rates in module.applied[13:]] == [0.5 * schedule(k) for k in range(start, start + 7)]


def test_refuses_a_scheduler_from_configure_optimizers() -> None:
    class WithScheduler(Tiny):
        def configure_optimizers(self):
            optimizer = super().configure_optimizers()
            return {"optimizer": optimizer, "lr_scheduler": torch.optim.lr_scheduler.StepLR(optimizer, 5)}

    with pytest.raises(LrkitError, match="return only the optimizer"):
        _fit(WithScheduler(), [LrkitCallback(SPEC)], max_steps=2)
