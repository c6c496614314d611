"""The Controller protocol, the config round trip and the spec string."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrkit
from lrkit.control import Controller, ControllerError, Plateau, controller_from_dict
from lrkit.control._protocol import ConfigMixin


def test_controller_error_is_a_value_error() -> None:
    assert issubclass(ControllerError, ValueError)


def test_plateau_is_a_controller() -> None:
    assert isinstance(Plateau(), Controller)
    assert not isinstance(object(), Controller)


def test_spec_lists_only_non_default_parameters_in_field_order() -> None:
    assert str(Plateau()) == "plateau()"
    assert str(Plateau(patience=3, factor=0.5)) == "plateau(factor=0.5, patience=3)"
    assert str(Plateau(mode="max", threshold=1e-05)) == 'plateau(threshold=1e-05, mode="max")'


def test_spec_formats_booleans_and_strings() -> None:
    @dataclass(frozen=True)
    class Guard(ConfigMixin):
        type_name: ClassVar[str] = "guard"
        enabled: bool = False
        label: str = ""
        ratio: float = 1.0

    assert str(Guard(enabled=True, label="x", ratio=0.25)) == (
        'guard(enabled=true, label="x", ratio=0.25)'
    )
    assert Guard(ratio=2.0).to_dict() == {
        "type": "guard",
        "enabled": False,
        "label": "",
        "ratio": 2.0,
    }


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "factor": st.floats(0.01, 0.99),
            "patience": st.integers(0, 100),
            "threshold": st.floats(0.0, 0.5),
            "threshold_mode": st.sampled_from(["rel", "abs"]),
            "mode": st.sampled_from(["min", "max"]),
            "cooldown": st.integers(0, 10),
            "min_scale": st.floats(0.0, 1.0),
            "raise_factor": st.one_of(st.none(), st.floats(1.01, 100.0)),
            "monitor": st.sampled_from(["metric", "loss"]),
        },
    )
)
def test_to_dict_round_trip(kwargs: dict) -> None:
    plateau = Plateau(**kwargs)
    rebuilt = controller_from_dict(plateau.to_dict())
    assert isinstance(rebuilt, Plateau)
    assert rebuilt.to_dict() == plateau.to_dict()
    assert str(rebuilt) == str(plateau)


@pytest.mark.parametrize(
    ("d", "message"),
    [
        ({"factor": 0.5}, "needs a 'type' key"),
        ({"type": "plateu"}, "unknown controller type 'plateu'; known types: plateau"),
        ({"type": "plateau", "min_lr": 0.1}, "unknown parameter.*min_lr.*allowed: cooldown"),
        ({"type": "plateau", "factor": 2.0}, "factor=2.0"),
    ],
)
def test_controller_from_dict_rejects_bad_dicts(d: dict, message: str) -> None:
    with pytest.raises(ControllerError, match=message):
        controller_from_dict(d)


def test_control_imports_the_standard_library_only() -> None:
    code = (
        "import sys; import lrkit.control; "
        "print(sorted({'numpy', 'torch'} & {m.split('.')[0] for m in sys.modules}))"
    )
    src = str(Path(lrkit.__file__).parents[1])
    out = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {src!r}); {code}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"
