"""Exponentials, logarithms and powers with the same bits on every x86-64 processor.

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
float64. (NumPy's float32 ``exp`` and ``log`` are its own routines with AVX2 and AVX-512
alike, and the C library's on older processors.)

What no Python code can change: the C library itself (a
different version, or a processor without FMA, gives other last bits) and numba with
Intel's SVML installed (``icc_rt``), which vectorises these calls with SVML's routines
unless ``NUMBA_DISABLE_INTEL_SVML=1``; ``tests/test_libm.py`` checks the functions
against Python's ``math`` module, which is the C library's.
"""

from __future__ import annotations

import numpy as np
from numba import vectorize
from numba.extending import overload

LARGEST_COUNT = 0x10000
"""Above this exponent compiled code leaves repeated squaring for ``pow``."""

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


def count_power(base, count):
    """``base ** count`` for whole counts from 0 to :data:`LARGEST_COUNT`, in float64.

    By repeated squaring, one multiplication after another in the order numba's compiled
    code raises a float to an integer power: bit for bit what a kernel computes, on every
    processor (the C library's ``pow`` can differ from it in the last bit). In compiled
    code it is numba's own ``base ** count``.

    Args:
        base: A float or an array of floats.
        count: A whole number or an array of them (broadcast against ``base``).

    Returns:
        A float64 array, or a float64 scalar if both arguments are scalars.

    Raises:
        ValueError: If a count is negative or above :data:`LARGEST_COUNT`.
    """
    count = np.asarray(count, np.int64)
    if count.size and (count.min() < 0 or count.max() > LARGEST_COUNT):
        raise ValueError(f"counts must be within [0, {LARGEST_COUNT}]")
    shape = np.broadcast_shapes(np.shape(base), count.shape)
    factor = np.broadcast_to(np.asarray(base, np.float64), shape).copy()
    left = np.broadcast_to(count, shape).copy()
    out = np.ones(shape)
    while left.any():
        odd = (left & 1) == 1
        out[odd] *= factor[odd]
        left >>= 1
        factor *= factor
    return out[()]


@overload(count_power)
def _count_power_compiled(base, count):
    return lambda base, count: base**count
