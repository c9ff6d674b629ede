"""The figures of a comparison: survival per variant, and differences with their CIs."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from sim.compare.spec import Comparison
from sim.figure_style import LINE_STYLES, cohort_colours, figure, legend_outside, save

LABELS = {
    "reach": "people ever reached",
    "members_at_end": "members at the end",
    "active_7": "active members (posted in last 7 days)",
    "active_30": "active members (posted in last 30 days)",
    "posts_per_member_day": "posts per member-day",
    "share_alive": "share of groups alive at the end",
    "rmst": "restricted mean lifetime (days)",
    "sales": "sales (money spent over the run)",
    "buyers": "buyers (people who bought at least once)",
    "word_of_mouth_share": "share of purchases by word of mouth",
    "conversion_per_share": "purchases by word of mouth per share sent",
}


def survival_curves(lifetimes: pd.DataFrame, comparison: Comparison, path: Path) -> Path:
    """Kaplan–Meier survival of groups per variant, pooled over replicates, 95% bands."""
    names = [v.name for v in comparison.variants]
    colours = cohort_colours(names)
    fig, (ax,) = figure()
    for i, name in enumerate(names):
        part = lifetimes[lifetimes["variant"] == name]
        if len(part) == 0:
            continue
        kmf = KaplanMeierFitter(label=f"{name} ({len(part)} groups)")
        kmf.fit(part["lifetime"], event_observed=~part["censored"].astype(bool))
        kmf.plot_survival_function(
            ax=ax, color=colours[name], linestyle=LINE_STYLES[i % len(LINE_STYLES)], ci_show=True
        )
    ax.set_xlabel("days since the group was created")
    ax.set_ylabel("share of groups alive")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_title(
        f"Survival of groups by variant ({comparison.replicates} replicates pooled)",
        fontsize=10,
    )
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    legend_outside(fig, ax, title="variant")
    return save(fig, path)


def differences_plot(differences: pd.DataFrame, reference: str, path: Path) -> Path:
    """Each variant's difference against the reference, per metric, with its 95% CI."""
    metrics = list(dict.fromkeys(differences["metric"]))
    variants = list(dict.fromkeys(differences["variant"]))
    colours = cohort_colours(variants)
    cols = 2
    rows = int(np.ceil(len(metrics) / cols))
    height = 0.8 + rows * (0.9 + 0.35 * max(len(variants), 1))
    fig, grid = plt.subplots(rows, cols, figsize=(9.0, height), layout="constrained", squeeze=False)
    for k, metric in enumerate(metrics):
        ax = grid[k // cols][k % cols]
        part = differences[differences["metric"] == metric].set_index("variant")
        y = np.arange(len(variants))
        for i, variant in enumerate(variants):
            row = part.loc[variant]
            lo, hi = row["low"], row["high"]
            if np.isfinite(lo) and np.isfinite(hi):
                ax.plot([lo, hi], [i, i], color=colours[variant], linewidth=2)
            ax.plot([row["difference"]], [i], "o", color=colours[variant])
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_yticks(y, variants, fontsize=8)
        ax.set_ylim(-0.6, len(variants) - 0.4)
        ax.set_title(LABELS.get(metric, metric), fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
    for k in range(len(metrics), rows * cols):
        grid[k // cols][k % cols].axis("off")
    fig.suptitle(f"Difference against '{reference}' (mean of paired replicates, 95% CI)")
    return save(fig, path)
