"""The look shared by every figure: one colour per cohort, legends outside, honest axes.

Used by the run figures (``sim/plots.py``), the network view (``sim/network_plot.py``),
the sweep figures and the browser page, so that a cohort has the same colour everywhere.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

PALETTE = (
    "tab:blue",
    "tab:orange",
    "tab:green",
    "tab:red",
    "tab:purple",
    "tab:brown",
    "tab:pink",
    "tab:olive",
    "tab:cyan",
    "goldenrod",
)
"""Cohort colours, in the order the cohorts are declared; grey is kept for pooled ones."""
POOLED_COLOUR = "tab:gray"
LINE_STYLES = ("-", "--", "-.", ":")
"""Survival curves of different cohorts differ in style too, so overlaps stay legible."""
SPIKE = 1.5
"""A day more than this many times the 99th percentile of the later days is off scale."""


def save(fig: plt.Figure, path: Path) -> Path:
    """Write a figure to ``path`` (making its folder), close it and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not fig.get_constrained_layout():
        fig.tight_layout()
    # "tight" keeps legends placed outside the axes in the picture.
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def figure(ncols: int = 1, width: float = 7.0, height: float = 4.2) -> tuple[plt.Figure, list]:
    """A figure with room on its right for a legend outside the axes."""
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), layout="constrained", squeeze=False)
    return fig, list(axes[0])


def is_pooled(label: str) -> bool:
    """Whether a cohort label stands for the cohorts :func:`pool_cohorts` pooled."""
    return str(label).startswith("other ") and str(label).endswith(" cohorts")


def cohort_colours(names) -> dict[str, str]:
    """One colour per cohort, the same in every figure of a run and on the page.

    Args:
        names: Cohort labels in the order they are declared (repeats are ignored).
    """
    colours: dict[str, str] = {}
    for name in map(str, names):
        if name not in colours:
            plain = sum(not is_pooled(n) for n in colours)
            colours[name] = POOLED_COLOUR if is_pooled(name) else PALETTE[plain % len(PALETTE)]
    return colours


def legend_outside(fig: plt.Figure, ax: Axes, title: str | None = None) -> None:
    """The legend of ``ax`` to the right of the axes, where it cannot cover data."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(
            handles, labels, loc="outside right upper", fontsize=8, frameon=False, title=title
        )


def cohort_legend(fig: plt.Figure, colours: dict[str, str], shown) -> None:
    """A legend of the cohorts in ``shown``, in the order of ``colours``, outside the axes."""
    shown = set(map(str, shown))
    names = [name for name in colours if name in shown]
    handles = [Line2D([], [], color=colours[name], lw=2) for name in names]
    if handles:
        fig.legend(
            handles, names, loc="outside right upper", fontsize=8, frameon=False, title="cohort"
        )


def plain_log_ticks(axis) -> None:
    """Label a log axis at 1, 2 and 5 of each decade, in plain numbers.

    Matplotlib's default labels a range narrower than a decade with crowded minor labels
    in powers of ten (``3 x 10^-1``); ``axis`` is ``ax.xaxis`` or ``ax.yaxis``.
    """
    axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    axis.set_minor_formatter(NullFormatter())


def floor_zero(ax: Axes, top: float) -> None:
    """A count's y-axis from 0, so that a constant 11 is not drawn on 10.4-11.6."""
    top = float(top) if np.isfinite(top) and top > 0 else 1.0
    ax.set_ylim(0, top * 1.08)


def clip_spike(ax: Axes, days: np.ndarray, values: np.ndarray) -> None:
    """A y-axis from 0 that the day-0 (and day-1) peaks do not squash.

    When the first days stand far above the rest (everyone joins on the day a group is
    created), the axis ends above the 99th percentile of the later days and the peaks
    are written on the figure instead.

    Args:
        ax: The axes drawn on.
        days: Day of each row of ``values``.
        values: One column per line drawn (NaN where undefined).
    """
    values = np.asarray(values, np.float64).reshape(len(days), -1)
    later = values[np.asarray(days) >= 2]
    later = later[np.isfinite(later)]
    top_all = np.nanmax(values) if np.isfinite(values).any() else 0.0
    top = float(np.percentile(later, 99)) * 1.15 if len(later) else top_all
    if top <= 0 or top_all <= SPIKE * top:
        floor_zero(ax, top_all)
        return
    ax.set_ylim(0, top)
    peaks = np.nanmax(values, axis=1)
    off = [(int(d), float(v)) for d, v in zip(days, peaks, strict=True) if v > top]
    shown = ", ".join(f"day {d}: {v:,.0f}" for d, v in off[:3])
    more = f" (+{len(off) - 3} more days)" if len(off) > 3 else ""
    ax.annotate(
        f"off scale: {shown}{more}",
        xy=(0.99, 0.98),
        xycoords="axes fraction",
        ha="right",
        va="top",
        fontsize=7,
        color="dimgray",
    )
