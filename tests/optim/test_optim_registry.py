"""Creating optimizers by name: classes, defaults, overrides, param groups and the listing."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from lrkit.optim import OptimizerInfo, create_optimizer, list_optimizers

TORCH_NAMES = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]
FREE = {  # name -> (import name, class name, pip package)
    "prodigy": ("prodigyopt", "Prodigy", "prodigyopt"),
    "dadapt-adam": ("dadaptation", "DAdaptAdam", "dadaptation"),
    "dadapt-sgd": ("dadaptation", "DAdaptSGD", "dadaptation"),
    "schedulefree-adamw": ("schedulefree", "AdamWScheduleFree", "schedulefree"),
    "schedulefree-sgd": ("schedulefree", "SGDScheduleFree", "schedulefree"),
    "dog": ("dog", "DoG", "dog-optimizer"),
}


def _param() -> list[torch.nn.Parameter]:
    return [torch.nn.Parameter(torch.zeros(3))]


def _needs(name: str) -> pytest.MarkDecorator:
    module, _, package = FREE[name]
    missing = importlib.util.find_spec(module) is None
    return pytest.mark.skipif(missing, reason=f"{package} is not installed (lrkit[free])")


@pytest.mark.parametrize(
    ("name", "cls", "expected"),
    [
        ("sgd", torch.optim.SGD, {"momentum": 0, "nesterov": False}),
        ("momentum", torch.optim.SGD, {"momentum": 0.9, "nesterov": False}),
        ("nesterov", torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
        ("adagrad", torch.optim.Adagrad, {"lr_decay": 0}),
        ("rmsprop", torch.optim.RMSprop, {"momentum": 0, "alpha": 0.99}),
        ("adam", torch.optim.Adam, {"betas": (0.9, 0.999), "weight_decay": 0}),
        ("adamw", torch.optim.AdamW, {"betas": (0.9, 0.999), "weight_decay": 0.01}),
    ],
)
def test_torch_names_give_their_class_and_defaults(name, cls, expected):
    optimizer = create_optimizer(name, _param(), 0.05)
    assert type(optimizer) is cls
    group = optimizer.param_groups[0]
    assert group["lr"] == 0.05
    assert {key: group[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("momentum", {"momentum": 0.8, "weight_decay": 1e-4}),
        ("nesterov", {"momentum": 0.95, "dampening": 0.0}),
        ("sgd", {"momentum": 0.5}),
        ("adam", {"betas": (0.8, 0.9), "eps": 1e-6}),
        ("rmsprop", {"alpha": 0.9, "centered": True}),
    ],
)
def test_user_arguments_override_defaults(name, args):
    group = create_optimizer(name, _param(), 0.1, **args).param_groups[0]
    assert {key: group[key] for key in args} == args
    if name == "nesterov":
        assert group["nesterov"] is True


@pytest.mark.parametrize("name", ["sgd", "adam", pytest.param("prodigy", marks=_needs("prodigy"))])
def test_param_groups_keep_their_own_lr(name):
    first, second = _param(), _param()
    groups = [{"params": first, "lr": 0.5}, {"params": second}]
    optimizer = create_optimizer(name, groups, 0.01)
    assert [group["lr"] for group in optimizer.param_groups] == [0.5, 0.01]
    assert optimizer.param_groups[0]["params"] == first


@pytest.mark.parametrize("spelling", ["ADAMW", " AdamW ", "Nesterov"])
def test_names_ignore_case_and_spaces(spelling):
    optimizer = create_optimizer(spelling, _param(), 0.1)
    assert type(optimizer).__name__.lower() in {"adamw", "sgd"}


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        pytest.param("dadapt_adam", "dadapt-adam", marks=_needs("dadapt-adam")),
        pytest.param("SCHEDULEFREE_SGD", "schedulefree-sgd", marks=_needs("schedulefree-sgd")),
    ],
)
def test_underscores_stand_for_dashes(spelling, name):
    optimizer = create_optimizer(spelling, _param(), 1.0)
    assert type(optimizer).__name__ == FREE[name][1]


@given(
    name=st.sampled_from(TORCH_NAMES),
    lr=st.floats(min_value=0, exclude_min=True, allow_infinity=False, allow_nan=False),
)
def test_any_positive_finite_lr_is_stored(name, lr):
    optimizer = create_optimizer(name, _param(), lr)
    assert optimizer.param_groups[0]["lr"] == lr
    assert optimizer.defaults["lr"] == lr


@pytest.mark.parametrize("name", [pytest.param(name, marks=_needs(name)) for name in FREE])
def test_free_names_give_the_authors_class(name):
    module, class_name, _ = FREE[name]
    info = next(info for info in list_optimizers() if info.name == name)
    optimizer = create_optimizer(name, _param(), info.default_lr)
    cls = getattr(importlib.import_module(module), class_name)
    assert type(optimizer) is cls
    assert optimizer.param_groups[0]["lr"] == info.default_lr
    # the listing's default is the package's own default for its lr argument
    assert inspect.signature(cls).parameters["lr"].default == info.default_lr


def test_listing_describes_every_optimizer():
    infos = list_optimizers()
    assert [info.name for info in infos] == TORCH_NAMES + list(FREE)
    for info in infos:
        assert isinstance(info, OptimizerInfo)
        assert info.description and "\n" not in info.description
        if info.name in TORCH_NAMES:
            assert info.package is None and info.default_lr is None
            assert info.available and not info.lr_free
        else:
            assert info.package is not None
            module = FREE[info.name][0]
            assert info.available == (importlib.util.find_spec(module) is not None)
    by_name = {info.name: info for info in infos}
    assert by_name["dog"].package == "dog-optimizer"
    lr_free = {name for name, info in by_name.items() if info.lr_free}
    assert lr_free == {"prodigy", "dadapt-adam", "dadapt-sgd", "dog"}
    assert by_name["schedulefree-adamw"].default_lr == 0.0025
    assert by_name["schedulefree-sgd"].default_lr == 1.0


def test_listing_is_frozen():
    info = list_optimizers()[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.name = "other"  # type: ignore[misc]
