"""Figures of a sweep: metric against a parameter, heatmaps, survival per level, indices.

Grid designs and listed values are shown at their exact levels. Ranges sampled at random
(random, Latin hypercube, Sobol, Morris) are cut into quantile bins first, so that every
band still averages several runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from sim.figure_style import plt, save
from sim.sweep.analysis import mean_ci
from sim.sweep.registry import METRICS, bounds_of
from sim.sweep.spec import Experiment, Plot, Range, parse_metric

BINS = 8


def _label(metric: str) -> str:
    name, cohort = parse_metric(metric)
    return METRICS[name].label(cohort)


def levels(experiment: Experiment, runs: pd.DataFrame, parameter: str) -> pd.Series:
    """Each run's level of a parameter: its value, or its quantile bin's middle value."""
    values = experiment.parameters[parameter]
    column = runs[parameter]
    if experiment.design.kind == "grid" or not isinstance(values, Range):
        return column
    if column.nunique() <= BINS:
        return column
    bins = pd.qcut(column, BINS, duplicates="drop")
    return bins.map(lambda b: b.mid).astype(float)


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _order(experiment: Experiment, parameter: str, present) -> list:
    """Levels in the order the experiment lists them, else sorted."""
    values = experiment.parameters[parameter]
    present = list(dict.fromkeys(present))
    if isinstance(values, list) and set(present) <= set(values):
        return [v for v in dict.fromkeys(values) if v in present]
    return sorted(present, key=lambda v: (isinstance(v, str), v))


def _positions(
    experiment: Experiment, parameter: str, series: pd.Series
) -> tuple[np.ndarray, list, bool]:
    """Positions of the levels on an axis; categorical levels are spaced evenly."""
    ordered = _order(experiment, parameter, series.unique())
    if _is_numeric(series):
        return np.asarray(ordered, float), ordered, True
    return np.arange(len(ordered), dtype=float), ordered, False


def line(experiment: Experiment, runs: pd.DataFrame, plot: Plot, path: Path) -> Path:
    """Mean of a metric against a parameter, with 95% CI bands over the runs at each level."""
    assert plot.x is not None and plot.metric is not None
    frame = runs.assign(_x=levels(experiment, runs, plot.x))
    groups: list = [(None, frame)]
    if plot.by is not None:
        split = dict(list(frame.assign(_by=levels(experiment, frame, plot.by)).groupby("_by")))
        groups = [(level, split[level]) for level in _order(experiment, plot.by, list(split))]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    positions, ordered, numeric = _positions(experiment, plot.x, frame["_x"])
    where = dict(zip(ordered, positions, strict=True))
    beyond = []
    colours = plt.cm.viridis(np.linspace(0, 0.9, max(len(groups), 1)))
    for colour, (level, part) in zip(colours, groups, strict=True):
        stats = [
            (where[x], *mean_ci(p[plot.metric].to_numpy(), bounds=bounds_of(plot.metric)))
            for x, p in part.groupby("_x", sort=True)
        ]
        table = pd.DataFrame(stats, columns=["x", "mean", "low", "high", "n"]).sort_values("x")
        finite = np.isfinite(table["mean"])
        label = None if plot.by is None else f"{plot.by} = {level}"
        ax.plot(table["x"][finite], table["mean"][finite], "o-", color=colour, label=label)
        band = finite & np.isfinite(table["low"])
        ax.fill_between(
            table["x"][band], table["low"][band], table["high"][band], color=colour, alpha=0.25
        )
        beyond += [(x, colour) for x in table["x"][np.isinf(table["mean"])]]
        if experiment.design.kind != "grid" and isinstance(experiment.parameters[plot.x], Range):
            raw = part[np.isfinite(part[plot.metric])]
            ax.scatter(raw[plot.x], raw[plot.metric], s=6, color=colour, alpha=0.3)
    if beyond:
        top = ax.get_ylim()[1]
        for x, colour in beyond:
            ax.plot([x], [top], marker="^", color=colour, markersize=9, linestyle="none")
        ax.plot([], [], "^", color="grey", label="not reached within the run (∞)")
    if not numeric:
        ax.set_xticks(positions, [str(v) for v in ordered])
    ax.set_xlabel(plot.x)
    ax.set_ylabel(_label(plot.metric))
    ax.set_title(
        f"{experiment.name}: {_label(plot.metric)}\nmean and 95% CI over "
        f"{experiment.replicates} replicate(s) per point",
        fontsize=10,
    )
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return save(fig, path)


def heatmap(experiment: Experiment, runs: pd.DataFrame, plot: Plot, path: Path) -> Path:
    """Mean of a metric over the levels of two parameters, each cell annotated."""
    assert plot.x is not None and plot.y is not None and plot.metric is not None
    frame = runs.assign(_x=levels(experiment, runs, plot.x), _y=levels(experiment, runs, plot.y))
    table = frame.pivot_table(index="_y", columns="_x", values=plot.metric, aggfunc="mean")
    table = table.reindex(
        index=_order(experiment, plot.y, table.index),
        columns=_order(experiment, plot.x, table.columns),
    )
    fig, ax = plt.subplots(figsize=(7, 5))
    shown = table.to_numpy(float)
    finite = shown[np.isfinite(shown)]
    image = ax.imshow(
        np.where(np.isfinite(shown), shown, np.nan),
        origin="lower",
        aspect="auto",
        cmap="viridis",
        vmin=finite.min() if len(finite) else None,
        vmax=finite.max() if len(finite) else None,
    )
    for (i, j), value in np.ndenumerate(shown):
        text = "∞" if np.isinf(value) else ("–" if np.isnan(value) else f"{value:.3g}")
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white")
    ax.set_xticks(
        range(table.shape[1]),
        [f"{v:.3g}" if isinstance(v, float) else str(v) for v in table.columns],
    )
    ax.set_yticks(
        range(table.shape[0]), [f"{v:.3g}" if isinstance(v, float) else str(v) for v in table.index]
    )
    ax.set_xlabel(plot.x)
    ax.set_ylabel(plot.y)
    fig.colorbar(image, ax=ax, label=_label(plot.metric))
    ax.set_title(
        f"{experiment.name}: {_label(plot.metric)}\nmean over {experiment.replicates} "
        "replicate(s) per cell",
        fontsize=10,
    )
    return save(fig, path)


def survival(
    experiment: Experiment, runs: pd.DataFrame, lifetimes: pd.DataFrame, plot: Plot, path: Path
) -> Path:
    """Kaplan–Meier group survival per level of a parameter, pooled over replicates."""
    assert plot.by is not None
    frame = lifetimes.merge(
        runs[["run"]].assign(_level=levels(experiment, runs, plot.by)), on="run"
    )
    if plot.cohort is not None:
        frame = frame[frame["cohort"] == plot.cohort]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    split = dict(list(frame.groupby("_level")))
    parts = [(level, split[level]) for level in _order(experiment, plot.by, list(split))]
    colours = plt.cm.viridis(np.linspace(0, 0.9, max(len(parts), 1)))
    for colour, (level, part) in zip(colours, parts, strict=True):
        kmf = KaplanMeierFitter()
        kmf.fit(part["lifetime"], event_observed=~part["censored"].astype(bool))
        shown = f"{level:.3g}" if isinstance(level, float) else str(level)
        kmf.plot_survival_function(
            ax=ax, ci_show=True, color=colour, label=f"{shown} ({len(part)} groups)", ci_alpha=0.15
        )
    ax.set_xlabel("days since creation")
    ax.set_ylabel("share of groups alive")
    ax.set_ylim(0, 1.02)
    scope = f", cohort {plot.cohort}" if plot.cohort else ""
    ax.set_title(
        f"{experiment.name}: group survival by {plot.by}{scope}\n"
        "Kaplan–Meier, 95% CI, replicates pooled",
        fontsize=10,
    )
    ax.legend(title=plot.by, fontsize=8, title_fontsize=8)
    return save(fig, path)


def indices(
    experiment: Experiment, frame: pd.DataFrame, note: str, metric: str, path: Path
) -> Path:
    """Bar plot of Sobol (S1, ST) or Morris (mu*, sigma) indices with their 95% CIs."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    y = np.arange(len(frame))
    if "ST" in frame:
        ax.barh(y - 0.2, frame["S1"], 0.4, xerr=frame["S1_conf"], label="first order S1")
        ax.barh(y + 0.2, frame["ST"], 0.4, xerr=frame["ST_conf"], label="total order ST")
        ax.set_xlabel(f"Sobol index of {_label(metric)}")
        method = "Sobol"
    else:
        ax.barh(
            y - 0.2, frame["mu_star"], 0.4, xerr=frame["mu_star_conf"], label="μ* (mean |effect|)"
        )
        ax.barh(y + 0.2, frame["sigma"], 0.4, label="σ (interaction / non-linearity)")
        ax.set_xlabel(f"Morris elementary effect on {_label(metric)} (unit range)")
        method = "Morris"
    ax.set_yticks(y, frame["parameter"])
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.legend(fontsize=8)
    ax.set_title(f"{experiment.name}: {method} sensitivity of {_label(metric)}\n{note}", fontsize=9)
    return save(fig, path)
