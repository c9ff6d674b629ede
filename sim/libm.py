"""Exponentials, logarithms and powers whose bits do not depend on vector extensions.

A seed fixes a run bit for bit only if every number the model computes does not depend
on the machine. NumPy computes ``exp``, ``exp2``, ``expm1``, ``log``, ``log1p`` and
``power`` with routines of its own where the processor has AVX-512, and with the C
library's functions where it has not; the two disagree in the last bit for a few inputs
in a hundred. The model amplifies such a difference like any other (a probability moves
across a uniform draw, a person joins one group instead of another), and on an AVX-512
machine ``groupsim facts`` gave other figures than on a machine without it, within their
confidence intervals but with one verdict changed.

The functions here are NumPy ufuncs compiled by numba that call the C library's
functions one element at a time, as NumPy does without AVX-512: they give the same bits
on both kinds of machine, cost little (they are a small part of a day), and the compiled
kernels call them too, so a rule gives the same result in NumPy and in a kernel.
They accept and return float32 or float64 arrays and scalars; integers are computed as
float64. NumPy's float32 ``exp`` and ``log`` are replaced too: they are its own routines
with AVX2 or AVX-512, and the C library's without.

What no Python code can change: the C library itself (another version, or a processor
without FMA, gives other last bits), and numba with Intel's SVML installed (``icc_rt``),
which vectorises these calls with SVML's routines unless ``NUMBA_DISABLE_INTEL_SVML=1``.
``tests/test_libm.py`` checks the functions against Python's ``math`` module, which is
the C library's.
"""

from __future__ import annotations

import numpy as np
from numba import vectorize

_UNARY = ["float32(float32)", "float64(float64)"]
_BINARY = ["float32(float32, float32)", "float64(float64, float64)"]

# In compiled code np.exp and its kin are calls of the C library's scalar functions
# (expf for float32, exp for float64): the ufuncs below wrap exactly those calls.


@vectorize(_UNARY, cache=True)
def exp(x):  # pragma: no cover - compiled
    """``e ** x``, the C library's ``exp``."""
    return np.exp(x)


@vectorize(_UNARY, cache=True)
def exp2(x):  # pragma: no cover - compiled
    """``2 ** x``, the C library's ``exp2``."""
    return np.exp2(x)


@vectorize(_UNARY, cache=True)
def expm1(x):  # pragma: no cover - compiled
    """``e ** x - 1``, accurate near 0: the C library's ``expm1``."""
    return np.expm1(x)


@vectorize(_UNARY, cache=True)
def log(x):  # pragma: no cover - compiled
    """Natural logarithm, the C library's ``log`` (``-inf`` at 0, nan below)."""
    return np.log(x)


@vectorize(_UNARY, cache=True)
def log1p(x):  # pragma: no cover - compiled
    """``log(1 + x)``, accurate near 0: the C library's ``log1p``."""
    return np.log1p(x)


@vectorize(_BINARY, cache=True)
def power(x, y):  # pragma: no cover - compiled
    """``x ** y``, the C library's ``pow``."""
    return np.power(x, y)
