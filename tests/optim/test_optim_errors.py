"""Bad names, arguments, learning rates and missing packages give one-line OptimizerErrors."""

from __future__ import annotations

import importlib
import importlib.util
import math
import sys

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from lrkit.optim import OptimizerError, create_optimizer, list_optimizers

FREE_PACKAGES = {  # name -> (import name, pip package)
    "prodigy": ("prodigyopt", "prodigyopt"),
    "dadapt-adam": ("dadaptation", "dadaptation"),
    "dadapt-sgd": ("dadaptation", "dadaptation"),
    "schedulefree-adamw": ("schedulefree", "schedulefree"),
    "schedulefree-sgd": ("schedulefree", "schedulefree"),
    "dog": ("dog", "dog-optimizer"),
}


def _param() -> list[torch.nn.Parameter]:
    return [torch.nn.Parameter(torch.zeros(3))]


def _error(*args, **kwargs) -> str:
    with pytest.raises(OptimizerError) as info:
        create_optimizer(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_error_is_a_value_error():
    assert issubclass(OptimizerError, ValueError)


def test_unknown_name_suggests_close_matches_and_lists_names():
    message = _error("adma", _param(), 0.1)
    assert "unknown optimizer 'adma'" in message
    assert "did you mean 'adam'" in message
    for info in list_optimizers():
        assert info.name in message


def test_unknown_name_without_close_match_still_lists_names():
    message = _error("lbfgs-ish-thing", _param(), 0.1)
    assert "did you mean" not in message
    assert "sgd, momentum, nesterov" in message


def test_argument_the_optimizer_lacks():
    message = _error("adam", _param(), 1e-3, momentum=0.9)
    assert "optimizer 'adam' has no argument 'momentum'" in message
    assert "betas" in message and "amsgrad" in message


def test_misspelt_argument_gets_a_suggestion():
    message = _error("adamw", _param(), 1e-3, beta=(0.9, 0.99))
    assert "did you mean 'betas'" in message


def test_argument_a_free_optimizer_lacks():
    if importlib.util.find_spec("dog") is None:
        pytest.skip("dog-optimizer is not installed (lrkit[free])")
    message = _error("dog", _param(), 1.0, momentum=0.9)
    assert "optimizer 'dog' has no argument 'momentum'" in message
    assert "reps_rel" in message


@pytest.mark.parametrize(
    ("name", "args", "cause"),
    [
        ("sgd", {"momentum": -1.0}, "momentum"),
        ("nesterov", {"momentum": 0.0}, "Nesterov"),
        ("adam", {"betas": (1.5, 0.999)}, "beta"),
    ],
)
def test_bad_argument_value_names_the_optimizer_and_the_cause(name, args, cause):
    message = _error(name, _param(), 0.1, **args)
    assert message.startswith(f"optimizer {name!r}: ")
    assert cause in message


@pytest.mark.parametrize("lr", [-1.0, 0.0, math.nan, math.inf, -math.inf, "0.1", True, None])
@pytest.mark.parametrize("name", ["sgd", "adam", "prodigy", "schedulefree-adamw"])
def test_bad_learning_rate(name, lr):
    message = _error(name, _param(), lr)
    assert "learning rate must be positive and finite" in message


@given(lr=st.floats().filter(lambda lr: not (lr > 0 and math.isfinite(lr))))
def test_no_nonpositive_or_nonfinite_lr_gets_through(lr):
    with pytest.raises(OptimizerError):
        create_optimizer("adam", _param(), lr)


def test_bad_learning_rate_of_a_param_group():
    groups = [{"params": _param()}, {"params": _param(), "lr": -0.5}]
    message = _error("sgd", groups, 0.1)
    assert "learning rate of param group 1 must be positive and finite, got -0.5" in message


@pytest.mark.parametrize(("name", "module", "package"), [(n, *m) for n, m in FREE_PACKAGES.items()])
def test_missing_package_names_pip_package_and_extra(monkeypatch, name, module, package):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    message = _error(name, _param(), 1.0)
    assert message == f"optimizer {name!r} needs the package {package!r}: pip install 'lrkit[free]'"
    assert not next(info for info in list_optimizers() if info.name == name).available


def test_optional_packages_are_imported_only_when_asked_for(monkeypatch):
    for module in {module for module, _ in FREE_PACKAGES.values()}:
        monkeypatch.setitem(sys.modules, module, None)  # importing it would now fail
    for loaded in [name for name in sys.modules if name.startswith("lrkit.optim")]:
        monkeypatch.delitem(sys.modules, loaded)  # restored after the test
    fresh = importlib.import_module("lrkit.optim")
    assert not any(info.available for info in fresh.list_optimizers() if info.package)
    assert isinstance(fresh.create_optimizer("adam", _param(), 0.1), torch.optim.Adam)
