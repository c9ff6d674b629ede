"""Figures of a run and of a world, written as PNG files.

Each function takes data and a path, draws with matplotlib's object API (no global
state, no display needed) and returns the path it wrote.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from sim.metrics import cascades, kaplan_meier


def save(fig: plt.Figure, path: Path) -> Path:
    """Write a figure to ``path`` (making its folder), close it and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def draw_survival(ax: Axes, groups: pd.DataFrame, by: str = "cohort") -> None:
    """Kaplan–Meier survival of groups on ``ax``, one curve per level of ``by``, 95% bands."""
    for label, kmf in kaplan_meier(groups, by).items():
        kmf.plot_survival_function(
            ax=ax, ci_show=True, label=f"{label} (n={kmf.event_observed.size})"
        )
    ax.set_xlabel("days since creation")
    ax.set_ylabel("share of groups alive")
    ax.set_ylim(0, 1.02)
    ax.set_title("Group survival (Kaplan–Meier, 95% CI)")
    ax.legend(fontsize=8)


def survival(groups: pd.DataFrame, path: Path, by: str = "cohort") -> Path:
    """Kaplan–Meier survival of groups, one curve per level of ``by``, with 95% bands."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    draw_survival(ax, groups, by)
    return save(fig, path)


def draw_members(ax: Axes, groups: pd.DataFrame, memberships: pd.DataFrame, days: int) -> None:
    """Current members per day on ``ax``, summed over each cohort's groups."""
    died = groups.set_index("group")["died"]
    cohort = groups.set_index("group")["cohort"]
    frame = memberships.assign(
        cohort=cohort.reindex(memberships["group"]).to_numpy(),
        died=died.reindex(memberships["group"]).to_numpy(),
    )
    end = np.where(
        frame["left"] >= 0, frame["left"], np.where(frame["died"] >= 0, frame["died"], days)
    )
    for label, part in frame.assign(end=end).groupby("cohort", sort=False):
        delta = np.zeros(days + 1)
        np.add.at(delta, np.clip(part["joined"], 0, days), 1)
        np.add.at(delta, np.clip(part["end"], 0, days), -1)
        ax.plot(np.arange(days), np.cumsum(delta)[:days], label=str(label))
    ax.set_xlabel("day")
    ax.set_ylabel("members of living groups")
    ax.set_title("Members over time by cohort")
    ax.legend(fontsize=8)


def members_over_time(
    groups: pd.DataFrame, memberships: pd.DataFrame, days: int, path: Path
) -> Path:
    """Current members per day, summed over each cohort's groups."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    draw_members(ax, groups, memberships, days)
    return save(fig, path)


def posts_per_day(series: pd.DataFrame, path: Path) -> Path:
    """Posts, joins and leaves per day across all groups, with groups alive."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(series["day"], series["posts"], label="posts")
    ax.plot(series["day"], series["joins"], label="joins")
    ax.plot(series["day"], series["leaves"], label="leaves")
    ax.set_xlabel("day")
    ax.set_ylabel("per day")
    twin = ax.twinx()
    twin.plot(series["day"], series["groups_alive"], color="black", ls="--", label="groups alive")
    twin.set_ylabel("groups alive")
    lines = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8)
    ax.set_title("Activity per day")
    return save(fig, path)


def cascade_figure(groups: pd.DataFrame, memberships: pd.DataFrame, path: Path) -> Path:
    """Invitation cascades by cohort: size (members joined by invite) and depth (hops)."""
    table = cascades(memberships).merge(groups[["group", "cohort"]], on="group")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    labels = list(dict.fromkeys(groups["cohort"]))
    parts = [table.loc[table["cohort"] == c] for c in labels]
    top = max(int(table["invited"].max()), 1)
    left.hist(
        [p["invited"] for p in parts],
        bins=np.linspace(0, top + 1, min(30, top + 2)),
        label=labels,
        histtype="step",
        linewidth=1.5,
    )
    left.set_xlabel("members who joined by invitation")
    left.set_ylabel("groups")
    left.set_title("Cascade size")
    left.legend(fontsize=8)
    depth = int(table["depth"].max())
    width = 0.8 / max(len(parts), 1)
    for i, (label, part) in enumerate(zip(labels, parts, strict=True)):
        counts = np.bincount(part["depth"], minlength=depth + 1)
        right.bar(np.arange(depth + 1) + i * width, counts, width=width, label=label)
    right.set_xlabel("deepest invitation chain (hops)")
    right.set_ylabel("groups")
    right.set_title("Cascade depth")
    right.legend(fontsize=8)
    return save(fig, path)


FIGURE_COHORTS = 10
"""Most cohorts a figure of a run shows one by one; the others are drawn as one."""


def pool_cohorts(groups: pd.DataFrame, most: int = FIGURE_COHORTS) -> pd.DataFrame:
    """The groups with all but the ``most`` largest cohorts pooled into one.

    A figure with a curve and a legend entry per cohort takes time and space that grow
    with the number of cohorts (10,000 cohorts took more than ten minutes), and beyond a
    few the curves cannot be told apart anyway.
    """
    sizes = groups["cohort"].value_counts(sort=False)
    if len(sizes) <= most:
        return groups
    # Largest first; of equal sizes, the one declared first.
    keep = sizes.iloc[np.argsort(-sizes.to_numpy(), kind="stable")[:most]].index
    label = f"other {len(sizes) - most} cohorts"
    return groups.assign(cohort=groups["cohort"].where(groups["cohort"].isin(keep), label))


def run_figures(result, folder: Path) -> list[Path]:
    """All figures of a run, in ``folder``."""
    t = result.tables
    days = int(result.manifest["days_run"])
    groups = pool_cohorts(t["groups"])
    return [
        survival(groups, folder / "survival.png"),
        members_over_time(groups, t["memberships"], days, folder / "members.png"),
        posts_per_day(t["timeseries"], folder / "posts.png"),
        cascade_figure(groups, t["memberships"], folder / "cascades.png"),
    ]


def world_figure(world, stats: dict, exponent: float, path: Path) -> Path:
    """Degree and strength distributions and the natural layer sizes of a world."""
    from sim.world.stats import ranked_time_shares

    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    axes[0].hist(world.ties.deg, bins=np.arange(world.ties.deg.max() + 2) - 0.5, color="tab:blue")
    axes[0].set_xlabel("ties per person (degree)")
    axes[0].set_ylabel("people")
    axes[0].set_title("Degree")
    ids = world.ties.alive_ids()
    axes[1].hist(world.ties.w[ids], bins=np.logspace(np.log10(0.01), 0, 40), color="tab:green")
    axes[1].set_xscale("log")
    axes[1].set_xlabel("tie strength")
    axes[1].set_ylabel("ties")
    axes[1].set_title("Strength")
    table = ranked_time_shares(world, exponent)
    enough = world.ties.deg >= 15
    cumulative = np.cumsum(table[enough], axis=1).mean(axis=0)
    axes[2].plot(np.arange(1, len(cumulative) + 1), cumulative, label="time share (cumulative)")
    for size in stats["natural layer sizes"]:
        axes[2].axvline(size, color="grey", ls=":")
    axes[2].set_xscale("log")
    axes[2].set_xlabel("ties ranked by time (log)")
    axes[2].set_ylabel("share of social time")
    axes[2].set_title("Time allocation; natural layers (dotted)")
    return save(fig, path)
