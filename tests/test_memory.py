"""Memory settings held while a model lives, and the threading layer of the kernels."""

from __future__ import annotations

import gc
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

from sim import memory
from sim.kernels.cap import rooms_under_cap
from sim.model import GroupModel

ROOT = Path(__file__).resolve().parent.parent
# In a fresh process: the minor page faults taken to make and fill a 64 MB array (above
# glibc's largest mmap threshold) after one was freed, while a model lives and after it.
FAULTS_WHILE_AND_AFTER = """
import gc, resource
import numpy as np
from sim.model import GroupModel

def faults():
    np.ones(64 * 2**20 // 8)  # made and freed at once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    np.ones(64 * 2**20 // 8)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

model = GroupModel(scenario="scenarios/baseline.yaml", rng=1, agents=False)
kept = faults()
del model
gc.collect()
print(kept, faults())
"""


def is_user_setting(key: str) -> bool:
    """Whether an environment variable leaves memory to the user (``sim/memory.py``)."""
    return key.startswith("MALLOC_") or key in ("GLIBC_TUNABLES", "NUMPY_MADVISE_HUGEPAGE")


def small_model() -> GroupModel:
    return GroupModel(scenario="scenarios/baseline.yaml", rng=1, agents=False)


@pytest.fixture
def no_user_settings(monkeypatch):
    """None of the environment variables that leave memory to the user."""
    for key in [k for k in os.environ if is_user_setting(k)]:
        monkeypatch.delenv(key)
    gc.collect()
    assert memory.models_alive() == 0, "a model of another test is still alive"


def test_numpy_advice_is_off_while_a_model_lives_and_back_after(no_user_settings):
    from numpy._core.multiarray import _set_madvise_hugepage

    model = small_model()
    assert memory.models_alive() == 1
    second = small_model()
    assert memory.models_alive() == 2
    assert _set_madvise_hugepage(False) is False  # off, and left off
    del model
    gc.collect()
    assert memory.models_alive() == 1
    assert _set_madvise_hugepage(False) is False  # still off: one model lives
    del second
    gc.collect()
    assert memory.models_alive() == 0
    assert _set_madvise_hugepage(True) is True  # given back as it was


def test_freed_memory_is_reused_while_a_model_lives():
    # In a process of its own: what malloc does with a freed block depends on the whole
    # history of the process's heap, which other tests run before this one would share.
    env = {key: value for key, value in os.environ.items() if not is_user_setting(key)}
    done = subprocess.run(
        [sys.executable, "-c", FAULTS_WHILE_AND_AFTER],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    kept, given_back = map(int, done.stdout.split())
    # Kept: the second array lands on the pages of the first. Given back: every 4 kB page
    # (or, with huge pages, every 2 MB one) of the new mapping is faulted in again.
    assert kept < 16
    assert given_back >= 32


class RecordingLibc:
    """Stands for the C library: records the calls instead of changing malloc."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append(("mallopt", param, value))
        return 1

    def malloc_trim(self, pad: int) -> int:
        self.calls.append(("malloc_trim", pad))
        return 1


def test_settings_go_back_even_if_the_environment_changed_meanwhile(no_user_settings, monkeypatch):
    from numpy._core.multiarray import _set_madvise_hugepage

    libc, glibc = RecordingLibc(), memory._glibc
    monkeypatch.setattr(memory, "_glibc", lambda: libc)
    model = small_model()
    monkeypatch.setattr(memory, "_glibc", glibc)
    assert libc.calls == [
        ("mallopt", memory.M_MMAP_MAX, 0),
        ("mallopt", memory.M_TRIM_THRESHOLD, memory.KEEP_TRIM_THRESHOLD),
    ]
    # A Dask nanny started while the model lives writes its workers' variables into this
    # process's environment; from then on the user would seem to own both settings.
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    assert memory._glibc() is None
    del model
    gc.collect()
    assert libc.calls[2:] == [
        ("mallopt", memory.M_MMAP_MAX, memory.DEFAULT_MMAP_MAX),
        ("mallopt", memory.M_TRIM_THRESHOLD, memory.DEFAULT_TRIM_THRESHOLD),
        ("malloc_trim", 0),
    ]
    assert _set_madvise_hugepage(True) is True  # the advice is back on


def test_the_users_own_malloc_settings_are_left_alone(no_user_settings, monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    assert memory._glibc() is None
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_")
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_max=0")
    assert memory._glibc() is None


def test_kernels_run_on_tbb_where_the_package_is_installed():
    try:
        importlib.metadata.distribution("tbb")
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("the tbb package, a dependency on Linux x86-64, is not installed")
    room = np.zeros(4, np.int64)
    rooms_under_cap(np.zeros((4, 2), np.float32), np.zeros(4, np.int32), np.float32(0.1), 3, room)
    assert numba.threading_layer() == "tbb"
    assert (room == 3).all()


def test_a_child_forked_after_a_parallel_kernel_runs_one():
    code = (
        "import os, numpy as np\n"
        "from sim.kernels.cap import rooms_under_cap\n"
        "def run():\n"
        "    room = np.zeros(4, np.int64)\n"
        "    rooms_under_cap(np.zeros((4, 2), np.float32), np.zeros(4, np.int32),\n"
        "                    np.float32(0.1), 3, room)\n"
        "    return int(room.sum())\n"
        "assert run() == 12\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(0 if run() == 12 else 1)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "raise SystemExit(os.waitstatus_to_exitcode(status))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_world_is_built_without_huge_page_advice_and_malloc_as_it_was(no_user_settings):
    from numpy._core.multiarray import _set_madvise_hugepage

    with memory.without_huge_pages():
        assert _set_madvise_hugepage(False) is False
        with memory.without_huge_pages():  # nested: given back once, by the outer block
            pass
        assert _set_madvise_hugepage(False) is False
        assert memory.models_alive() == 0  # malloc is not switched by a build
    assert _set_madvise_hugepage(True) is True
