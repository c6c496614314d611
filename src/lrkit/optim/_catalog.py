"""The optimizers lrkit knows by name: where each class lives and what its learning rate means."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entry:
    """One registered optimizer: its class's import path, lrkit's defaults and its ``lr``'s role.

    ``lr_free``: ``lr`` multiplies a step size the optimizer estimates itself; keep ``default_lr``.
    ``default_lr``: the rate its authors recommend, or None where it must be measured.
    ``package``/``extra``: the pip package providing the class and lrkit's extra installing it
    (None for torch's own optimizers).
    """

    name: str
    description: str
    module: str
    class_name: str
    defaults: dict[str, Any] = field(default_factory=dict)
    lr_free: bool = False
    default_lr: float | None = None
    package: str | None = None
    extra: str | None = None


def _torch(name: str, class_name: str, description: str, **defaults: Any) -> Entry:
    return Entry(name, description, "torch.optim", class_name, defaults)


def _free(**fields: Any) -> Entry:
    return Entry(**fields, extra="free")


_MULTIPLIER = "lr is a multiplier, keep 1.0"

ENTRIES: tuple[Entry, ...] = (
    _torch("sgd", "SGD", "SGD without momentum: w <- w - lr * g"),
    _torch("momentum", "SGD", "SGD with heavy-ball momentum 0.9", momentum=0.9),
    _torch("nesterov", "SGD", "SGD with Nesterov momentum 0.9", momentum=0.9, nesterov=True),
    _torch("adagrad", "Adagrad", "Adagrad: per-coordinate rates shrink with summed squared grads"),
    _torch("rmsprop", "RMSprop", "RMSprop: per-coordinate rates from averaged squared gradients"),
    _torch("adam", "Adam", "Adam: momentum plus per-coordinate rates, with bias correction"),
    _torch("adamw", "AdamW", "AdamW: Adam with decoupled weight decay (0.01 by default)"),
    _free(
        name="prodigy",
        package="prodigyopt",
        module="prodigyopt",
        class_name="Prodigy",
        description=f"Prodigy: Adam with an estimated step size; {_MULTIPLIER}",
        lr_free=True,
        default_lr=1.0,
    ),
    _free(
        name="dadapt-adam",
        package="dadaptation",
        module="dadaptation",
        class_name="DAdaptAdam",
        description=f"D-Adaptation Adam: estimated step size; {_MULTIPLIER}",
        lr_free=True,
        default_lr=1.0,
    ),
    _free(
        name="dadapt-sgd",
        package="dadaptation",
        module="dadaptation",
        class_name="DAdaptSGD",
        description=f"D-Adaptation SGD: estimated step size; {_MULTIPLIER}",
        lr_free=True,
        default_lr=1.0,
    ),
    _free(
        name="schedulefree-adamw",
        package="schedulefree",
        module="schedulefree",
        class_name="AdamWScheduleFree",
        description="Schedule-Free AdamW: no decay schedule needed; lr is a real rate",
        default_lr=0.0025,
    ),
    _free(
        name="schedulefree-sgd",
        package="schedulefree",
        module="schedulefree",
        class_name="SGDScheduleFree",
        description="Schedule-Free SGD: no decay schedule needed; lr is a real rate",
        default_lr=1.0,
    ),
    _free(
        name="dog",
        package="dog-optimizer",
        module="dog",
        class_name="DoG",
        description=f"DoG: SGD stepping distance travelled over gradient norms; {_MULTIPLIER}",
        lr_free=True,
        default_lr=1.0,
    ),
)

BY_NAME: dict[str, Entry] = {entry.name: entry for entry in ENTRIES}
