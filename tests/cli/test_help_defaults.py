"""`--help` of train and find: every option says what it does and its default."""

from __future__ import annotations

import argparse

import pytest

from lrkit.cli import _find, _train


@pytest.mark.parametrize("module", [_train, _find])
def test_every_option_says_what_it_does_and_its_default(module):
    commands = argparse.ArgumentParser().add_subparsers()
    module.add_parser(commands)
    parser = next(iter(commands.choices.values()))
    options = [action for action in parser._actions if action.option_strings and action.dest != "help"]
    assert options
    for action in options:
        text = (action.help or "") % {"default": action.default}
        assert "default" in text, action.option_strings
        if action.default not in (None, False):
            assert f"{action.default:g}" in text if isinstance(action.default, float) else \
                str(action.default) in text, action.option_strings
