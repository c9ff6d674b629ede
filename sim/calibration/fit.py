"""Fitting free parameters to fact targets with pyabc's ABC-SMC.

Approximate Bayesian computation by sequential Monte Carlo (Toni et al. 2009; pyabc,
Schälte et al. 2022): particles are drawn from the priors, the standard scenario is run
with each, and a particle is accepted when its measures are within a tolerance of the
targets, the tolerance shrinking generation by generation. What is left is a weighted
sample of parameter values that reproduce the facts: its ranges are the "accepted
ranges" of docs/calibration.md and docs/calibration_network.md.

Reproducible: pyabc draws from NumPy's global generator, which the calibration seeds
from the file's ``seed`` (and restores afterwards); every run's own seed is drawn from it,
and the particles are evaluated one after another in one process (pyabc's single-core
sampler), so one seed gives the same accepted particles bit for bit. Its parallel
samplers reseed each worker from the operating system and could not promise that.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.measures import BRIDGES, NEEDS_BRIDGES, NEEDS_LAYERS, finite, measure_all
from sim.calibration.spec import LoadedCalibration
from sim.facts.measures import Run, Watch
from sim.model import GroupModel
from sim.runner import model_tables, versions
from sim.sweep.spec import Range
from sim.tables import read_parquet


@dataclass
class CalibrationResult:
    """What a calibration found.

    Attributes:
        posterior: The last generation's accepted particles: one column per parameter
            (dotted path), ``weight``, ``distance`` and one column per target measure.
        generations: Per generation: ``t``, ``epsilon`` (tolerance), ``samples``
            (simulations run).
        ranges: Per parameter: prior ends (and whether log-uniform), the posterior's
            weighted 5%, 50% and 95% quantiles, and the best particle's value.
        best: The accepted particle closest to the targets (parameters and measures).
        manifest: Seed, settings, the file's text, versions, wall time.
    """

    posterior: pd.DataFrame
    generations: pd.DataFrame
    ranges: pd.DataFrame
    best: dict[str, float]
    manifest: dict = field(default_factory=dict)


def _prior(prior: Range):
    """The prior of a parameter as pyabc samples it: uniform, on a log10 scale if log.

    A log-uniform range is sampled as a uniform log10 value, so that pyabc's perturbation
    kernel moves particles on the same scale as the prior; with a log-uniform density on
    the natural scale the importance weights pile onto the low end of the range.
    """
    import pyabc

    low, high = (
        (math.log10(prior.low), math.log10(prior.high)) if prior.log else (prior.low, prior.high)
    )
    return pyabc.RV("uniform", low, high - low)


def _value(prior: Range, sampled: float) -> float:
    """A parameter's value from what pyabc sampled (see :func:`_prior`)."""
    return float(10.0**sampled) if prior.log else float(sampled)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of a weighted sample (weights need not sum to 1)."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    cumulative /= cumulative[-1]
    return float(values[order][np.searchsorted(cumulative, q, side="left")])


def calibrate(
    loaded: LoadedCalibration,
    *,
    particles: int | None = None,
    generations: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> CalibrationResult:
    """Fit the calibration's parameters to its targets.

    Args:
        loaded: The calibration (see :func:`sim.calibration.load_calibration`).
        particles: Accepted particles per generation (default: the file's).
        generations: Generations (default: the file's).
        progress: Called with the number of simulations run so far, after each.

    Returns:
        The accepted particles, the tolerances, the accepted ranges and the best point.
    """
    import pyabc

    spec = loaded.spec
    particles = particles or spec.particles
    generations = generations or spec.generations
    names = list(spec.parameters)
    key = {name: f"p{i}" for i, name in enumerate(names)}  # pyabc wants plain names
    measures = {target: t.measure for target, t in spec.targets.items()}
    observed = {target: t.value for target, t in spec.targets.items()}
    weights = {target: 1.0 / t.scale for target, t in spec.targets.items()}
    needed = set(measures.values())
    runs = 0

    def model(parameter) -> dict[str, float]:
        nonlocal runs
        seed = int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002 - pyabc's generator
        values = {n: _value(spec.parameters[n], parameter[key[n]]) for n in names}
        scenario = loaded.scenario(values, seed)
        model = GroupModel(scenario=scenario, rng=scenario.seed, agents=False)
        rng = np.random.default_rng(seed)  # for sampled measures, never the model's
        watch = Watch(
            model,
            rng,
            layers=bool(needed & NEEDS_LAYERS),
            bridges=BRIDGES if needed & NEEDS_BRIDGES else 0,
        )
        model.run(watch)
        runs += 1
        if progress is not None:
            progress(runs)
        run = Run(scenario, model_tables(model), model, start=watch.start, rng=rng)
        return finite(measure_all(measures, run))

    started = time.perf_counter()
    # pyabc draws from NumPy's global generator: seeded here, given back as it was.
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(spec.seed % 2**32)  # noqa: NPY002
    workdir = Path(tempfile.mkdtemp(prefix="groupsim-abc-"))
    try:
        abc = pyabc.ABCSMC(
            model,
            pyabc.Distribution(**{key[n]: _prior(spec.parameters[n]) for n in names}),
            pyabc.PNormDistance(p=2, fixed_weights=weights),
            population_size=particles,
            sampler=pyabc.sampler.SingleCoreSampler(),
        )
        abc.new(f"sqlite:///{workdir / 'abc.db'}", observed)
        history = abc.run(max_nr_populations=generations)
        frame, w = history.get_distribution(m=0, t=history.max_t)
        population = history.get_population(t=history.max_t)
        table = history.get_all_populations()
    finally:
        np.random.set_state(state)  # noqa: NPY002
        shutil.rmtree(workdir, ignore_errors=True)
    wall = time.perf_counter() - started

    rows = []
    for particle in population.particles:
        row = {n: _value(spec.parameters[n], particle.parameter[key[n]]) for n in names}
        row.update(weight=float(particle.weight), distance=float(particle.distance))
        row.update({t: float(particle.sum_stat[t]) for t in spec.targets})
        rows.append(row)
    posterior = pd.DataFrame(rows).sort_values(names, kind="stable").reset_index(drop=True)
    best_row = posterior.loc[posterior["distance"].idxmin()]
    best = {column: float(best_row[column]) for column in [*names, *spec.targets]}
    values = posterior[names].to_numpy()
    wts = posterior["weight"].to_numpy()
    ranges = pd.DataFrame(
        {
            "parameter": names,
            "prior_low": [spec.parameters[n].low for n in names],
            "prior_high": [spec.parameters[n].high for n in names],
            "log": [spec.parameters[n].log for n in names],
            "q05": [weighted_quantile(values[:, i], wts, 0.05) for i in range(len(names))],
            "median": [weighted_quantile(values[:, i], wts, 0.5) for i in range(len(names))],
            "q95": [weighted_quantile(values[:, i], wts, 0.95) for i in range(len(names))],
            "best": [best[n] for n in names],
        }
    )
    table = table[table["t"] >= 0]
    steps = pd.DataFrame(
        {
            "t": table["t"].astype(int).to_numpy(),
            "epsilon": table["epsilon"].astype(float).to_numpy(),
            "samples": table["samples"].astype(int).to_numpy(),
        }
    )
    manifest = {
        "calibration": loaded.name,
        "seed": spec.seed,
        "particles": particles,
        "generations": generations,
        "simulations": runs,
        "scenario": loaded.base.name,
        "calibration_as_written": loaded.written,
        "versions": {**versions(), "pyabc": pyabc.__version__},
        "wall_seconds": round(wall, 1),
    }
    del frame, w  # the same particles, read above with their measures
    return CalibrationResult(posterior, steps, ranges, best, manifest)


def write_calibration(result: CalibrationResult, folder: Path) -> Path:
    """Write a calibration's tables and manifest to ``folder``, whole or not at all.

    The files are written next to it first and the folder is put in place by a rename,
    so a calibration cut short leaves nothing half-written.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        result.posterior.to_parquet(staging / "posterior.parquet", index=False)
        result.generations.to_parquet(staging / "generations.parquet", index=False)
        result.ranges.to_parquet(staging / "ranges.parquet", index=False)
        manifest = {**result.manifest, "best": result.best}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def read_calibration(folder: Path) -> CalibrationResult:
    """A calibration as :func:`write_calibration` wrote it to ``folder``.

    Raises:
        FileNotFoundError: ``folder`` holds no calibration.
    """
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    best = manifest.pop("best")
    return CalibrationResult(
        read_parquet(folder / "posterior.parquet"),
        read_parquet(folder / "generations.parquet"),
        read_parquet(folder / "ranges.parquet"),
        best,
        manifest,
    )


def quiet_pyabc() -> None:
    """Keep pyabc's progress log out of the terminal (the command line shows its own)."""
    import pyabc  # noqa: F401 - it sets its loggers' levels when imported

    for name in ("ABC", "pyabc", "Sampler", "Distance", "Epsilon", "Acceptor", "History"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("ABC").propagate = False


def accepted_path(calibration_file: Path) -> Path:
    """Where a calibration's accepted ranges are kept, next to its file (committed)."""
    return Path(calibration_file).with_suffix(".accepted.csv")


def write_accepted(result: CalibrationResult, calibration_file: Path) -> Path:
    """Write the accepted ranges and best point next to the calibration file.

    Unlike the results folder, this small table is meant to be kept with the file: it is
    what the defaults were set from, and what ``groupsim claims`` draws the uncertain
    parameters from.
    """
    path = accepted_path(calibration_file)
    atomic_text = result.ranges.to_csv(index=False)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(atomic_text, encoding="utf-8")
    tmp.replace(path)
    return path
