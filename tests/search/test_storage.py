"""The storage URL as the docs spell it works, and a missing driver is one line naming the fix."""

from __future__ import annotations

import subprocess
import sys

import optuna
import pytest

from lrkit.search._space import SearchError
from lrkit.search._sweep import open_storage


@pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")  # lrkit's sweep uses its own loop
def test_the_documented_postgresql_url_opens_a_study(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql://")  # no +driver: the spelling of README and --help
    storage = open_storage(postgres_url)
    study = optuna.create_study(storage=storage, study_name="documented-url")
    study.enqueue_trial({"x": 1.0})
    trial = study.ask()
    study.tell(trial, 0.5)
    assert optuna.load_study(study_name="documented-url", storage=postgres_url).best_value == 0.5


@pytest.mark.parametrize(("url", "names"), [
    ("postgresql+pg8000://me@127.0.0.1:1/db", ["'pg8000'", "postgresql"]),
    ("mysql://me@127.0.0.1:1/db", ["'mysqldb'", "MySQLdb"]),
])
def test_a_missing_driver_is_named_with_its_fix(url: str, names: list[str]) -> None:
    with pytest.raises(SearchError) as caught:
        open_storage(url)
    message = str(caught.value)
    assert "\n" not in message and "not installed" in message
    assert all(name in message for name in names)


def test_without_psycopg_the_plain_url_names_the_postgres_extra() -> None:
    # A fresh interpreter where importing psycopg fails, as on a plain `pip install lrkit`.
    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from lrkit.search._sweep import open_storage\n"
        "open_storage('postgresql://me@127.0.0.1:1/db')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "pip install 'lrkit[postgres]'" in result.stderr.strip().splitlines()[-1]
