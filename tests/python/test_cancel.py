import subprocess
import sys
import threading
import time

import pytest

import wphost
from conftest import dumps, python_env


def wait_for_phase(job, phase, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if job.progress.phase == phase:
            return
        time.sleep(0.01)
    pytest.fail(f"job never reached phase {phase}: {job.progress}")


def test_cancel_from_another_thread(state_dir, hanging_profile):
    with wphost.Engine(state_dir=state_dir, host_profile=hanging_profile) as engine:
        job = engine.host_check_start()
        wait_for_phase(job, "nginx")
        assert job.wait(timeout=0.05) is False
        t = threading.Thread(target=job.cancel)
        t.start()
        t.join()
        assert job.wait(timeout=10) is True
        assert job.state is wphost.JobState.CANCELLED
        with pytest.raises(wphost.Cancelled, match="cancelled") as e:
            job.result()
        assert e.value.category == "job"
        assert job.cancel() is False  # already ended
        assert engine.jobs()[0]["state"] == "cancelled"


def test_progress_callback_can_cancel(state_dir):
    calls = []

    def progress(p):
        calls.append(p.phase)
        return len(calls) < 2

    with wphost.Engine(state_dir=state_dir) as engine:
        job = engine.host_check_start(progress=progress)
        with pytest.raises(wphost.CallbackError, match="progress callback"):
            job.result()
        assert job.state is wphost.JobState.CANCELLED
    assert len(calls) == 2


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_progress_callback_raising_cancels(state_dir):
    def progress(p):
        raise RuntimeError("boom")

    with wphost.Engine(state_dir=state_dir) as engine:
        job = engine.host_check_start(progress=progress)
        with pytest.raises(wphost.CallbackError):
            job.result()


def test_wait_releases_the_gil(state_dir, hanging_profile):
    """While the main thread waits on a job, other Python threads run."""
    counter = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter[0] += 1

    with wphost.Engine(state_dir=state_dir, host_profile=hanging_profile) as engine:
        job = engine.host_check_start()
        t = threading.Thread(target=spin)
        t.start()
        before = counter[0]
        assert job.wait(timeout=0.5) is False
        during = counter[0] - before
        stop.set()
        t.join()
        job.cancel()
        job.wait()
    assert during > 1000


CTRL_C_SCRIPT = r"""
import json, os, signal, sys, threading, time
import wphost
engine = wphost.Engine(state_dir=sys.argv[1], host_profile=json.loads(sys.argv[2]))
threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
t0 = time.monotonic()
try:
    if sys.argv[3] == "job":
        job = engine.host_check_start()
        job.wait()
    else:
        engine.host_check()
    print("NOT INTERRUPTED")
except KeyboardInterrupt:
    print("interrupted", engine.jobs()[0]["state"], round(time.monotonic() - t0, 1))
engine.close()
"""


@pytest.mark.parametrize("form", ["job", "blocking"])
def test_ctrl_c_cancels_the_job(state_dir, hanging_profile, form):
    """Ctrl-C while waiting on a job, or inside the blocking host_check(),
    raises KeyboardInterrupt promptly and leaves the job cancelled."""
    out = subprocess.run([sys.executable, "-c", CTRL_C_SCRIPT, state_dir, dumps(hanging_profile), form],
                         capture_output=True, text=True, timeout=60, env=python_env())
    assert out.returncode == 0, out.stderr
    words = out.stdout.split()
    assert words[:2] == ["interrupted", "cancelled"], out.stdout + out.stderr
    assert float(words[2]) < 10
