"""A seed gives the same run whatever vector extensions the processor has (sim/libm.py)."""

from __future__ import annotations

import ast
import ctypes
import ctypes.util
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numba import njit

from sim import libm
from sim.tables import read_parquet

ROOT = Path(__file__).resolve().parent.parent
C = ctypes.CDLL(ctypes.util.find_library("m"))
for _name in ("expf", "exp2f", "expm1f", "logf", "log1pf"):
    getattr(C, _name).restype = ctypes.c_float
    getattr(C, _name).argtypes = [ctypes.c_float]
C.powf.restype = ctypes.c_float
C.powf.argtypes = [ctypes.c_float, ctypes.c_float]


def inputs(dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arguments over the ranges the rules use, with the edges: 0, 1, tiny, large."""
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(-30, 30, 6000), [0.0, -0.0, 1e-12, -1e-12, 700.0, -745.0]])
    p = np.concatenate([rng.uniform(0, 1, 3000), rng.uniform(0, 50, 3000), [1e-300, 1.0]])
    y = rng.uniform(0, 4, len(p))
    if dtype == np.float32:
        x = np.clip(x, -80, 80)
        p = np.maximum(p, 1e-30)
    return x.astype(dtype), p.astype(dtype), y.astype(dtype)


CASES = [
    ("exp", math.exp, "expf", "x"),
    ("exp2", math.exp2, "exp2f", "x"),
    ("expm1", math.expm1, "expm1f", "x"),
    ("log", math.log, "logf", "p"),
    ("log1p", math.log1p, "log1pf", "p"),
]


@pytest.mark.parametrize(("name", "double", "single", "arg"), CASES)
def test_each_function_is_the_c_library_s(name, double, single, arg):
    ufunc = getattr(libm, name)
    x, p, _ = inputs(np.float64)
    values = {"x": x, "p": p}[arg]
    with np.errstate(over="ignore", under="ignore"):
        got = ufunc(values)
    assert got.dtype == np.float64
    expected = np.array([double(v) for v in values.tolist()])  # Python's math: the C library
    assert np.array_equal(got.view(np.uint64), expected.view(np.uint64))

    x, p, _ = inputs(np.float32)
    values = {"x": x, "p": p}[arg]
    with np.errstate(over="ignore", under="ignore"):
        got = ufunc(values)
    assert got.dtype == np.float32
    expected = np.array([getattr(C, single)(v) for v in values.tolist()], np.float32)
    assert np.array_equal(got.view(np.uint32), expected.view(np.uint32))


def test_power_is_the_c_library_s():
    _, p, y = inputs(np.float64)
    expected = np.array([math.pow(a, b) for a, b in zip(p.tolist(), y.tolist(), strict=True)])
    assert np.array_equal(libm.power(p, y).view(np.uint64), expected.view(np.uint64))
    _, p, y = inputs(np.float32)
    expected = np.array(
        [C.powf(a, b) for a, b in zip(p.tolist(), y.tolist(), strict=True)], np.float32
    )
    got = libm.power(p, np.float32(1.36))
    assert got.dtype == np.float32
    assert np.array_equal(
        got.view(np.uint32),
        np.array([C.powf(a, np.float32(1.36)) for a in p.tolist()], np.float32).view(np.uint32),
    )
    assert np.array_equal(libm.power(p, y).view(np.uint32), expected.view(np.uint32))


def test_compiled_code_calls_the_same_functions():
    @njit
    def decay(days, half_life):
        return libm.exp2(-days / half_life)

    days = np.arange(0, 400, dtype=np.float32)
    compiled = np.array([decay(d, np.float32(37.0)) for d in days], np.float32)
    assert np.array_equal(compiled, libm.exp2(-days / np.float32(37.0)))


def test_a_rule_gives_the_same_bits_in_numpy_and_in_a_kernel():
    # Compiled, numba would raise a float to an integer count by repeated squaring, and
    # NumPy with pow: strengthen's power of the gain goes through libm.power in both.
    from sim import rules
    from sim.kernels.strength import strengthen

    rng = np.random.default_rng(3)
    strength = rng.uniform(0, 1, 5000)
    contacts = rng.integers(1, 40, 5000)
    peak = np.maximum(strength, rng.uniform(0, 1, 5000))
    compiled = np.array(
        [strengthen(s, 0.15, k, c) for s, k, c in zip(strength, contacts, peak, strict=True)]
    )
    assert np.array_equal(compiled, rules.strengthen(strength, 0.15, contacts, peak))


VARIANT = ("exp", "exp2", "expm1", "log", "log1p", "log2", "log10", "power", "float_power")


def test_no_module_of_the_model_calls_numpy_s_variants():
    """NumPy's versions of these functions change with the processor: only sim/libm.py and
    the compiled kernels (which call the C library's, see sim/libm.py) may name them."""
    found = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative == "sim/libm.py" or relative.startswith("sim/kernels/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in VARIANT
                and isinstance(node.value, ast.Name)
                and node.value.id == "np"
            ):
                found.append(f"{relative}:{node.lineno} np.{node.attr}")
    assert not found


RUN = """
import sys
from pathlib import Path
from sim.runner import run
result = run("scenarios/baseline.yaml", overrides=sys.argv[2:], out=None)
for name in ("groups", "memberships", "invites"):
    getattr(result, name).to_parquet(Path(sys.argv[1]) / f"{name}.parquet")
"""


def test_a_run_is_the_same_without_numpy_s_vector_extensions(tmp_path):
    # NumPy's dispatched routines (AVX2, AVX-512) switched off in one of two processes:
    # the same seed must give the same tables. Before sim/libm.py it did not on a
    # processor with AVX-512: the runs parted within days.
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    dispatched = [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]
    overrides = ["population.size=1500", "days=120"]
    folders = {}
    for label, off in (("as is", None), ("without", " ".join(dispatched))):
        folder = tmp_path / label.replace(" ", "_")
        folder.mkdir()
        environment = dict(os.environ)
        environment.pop("NPY_DISABLE_CPU_FEATURES", None)
        if off:
            environment["NPY_DISABLE_CPU_FEATURES"] = off
        subprocess.run(
            [sys.executable, "-c", RUN, str(folder), *overrides],
            cwd=ROOT,
            env=environment,
            check=True,
            capture_output=True,
        )
        folders[label] = folder
    for name in ("groups", "memberships", "invites"):
        as_is = read_parquet(folders["as is"] / f"{name}.parquet")
        without = read_parquet(folders["without"] / f"{name}.parquet")
        assert len(as_is) > 0
        pd.testing.assert_frame_equal(as_is, without, check_exact=True)
