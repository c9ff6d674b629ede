"""How the compiled kernels run in parallel: a fork-safe threading layer, one at a time.

The kernels marked ``parallel=True`` give the same result whatever the number of threads
(``NUMBA_NUM_THREADS``, ``numba.set_num_threads``): each output element or sum is made by
one thread in a fixed order, and per-part outputs are combined in part order over a fixed
partition.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

import numba

# The GNU OpenMP layer that numba would pick here aborts any child forked after a parallel
# kernel ran (multiprocessing's "fork", e.g. Mesa's batch_run): use a fork-safe layer
# (numba's own work queue, unless TBB is installed). Set only if nothing chose one.
if numba.config.THREADING_LAYER == "default":
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
