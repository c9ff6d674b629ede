"""Figures of a run with products: sales by channel, word of mouth, concentration, value.

``sales.png`` shows purchases per day by channel and the share that came by word of
mouth (C14); ``customers.png`` the Lorenz curve of sales over buyers (C13) and the three
dimensions of customer value (C18).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from sim.customers import WORD_OF_MOUTH, daily_sales, lorenz, top_share
from sim.figure_style import figure, save
from sim.market import CHANNELS

CHANNEL_COLOURS = {
    "organic": "tab:gray",
    "promotion": "tab:red",
    "recommendation": "tab:blue",
    "referral": "tab:green",
}
"""One colour per channel, the same in every commerce figure."""
WEEK = 7


def sales_figure(timeseries: pd.DataFrame, path: Path) -> Path:
    """Purchases per day by channel (a week's moving mean) and word of mouth's share."""
    daily = daily_sales(timeseries)
    fig, (left, right) = figure(2, width=12, height=4.2)
    smooth = daily[list(CHANNELS)].rolling(WEEK, min_periods=1).mean()
    left.stackplot(
        daily["day"],
        *[smooth[c] for c in CHANNELS],
        labels=list(CHANNELS),
        colors=[CHANNEL_COLOURS[c] for c in CHANNELS],
        alpha=0.85,
    )
    left.set_xlabel("day")
    left.set_ylabel("purchases per day (7-day mean)")
    left.set_title("Sales by channel", fontsize=10)
    left.set_ylim(bottom=0)
    left.legend(loc="upper left", fontsize=8, frameon=False)
    weeks = daily.assign(week=daily["day"] // WEEK).groupby("week")[list(CHANNELS)].sum()
    total = weeks.sum(axis=1)
    enough = total >= 5  # a share of fewer purchases is mostly noise
    start = weeks.index[enough] * WEEK
    right.plot(
        start,
        (weeks[list(WORD_OF_MOUTH)].sum(axis=1) / total)[enough],
        color="tab:blue",
        marker="o",
        ms=3,
        label="word of mouth (recommendation + referral)",
    )
    right.plot(
        start,
        (weeks["referral"] / total)[enough],
        color=CHANNEL_COLOURS["referral"],
        ls="--",
        label="referral invitations",
    )
    right.set_ylim(0, 1)
    right.set_xlabel("week starting on day")
    right.set_ylabel("share of the week's purchases")
    right.set_title("Word of mouth over time (weeks with 5+ purchases)", fontsize=10)
    right.legend(loc="upper left", fontsize=8, frameon=False)
    return save(fig, path)


def customers_figure(customers: pd.DataFrame, path: Path) -> Path:
    """Lorenz curve of sales over buyers and the distributions of customer value."""
    buyers = customers[customers["purchases"] > 0]
    fig, axes = figure(4, width=15, height=3.8)
    spend = buyers["spend"].to_numpy(np.float64)
    x, y = lorenz(spend)
    ax = axes[0]
    ax.plot(x, y, color="tab:blue", label="model")
    ax.plot([0, 1], [0, 1], color="grey", ls=":", label="equal spend")
    for share in (0.1, 0.2):
        top = top_share(spend, share)
        if np.isfinite(top):
            ax.plot(1 - share, 1 - top, "o", color="tab:red", ms=4)
            ax.annotate(
                f"top {share:.0%}: {top:.0%} of sales",
                (1 - share, 1 - top),
                textcoords="offset points",
                xytext=(-8, 8),
                ha="right",
                fontsize=8,
            )
    ax.set_xlabel("share of buyers (lowest spend first)")
    ax.set_ylabel("share of sales")
    ax.set_title(f"Lorenz curve of sales ({len(buyers):,} buyers)", fontsize=10)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    panels = (
        ("retention", "days from first to last purchase", "Retention"),
        ("spend", "spend", "Spend"),
    )
    for ax, (column, label, title) in zip(axes[1:3], panels, strict=True):
        values = buyers[column].to_numpy(np.float64)
        ax.hist(values, bins=histogram_bins(values), color="tab:blue")
        ax.set_xlabel(label)
        ax.set_ylabel("buyers")
        ax.set_title(f"{title}: median {np.median(values) if len(values) else 0:.3g}", fontsize=10)
    ax = axes[3]
    reach = buyers["referred_buyers"].to_numpy(np.int64)
    counts = np.bincount(reach) if len(reach) else np.zeros(1, np.int64)
    ax.bar(np.arange(len(counts)), counts, color="tab:green")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("new buyers brought by word of mouth")
    ax.set_ylabel("buyers (log)")
    ax.set_title(f"Referred reach: max {int(reach.max()) if len(reach) else 0}", fontsize=10)
    return save(fig, path)


def histogram_bins(values: np.ndarray, most: int = 30) -> np.ndarray | int:
    """Bin edges for a histogram of values on a lattice (spend in whole prices, days).

    Equal-width bins over such values fall unevenly on the lattice and draw a comb of
    empty bins; when the values are multiples of one step, the bins are whole multiples
    of it, centred on the values, at most ``most`` of them.
    """
    finite = values[np.isfinite(values)]
    positive = np.unique(finite[finite > 0])
    if len(positive) < 2:
        return most
    step = float(np.min(np.diff(np.concatenate([[0.0], positive]))))
    if step <= 0 or not np.allclose(finite / step, np.round(finite / step)):
        return most
    span = float(finite.max() - min(finite.min(), 0.0))
    width = step * max(1, int(np.ceil(span / step / most)))
    low = min(finite.min(), 0.0) - width / 2
    return np.arange(low, finite.max() + width, width)


def commerce_figures(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """The commerce figures of a run with products."""
    return [
        sales_figure(tables["timeseries"], folder / "sales.png"),
        customers_figure(tables["customers"], folder / "customers.png"),
    ]
