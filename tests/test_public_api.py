"""The public API is importable from `lrkit`, and importing the schedules alone needs no torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

import lrkit


@pytest.mark.parametrize("name", lrkit.__all__)
def test_every_public_name_resolves(name):
    assert getattr(lrkit, name) is not None
    assert name in dir(lrkit)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        lrkit.nope  # noqa: B018


def test_the_schedules_import_without_torch():
    code = "import sys, lrkit.schedules, lrkit.control; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
