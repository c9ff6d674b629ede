"""Running the checks: the replicates of each scenario, the measures, means and CIs.

Seeds come from one :class:`numpy.random.SeedSequence`: the run of scenario ``i``,
replicate ``r`` is seeded from ``SeedSequence(seed, spawn_key=(i, r))``, so the same seed
gives the same report bit for bit, and adding replicates keeps the earlier ones.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim.config import Scenario
from sim.facts import measures
from sim.facts.checks import CHECKS, SCALES, SCENARIOS, YEAR, Check
from sim.facts.rules import UNDEFINED
from sim.model import GroupModel
from sim.runner import model_tables
from sim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
"""The repository, where the scenario files are."""
BRIDGES = 2000
"""Weak bridges followed over the year (F6), sampled."""

COLUMNS = [
    "fact",
    "measure",
    "scenario",
    "model mean",
    "CI low",
    "CI high",
    "replicates",
    "published",
    "source",
    "rule",
    "verdict",
]
"""Columns of the report."""


def interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and t interval of the finite values; the interval is NaN with fewer than two.

    Returns:
        ``(mean, low, high, n)`` with ``n`` the number of finite values.
    """
    values = np.asarray(values, np.float64)
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    mean = float(values.mean())
    if n < 2:
        return mean, float("nan"), float("nan"), n
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


def run_seed(seed: int, scenario: int, replicate: int) -> np.random.SeedSequence:
    """The seed sequence of one run (and of its sampled measures)."""
    return np.random.SeedSequence(seed, spawn_key=(scenario, replicate))


def scenario_of(
    name: str, mode: str, overrides: tuple[str, ...] = (), seed: int | None = None
) -> Scenario:
    """A check's scenario at its scale, with ``overrides`` applied last (before the seed).

    Raises:
        ScenarioError: The scaled scenario, or an override, is invalid.
    """
    seeded = [] if seed is None else [f"seed={seed}"]
    return load_scenario(ROOT / SCENARIOS[name], [*SCALES[mode][name], *overrides, *seeded])


def run_one(
    name: str, mode: str, sequence: np.random.SeedSequence, overrides: tuple[str, ...] = ()
) -> measures.Run:
    """Run one replicate of a scenario and keep what the measures read.

    Raises:
        ScenarioError: The scaled scenario is invalid.
    """
    model_seed, sample_seed = sequence.generate_state(2)
    scenario = scenario_of(name, mode, overrides, int(model_seed))
    model = GroupModel(scenario=scenario, rng=scenario.seed, agents=False)
    rng = np.random.default_rng(int(sample_seed))
    watch = measures.Watch(
        model,
        rng,
        layers=name in ("baseline", "world"),
        bridges=BRIDGES if name in ("year", "world") else 0,
    )
    model.run(watch)
    if name == "year":
        # The model stops when every group is dead; ties live on for the year.
        while model.day < YEAR:
            model.step()
            watch(model.day)
    tables = model_tables(model)
    return measures.Run(scenario=scenario, tables=tables, model=model, start=watch.start, rng=rng)


CURVES: dict[str, Callable[[measures.Run], np.ndarray]] = {
    "acceptance by ties inside": lambda run: measures.acceptance_by_ties_inside(
        run.tables["invites"]
    ),
    "acceptance by strength": lambda run: measures.acceptance_by_strength(run.tables["invites"]),
    "layer sizes": lambda run: np.array(
        measures.ego_network(run)["layers"]["sizes"] or [np.nan] * measures.LAYERS
    ),
    "layer sizes on day 0": lambda run: np.array(
        run.start["layers"]["sizes"] or [np.nan] * measures.LAYERS
    ),
}
"""Curves drawn in the figures, by the scenario they come from."""
CURVE_SCENARIO = {
    "acceptance by ties inside": "fission",
    "acceptance by strength": "fission",
    "layer sizes": "baseline",
    "layer sizes on day 0": "baseline",
}


def check_replicates(replicates: int) -> None:
    """Raise a :class:`ScenarioError` unless ``replicates`` is a positive count."""
    if replicates < 1:
        raise ScenarioError(
            "--replicates", f"must be at least 1, got {replicates}", field="replicates"
        )


def run_checks(
    replicates: int = 5,
    seed: int = 0,
    quick: bool = False,
    checks: tuple[Check, ...] = CHECKS,
    progress: Callable[[str, int], None] | None = None,
    overrides: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, dict]:
    """Run every scenario the checks need and judge each check.

    Args:
        replicates: Runs of each scenario.
        seed: Root of every run's seed.
        quick: Smaller populations and shorter horizons.
        checks: The checks to run.
        progress: Called with the scenario and replicate of each finished run.
        overrides: ``dotted.path=value`` settings applied to every scenario, after its
            own scale (a what-if: the model with one assumption changed). Each scenario
            is loaded with them before any run, so a bad one stops nothing half-done.

    Returns:
        The report (one row per check, columns :data:`COLUMNS`) and the figures' data:
        per-replicate values by check and per-replicate curves by name, plus the by-size
        tables of the ``group_size`` runs.

    Raises:
        ScenarioError: ``replicates`` is below 1, or a scaled scenario is invalid.
    """
    check_replicates(replicates)
    mode = "quick" if quick else "full"
    names = list(dict.fromkeys(c.scenario for c in checks))
    for name in names:
        scenario_of(name, mode, overrides)
    order = list(SCENARIOS)
    values = {i: [] for i in range(len(checks))}
    curves: dict[str, list[np.ndarray]] = {name: [] for name in CURVES}
    sizes: list[pd.DataFrame] = []
    for name in names:
        for r in range(replicates):
            run = run_one(name, mode, run_seed(seed, order.index(name), r), overrides)
            for i, check in enumerate(checks):
                if check.scenario == name:
                    values[i].append(float(check.compute(run)))
            for curve, fn in CURVES.items():
                if CURVE_SCENARIO[curve] == name:
                    curves[curve].append(np.asarray(fn(run), np.float64))
            if name == "group_size":
                sizes.append(measures.by_size(run).assign(replicate=r))
            del run
            if progress is not None:
                progress(name, r)
    rows = []
    for i, check in enumerate(checks):
        mean, lo, hi, n = interval(np.array(values[i]))
        verdict = check.rule(mean, lo, hi) if n >= 2 else UNDEFINED
        rows.append(
            {
                "fact": check.fact,
                "measure": check.measure,
                "scenario": check.scenario,
                "model mean": mean,
                "CI low": lo,
                "CI high": hi,
                "replicates": n,
                "published": check.published,
                "source": check.source,
                "rule": str(check.rule),
                "verdict": verdict,
            }
        )
    data = {
        "values": values,
        "curves": curves,
        "sizes": pd.concat(sizes) if sizes else pd.DataFrame(),
    }
    return pd.DataFrame(rows, columns=COLUMNS), data
