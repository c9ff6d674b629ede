"""How the compiled kernels run in parallel: a fork-safe threading layer, one at a time.

The kernels marked ``parallel=True`` give the same result whatever the number of threads
(``NUMBA_NUM_THREADS``, ``numba.set_num_threads``): each output element or sum is made by
one thread in a fixed order, and per-part outputs are combined in part order over a fixed
partition.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.metadata
import threading
from collections.abc import Callable

import numba


def load_tbb() -> bool:
    """Load the TBB runtime of the ``tbb`` package, if it is installed; say if it was.

    pip puts ``libtbb.so.12`` in the environment's ``lib/`` folder, where the dynamic
    loader does not look, so numba would not find it and would fall back to its work
    queue. Once loaded by path, numba's TBB layer links against it. TBB's threads steal
    work from each other: when one core is held up by something else (another process,
    a virtual machine's neighbours), the other takes over its share of a kernel instead
    of waiting for it, as the work queue's fixed shares must.
    """
    try:
        files = importlib.metadata.distribution("tbb").files or []
    except importlib.metadata.PackageNotFoundError:
        return False
    for file in files:
        if file.name == "libtbb.so.12":
            try:
                ctypes.CDLL(str(file.locate()), mode=ctypes.RTLD_GLOBAL)
            except OSError:
                return False
            return True
    return False


# The GNU OpenMP layer that numba would pick here aborts any child forked after a parallel
# kernel ran (multiprocessing's "fork", e.g. Mesa's batch_run): use a fork-safe layer,
# TBB where the ``tbb`` package is installed (a dependency on Linux x86-64), else numba's
# own work queue. Set only if nothing chose one.
if numba.config.THREADING_LAYER == "default":
    load_tbb()
    numba.config.THREADING_LAYER = "forksafe"
# The work queue aborts the process if two threads run parallel kernels at once (models
# run in threads): the parallel kernels are called under one lock.
_PARALLEL_LOCK = threading.Lock()


def one_at_a_time(kernel: Callable) -> Callable:
    """Wrap a ``parallel=True`` kernel so that one thread at a time runs it."""

    @functools.wraps(kernel)
    def call(*args):
        with _PARALLEL_LOCK:
            return kernel(*args)

    return call
