"""How lrkit runs training in worker processes: a worker ends silently on Ctrl-C (a real SIGINT to
a real process); a script without the `__main__` guard trains in its own process instead of
crashing; each worker checks that its task holds the parent's data; and tune trains in its own
process when runs are too short to pay for starting workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lrkit.claims._jobs import Job, train_job
from lrkit.search import Space, sweep
from lrkit.tasks import get_task
from lrkit.tasks._same_data import TaskDataError, fingerprint
from lrkit.train import Recipe
from lrkit.tune import tune
from lrkit.tune._plan import make_plan
from lrkit.tune._runner import auto_workers


def test_a_worker_ends_silently_on_ctrl_c():
    code = ("import time\nfrom lrkit._workers import quiet_on_interrupt\nquiet_on_interrupt()\n"
            "print('ready', flush=True)\ntime.sleep(60)\n")
    worker = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    assert worker.stdout.readline() == "ready\n"
    worker.send_signal(signal.SIGINT)
    _, err = worker.communicate(timeout=30)
    assert worker.returncode == 130 and err == ""


def _run_script(folder: Path, source: str, *args: str) -> subprocess.CompletedProcess:
    script = folder / "script.py"
    script.write_text(textwrap.dedent(source))
    return subprocess.run([sys.executable, *args, str(script)] if args else [sys.executable, str(script)],
                          capture_output=True, text=True, cwd=folder, timeout=600)


def test_a_call_at_the_top_of_a_script_is_seen_unless_it_is_under_the_main_guard(tmp_path):
    done = _run_script(tmp_path, """
        from lrkit._workers import unguarded_call
        print(unguarded_call())
        def main():
            print(unguarded_call())
        if __name__ == "__main__":
            print(unguarded_call())
            main()
        else:
            print("spawned")
        main()
    """)
    script = str(tmp_path / "script.py")
    assert done.stdout.splitlines() == [repr((script, 3)), "None", "None", repr((script, 11))]
    module = subprocess.run([sys.executable, "-m", "script"], capture_output=True, text=True, cwd=tmp_path)
    assert module.stdout.splitlines()[0] == repr((script, 3))  # python -m name runs it again too
    inline = subprocess.run([sys.executable, "-c", "from lrkit._workers import unguarded_call\n"
                             "print(unguarded_call())"], capture_output=True, text=True)
    assert inline.stdout == "None\n"  # nothing a spawned worker would run again


OTHER_DATA_IN_EVERY_PROCESS = """
    import os

    import torch
    from lrkit import Task

    def make_task():
        # Another offset in every process (seeding cannot help), and never the parent's: a random
        # byte matched it once in 256 runs and the test could not fail.
        x = torch.linspace(-1, 1, 256).reshape(128, 2) + os.getpid() / 2**20
        y = (x[:, 0] > x[:, 1]).long()
        return Task("urandom", lambda: torch.nn.Linear(2, 2), (x[:96], y[:96]), (x[96:], y[96:]),
                    metric="accuracy", steps=54, batch_size=16)
"""


@pytest.fixture
def urandom_task(tmp_path) -> str:
    path = tmp_path / "urandom_task.py"
    path.write_text(textwrap.dedent(OTHER_DATA_IN_EVERY_PROCESS))
    return f"{path}:make_task"


def _one_line_naming(caught: pytest.ExceptionInfo, ref: str) -> None:
    message = str(caught.value)
    assert "\n" not in message and ref in message and "deterministically" in message


def test_tune_workers_catch_a_task_file_that_gives_other_data_each_time(urandom_task):
    with pytest.raises(TaskDataError) as caught:
        tune(urandom_task, budget=2, workers=2)
    _one_line_naming(caught, urandom_task)


def test_sweep_workers_catch_a_task_file_that_gives_other_data_each_time(urandom_task, tmp_path):
    space = Space(lrs=(0.01, 0.1), optimizers=("sgd",), schedules=("constant",))
    with pytest.raises(TaskDataError) as caught:
        sweep(urandom_task, space, "grid", workers=2, out=tmp_path / "out")
    _one_line_naming(caught, urandom_task)


def test_a_claims_worker_checks_its_task_against_the_parents():
    job = Job("cancer-logreg", Recipe("sgd", 0.1, "constant"), budget=0.05).to_dict()
    assert train_job(job, fingerprint(get_task("cancer-logreg")))["steps"] == 10
    with pytest.raises(TaskDataError) as caught:
        train_job(job, "0" * 16)
    _one_line_naming(caught, "cancer-logreg")


UNGUARDED = """
    import lrkit
    from lrkit.search import Space, sweep

    result = lrkit.tune("cancer-logreg", budget=2, workers=2)
    print("tune", result.final.val_loss)
    space = Space(lrs=(0.01, 0.1), optimizers=("sgd",), schedules=("constant",))
    print("sweep", len(sweep("cancer-logreg", space, "grid", workers=2, out="out").trials))
    print("claims", lrkit.run_claims("b", workers=2).claims[0].verdict)
"""


def test_a_script_without_the_main_guard_trains_in_its_own_process_and_says_why(tmp_path):
    done = _run_script(tmp_path, UNGUARDED)
    assert done.returncode == 0, done.stderr[-3000:]
    assert [line.split()[0] for line in done.stdout.splitlines()] == ["tune", "sweep", "claims"]
    script = tmp_path / "script.py"
    for line in (5, 8, 9):  # each call's own line, as a WorkersWarning
        assert f"{script}:{line}: WorkersWarning: lrkit trains in this process" in done.stderr
    assert "RuntimeError" not in done.stderr and "Traceback" not in done.stderr


def test_the_default_trains_in_this_process_when_workers_would_not_pay_for_their_start():
    plan = make_plan(1000, 2.0)  # range-test steps of 0.1 s: full runs of about 50 s
    assert auto_workers(plan, 8, 0.1, cores=2) == (2, None)
    assert auto_workers(plan, 8, 0.1, cores=16) == (8, None)  # no more than 8 runs at once
    assert auto_workers(plan, 8, 0.1, cores=1) == (1, None)  # no core to spare: nothing to say
    workers, notice = auto_workers(plan, 8, 1e-3, cores=2)  # full runs of 0.5 s
    assert workers == 1 and "training in this process" in notice and "\n" not in notice
    assert auto_workers(make_plan(1000, 1.0), 1, 1.0, cores=4) == (1, None)  # one run: nothing to share


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: the default is one process anyway")
def test_tune_by_default_says_it_trains_in_this_process_and_gets_what_one_worker_gets():
    events = []
    default = tune("cancer-logreg", budget=2, callback=events.append)
    notices = [event.data["message"] for event in events if event.kind == "notice"]
    assert len(notices) == 1 and notices[0].startswith("training in this process")
    alone = tune("cancer-logreg", budget=2, workers=1)
    assert (default.recipe, default.final.val_loss) == (alone.recipe, alone.final.val_loss)
