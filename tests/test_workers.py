"""A worker process ends silently on Ctrl-C (a real SIGINT to a real process)."""

from __future__ import annotations

import signal
import subprocess
import sys


def test_a_worker_ends_silently_on_ctrl_c():
    code = ("import time\nfrom lrkit._workers import quiet_on_interrupt\nquiet_on_interrupt()\n"
            "print('ready', flush=True)\ntime.sleep(60)\n")
    worker = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    assert worker.stdout.readline() == "ready\n"
    worker.send_signal(signal.SIGINT)
    _, err = worker.communicate(timeout=30)
    assert worker.returncode == 130 and err == ""
