"""Hypothesis profiles, chosen with HYPOTHESIS_PROFILE.

`default`: the same examples on every run (derandomized, no example database) and no deadline
(a wall-clock limit fails on a slow first call or a busy machine), so a change can only fail a
property test through what it changed; a failure prints the blob that replays it.
`explore`: fresh random examples, ten times as many, to hunt for bugs; the seed is printed in
the header and `--hypothesis-seed=N` replays a run.
"""

from __future__ import annotations

import os
import random
import signal

import pytest
from hypothesis import settings
from postgres_server import postgres_url  # noqa: F401  (a fixture: a private PostgreSQL server)

COMMON = {"database": None, "deadline": None, "print_blob": True}
settings.register_profile("default", derandomize=True, **COMMON)
settings.register_profile("explore", derandomize=False, max_examples=1000, **COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)


def _profile(config: pytest.Config) -> str:
    return config.getoption("hypothesis_profile", None) or PROFILE


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # Before Hypothesis' plugin reads it: a seed drawn here can be printed, one it draws cannot.
    if _profile(config) == "explore" and config.getoption("hypothesis_seed", None) is None:
        config.option.hypothesis_seed = str(random.SystemRandom().randrange(2**32))


def pytest_report_header(config: pytest.Config) -> str:
    seed = config.getoption("hypothesis_seed", None)
    replay = f", seed {seed} (replay: --hypothesis-seed={seed})" if seed is not None else ""
    return f"hypothesis profile {_profile(config)!r}{replay}"


def pytest_sessionstart(session: pytest.Session) -> None:
    # The Ctrl-C tests press Ctrl-C on lrkit processes they start, as a terminal does. A test run
    # started with Ctrl-C ignored (under nohup, as a background job of a script) would hand that on
    # to them, since an ignored signal stays ignored across exec, and they would never see it.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
