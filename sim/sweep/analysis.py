"""Summaries of a finished sweep: CIs over replicates, pooled survival, sensitivity indices."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from scipy import stats

from sim.metrics import median_lifetime
from sim.sweep.design import salib_problem, unit_sample
from sim.sweep.registry import bounds_of
from sim.sweep.spec import Experiment


def mean_ci(
    values: np.ndarray, level: float = 0.95, bounds: tuple[float, float] | None = None
) -> tuple[float, float, float, int]:
    """Mean of replicate values with a Student-t confidence interval.

    Args:
        values: One value per replicate; nan values are left out.
        level: Confidence level.
        bounds: The range the values cannot leave (a share's ``(0, 1)``): the interval is
            clipped to it, since the symmetric t-interval can reach past it.

    Returns:
        ``(mean, low, high, n)``. With an infinite value among them (a median never
        reached) the mean is inf and the interval undefined (nan); with one value the
        interval is undefined too.
    """
    values = np.asarray(values, float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    if np.isinf(values).any():
        return float(values.mean()), math.nan, math.nan, n
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / math.sqrt(n))
    low, high = mean - half, mean + half
    if bounds is not None:
        low, high = min(max(low, bounds[0]), bounds[1]), min(max(high, bounds[0]), bounds[1])
    return mean, low, high, n


def point_summary(runs: pd.DataFrame, parameters: list[str], metrics: list[str]) -> pd.DataFrame:
    """One row per point: its values and, per metric, mean, 95% CI and replicates counted.

    A metric registered with bounds (a share, a count) has its CI clipped to them.
    """
    bounds = {metric: bounds_of(metric) for metric in metrics}
    rows = []
    for point, part in runs.groupby("point", sort=True):
        row: dict = {"point": point, **{p: part[p].iloc[0] for p in parameters}}
        row["replicates"] = len(part)
        for metric in metrics:
            mean, low, high, n = mean_ci(part[metric].to_numpy(), bounds=bounds[metric])
            row[f"{metric} mean"] = mean
            row[f"{metric} low"] = low
            row[f"{metric} high"] = high
            row[f"{metric} n"] = n
        rows.append(row)
    return pd.DataFrame(rows)


def pooled_survival(
    lifetimes: pd.DataFrame, runs: pd.DataFrame, by: str, cohort: str | None = None
) -> pd.DataFrame:
    """Kaplan–Meier median group lifetime per level of a parameter, pooled over replicates.

    All groups of all runs at a level form one sample; the median's 95% CI comes from
    the Kaplan–Meier confidence band (inf where not reached).
    """
    frame = lifetimes.merge(runs[["run", by]], on="run")
    if cohort is not None:
        frame = frame[frame["cohort"] == cohort]
    rows = []
    for level, part in frame.groupby(by, sort=True):
        kmf = KaplanMeierFitter(label=str(level))
        kmf.fit(part["lifetime"], event_observed=~part["censored"].astype(bool))
        median, low, high = median_lifetime(kmf)
        rows.append(
            {
                by: level,
                "runs": part["run"].nunique(),
                "groups": len(part),
                "died": int((~part["censored"].astype(bool)).sum()),
                "median lifetime (days)": median,
                "95% CI low": low,
                "95% CI high": high,
            }
        )
    return pd.DataFrame(rows)


def sensitivity(
    experiment: Experiment, runs: pd.DataFrame, metric: str, horizon: int
) -> tuple[pd.DataFrame, str]:
    """Sobol or Morris indices of one metric (mean over replicates at each point).

    An infinite value (a median lifetime not reached) enters as the horizon, a lower
    bound; the note says at how many points that happened.

    Returns:
        The indices (one row per parameter) and a note on the data used.

    Raises:
        ValueError: The metric is undefined (nan) at some point.
    """
    from SALib.analyze import morris, sobol

    means = runs.groupby("point", sort=True)[metric].mean().to_numpy(float)
    if np.isnan(means).any():
        raise ValueError(f"{metric} is undefined at {int(np.isnan(means).sum())} points")
    capped = int(np.isinf(means).sum())
    y = np.where(np.isinf(means), float(horizon), means)
    problem = salib_problem(experiment)
    seed = experiment.seed
    note = f"{len(y)} points, mean of {experiment.replicates} replicate(s) each" + (
        f"; {capped} point(s) never reached it and enter as the horizon ({horizon} d)"
        if capped
        else ""
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if experiment.design.kind == "sobol":
            result = sobol.analyze(
                problem, y, calc_second_order=experiment.design.second_order, seed=seed
            )
            frame = pd.DataFrame(
                {
                    "parameter": problem["names"],
                    "S1": result["S1"],
                    "S1_conf": result["S1_conf"],
                    "ST": result["ST"],
                    "ST_conf": result["ST_conf"],
                }
            )
        else:
            result = morris.analyze(
                problem, unit_sample(experiment), y, num_levels=experiment.design.levels, seed=seed
            )
            frame = pd.DataFrame(
                {
                    "parameter": problem["names"],
                    "mu_star": result["mu_star"],
                    "mu_star_conf": result["mu_star_conf"],
                    "mu": result["mu"],
                    "sigma": result["sigma"],
                }
            )
    frame.insert(0, "metric", metric)
    return frame, note
