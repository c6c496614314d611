"""A recipe as something to paste into a plain PyTorch training loop (the `lrkit train` command
line is `Recipe.command`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..train import Recipe


def python_loop(recipe: Recipe, steps: int, eval_every: int | None = None) -> str:
    """The recipe in a plain PyTorch loop: the optimizer by its class, the schedule (written out
    over `steps`) through lrkit's `LRSchedule`, plateau control fed every `eval_every` steps."""
    from ..optim._catalog import BY_NAME

    entry = BY_NAME[recipe.optimizer]
    arguments = "".join(f", {key}={value!r}" for key, value in {**entry.defaults,
                                                                  **recipe.optimizer_args}.items())
    spec = str(recipe.build_schedule(steps))
    torch_own = entry.module == "torch.optim"
    lines = ["import torch", "from lrkit.adapters.torch import LRSchedule"]
    if recipe.plateau:
        lines.append("from lrkit.control import parse_controller")
    if not torch_own:
        lines += [f"from {entry.module} import {entry.class_name}", "from lrkit.optim import train_mode"]
    lines += ["", "# model, loss_fn, batches (an endless iterator of (x, y)) and validation_loss(): yours."]
    cls = f"torch.optim.{entry.class_name}" if torch_own else entry.class_name
    lines.append(f"optimizer = {cls}(model.parameters(), lr={recipe.lr!r}{arguments})")
    if not torch_own:
        lines.append("train_mode(optimizer)  # schedule-free optimizers need it; eval_mode() to validate")
    controller = f", controller=parse_controller({recipe.plateau!r})" if recipe.plateau else ""
    lines += [f"scheduler = LRSchedule(optimizer, {spec!r}{controller})", f"for step in range({steps}):",
              "    x, y = next(batches)", "    loss = loss_fn(model(x), y)", "    optimizer.zero_grad()",
              "    loss.backward()", "    optimizer.step()", "    scheduler.step()"]
    if recipe.plateau:
        every = eval_every or max(1, steps // 20)
        lines += [f"    if (step + 1) % {every} == 0:  # the plateau watches the validation loss",
                  "        scheduler.observe(metric=validation_loss())"]
    return "\n".join(lines) + "\n"
