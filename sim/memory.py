"""Memory for the model's large arrays: freed memory kept for reuse while a model lives.

A sweep of background social life makes and frees temporary arrays as large as the tie
store (hundreds of megabytes at a million people) and a world's build makes more. By
default glibc's ``malloc`` gives every block above 32 MB its own mapping and returns it
to the kernel when it is freed, and NumPy advises the kernel to back every array of 4 MB
or more with transparent huge pages. The next array of that size then faults in fresh
pages again, and where that is slow (a virtual machine whose host backs the guest's
memory lazily, for one) the time goes to the kernel instead of the model. On the
benchmark machine a 1,000,000-person year made 13.7 million page faults and spent 108 s
in the kernel; keeping freed memory cut that to 1.7 million and 40 s, and the year from
359 s to 263 s, at a peak 0.7 GB higher (``benchmarks/README.md``).

So, while at least one :class:`~sim.model.GroupModel` is alive in the process, once its
world is built:

- glibc's ``malloc`` serves large blocks from its heap and keeps freed memory there
  (``mallopt``: no mappings per block, no trimming), so the next sweep reuses it;
- NumPy's huge-page advice is off (and while a world is built too:
  :func:`without_huge_pages`).

When the last model is garbage-collected, both go back (``malloc``'s documented defaults,
then ``malloc_trim`` hands the kept memory back to the kernel). Results do not depend on
any of this. Where the C library is not glibc, ``malloc`` is left as it is; setting
``GLIBC_TUNABLES`` with a ``glibc.malloc`` setting, or any ``MALLOC_*_`` variable, leaves
it to the user; setting ``NUMPY_MADVISE_HUGEPAGE`` likewise leaves NumPy's advice alone.
That is decided when the first model takes the settings: what was changed then goes back
even if the environment changes meanwhile.
"""

from __future__ import annotations

import ctypes
import os
import platform
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

try:  # a private switch of NumPy's (numpy/_core/multiarray), there since NumPy 1.20
    from numpy._core.multiarray import _set_madvise_hugepage
except ImportError:  # pragma: no cover - a NumPy without it: leave its advice as it is
    _set_madvise_hugepage = None

# mallopt parameters and glibc's defaults (malloc/malloc.h, mallopt(3)).
M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4
DEFAULT_TRIM_THRESHOLD, DEFAULT_MMAP_MAX = 128 * 1024, 65536
KEEP_TRIM_THRESHOLD = 2**31 - 1  # the largest mallopt takes (an int): trim almost never

_lock = threading.Lock()
_models = 0  # models alive in the process
_without_pages = 0  # models alive and blocks running without huge-page advice
_hugepage_before: bool | None = None  # NumPy's advice before it was switched off, if it was
# The C library whose malloc the first model alive set, if it did. The settings go back
# through it even if the environment changed in between (Dask's nanny, for one, writes
# its workers' variables into the environment of the process that starts them).
_malloc_set: ctypes.CDLL | None = None


def _glibc() -> ctypes.CDLL | None:
    """The process's C library, if it is glibc and the user has not tuned its malloc."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    if "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", ""):
        return None
    if any(key.startswith("MALLOC_") and key.endswith("_") for key in os.environ):
        return None
    return ctypes.CDLL(None)


def _numpy_advice_is_ours() -> bool:
    return _set_madvise_hugepage is not None and "NUMPY_MADVISE_HUGEPAGE" not in os.environ


def _advice_off() -> None:
    """One more holder of NumPy's huge-page advice off (call under the lock)."""
    global _without_pages, _hugepage_before
    if _without_pages == 0 and _numpy_advice_is_ours():
        _hugepage_before = _set_madvise_hugepage(False)
    _without_pages += 1


def _advice_back() -> None:
    """One holder fewer; with none left, NumPy's advice as it was (call under the lock)."""
    global _without_pages, _hugepage_before
    _without_pages -= 1
    if _without_pages == 0 and _hugepage_before is not None:
        _set_madvise_hugepage(_hugepage_before)
        _hugepage_before = None


@contextmanager
def without_huge_pages() -> Iterator[None]:
    """NumPy's huge-page advice off inside the block (a world's build).

    ``malloc`` is left as it is: a build makes each of its large temporaries once, so
    keeping freed memory would only raise its peak (the 1M world's from 4.9 to 6.1 GiB).
    """
    with _lock:
        _advice_off()
    try:
        yield
    finally:
        with _lock:
            _advice_back()


def keep_memory_while_alive(model: object) -> None:
    """Keep freed memory for reuse, without huge-page advice, until ``model`` is collected.

    Call once per model, once its world is built. Models made in several threads share
    one setting, given back when the last of them is gone.
    """
    global _models, _malloc_set
    with _lock:
        if _models == 0:
            libc = _glibc()
            if libc is not None:
                libc.mallopt(M_MMAP_MAX, 0)
                libc.mallopt(M_TRIM_THRESHOLD, KEEP_TRIM_THRESHOLD)
                _malloc_set = libc
        _models += 1
        _advice_off()
    weakref.finalize(model, _release)


def _release() -> None:
    """One model fewer; with none left, give the memory settings back."""
    global _models, _malloc_set
    with _lock:
        _models -= 1
        if _models == 0 and _malloc_set is not None:
            _malloc_set.mallopt(M_MMAP_MAX, DEFAULT_MMAP_MAX)
            _malloc_set.mallopt(M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD)
            _malloc_set.malloc_trim(0)
            _malloc_set = None
        _advice_back()


def models_alive() -> int:
    """How many models hold the memory settings now (for tests)."""
    return _models
