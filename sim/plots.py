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

from sim.figure_style import (
    LINE_STYLES,
    clip_spike,
    cohort_colours,
    cohort_legend,
    figure,
    floor_zero,
    is_pooled,
    legend_outside,
    save,
)
from sim.metrics import cascades, kaplan_meier


def _cohort_lines(
    ax: Axes, frame: pd.DataFrame, column: str, colours: dict[str, str], **style
) -> np.ndarray:
    """``frame[column]`` against the day, one line per cohort; the values drawn (day × line)."""
    table = frame.pivot(index="day", columns="cohort", values=column)
    order = {name: i for i, name in enumerate(colours)}
    table = table[sorted(table.columns, key=lambda n: order.get(str(n), len(order)))]
    for name in table.columns:
        ax.plot(table.index, table[name], color=colours.get(str(name)), label=str(name), **style)
    return table.to_numpy(np.float64)


def draw_survival(ax: Axes, groups: pd.DataFrame, colours: dict[str, str] | None = None) -> None:
    """Kaplan–Meier survival of groups on ``ax``: one curve per cohort, 95% bands, censoring.

    Curves differ in colour and line style, and a tick marks each group still alive when
    the record ends (censored), so that overlapping curves can be told apart.
    """
    colours = colours or cohort_colours(groups["cohort"])
    for i, (label, kmf) in enumerate(kaplan_meier(groups, "cohort").items()):
        kmf.plot_survival_function(
            ax=ax,
            ci_show=True,
            ci_alpha=0.15,
            show_censors=True,
            censor_styles={"marker": "|", "ms": 7, "mew": 1.2},
            color=colours.get(label),
            linestyle=LINE_STYLES[i % len(LINE_STYLES)],
            # The deaths too: curves that all stay at 1 lie on top of each other.
            label=f"{label} (n={kmf.event_observed.size}, {int(kmf.event_observed.sum())} died)",
        )
    ax.set_xlabel("days since creation")
    ax.set_ylabel("share of groups alive")
    ax.set_xlim(left=0)
    ax.set_ylim(0, 1.05)  # a curve at 1 stays visible
    ax.set_title(
        "Group survival (Kaplan–Meier)\nband: 95% CI; |: still alive at the end", fontsize=10
    )
    if ax.get_legend() is not None:  # lifelines adds one inside the axes
        ax.get_legend().remove()


def survival(groups: pd.DataFrame, path: Path, colours: dict[str, str] | None = None) -> Path:
    """Kaplan–Meier survival of groups by cohort, with 95% bands and censoring ticks."""
    fig, (ax,) = figure(width=8)
    draw_survival(ax, groups, colours)
    legend_outside(fig, ax)
    return save(fig, path)


def draw_group_sizes(ax: Axes, days: pd.DataFrame, colours: dict[str, str]) -> None:
    """Members per living group by cohort: the median, and a band from quartile 1 to 3.

    A per-group view: a cohort of small groups does not sit at zero beside one of big
    groups, as it would in a sum. A log scale is used when the medians differ tenfold.
    """
    median = _cohort_lines(ax, days, "members_median", colours)
    for name, part in days.groupby("cohort", sort=False):
        ax.fill_between(
            part["day"],
            part["members_q25"],
            part["members_q75"],
            color=colours.get(str(name)),
            alpha=0.2,
            linewidth=0,
        )
    drawn = median[np.isfinite(median) & (median > 0)]
    if len(drawn) and drawn.max() >= 10 * max(drawn.min(), 1):
        ax.set_yscale("log")
        ax.set_ylim(bottom=1)
        ax.set_ylabel("members per living group (log)")
    else:
        floor_zero(ax, np.nanmax(days["members_q75"]) if len(days) else 0)
        ax.set_ylabel("members per living group")
    ax.set_xlabel("day")
    ax.set_title("Group size (median; band: middle half of the groups)", fontsize=10)


def draw_groups_alive(ax: Axes, days: pd.DataFrame, colours: dict[str, str]) -> None:
    """Living groups by cohort, from 0."""
    drawn = _cohort_lines(ax, days, "groups_alive", colours)
    floor_zero(ax, np.nanmax(drawn) if drawn.size else 0)
    ax.set_xlabel("day")
    ax.set_ylabel("living groups")
    ax.set_title("Groups alive", fontsize=10)


def draw_members(ax: Axes, days: pd.DataFrame, colours: dict[str, str]) -> None:
    """Members of living groups by cohort (solid) and the active, unmuted ones (dashed)."""
    drawn = _cohort_lines(ax, days, "members", colours)
    active = days.pivot(index="day", columns="cohort", values="active")
    for name in active.columns:
        ax.plot(active.index, active[name], color=colours.get(str(name)), ls="--", lw=1)
    floor_zero(ax, np.nanmax(drawn) if drawn.size else 0)
    ax.set_xlabel("day")
    ax.set_ylabel("members of living groups")
    ax.set_title("Members (solid) and active, unmuted members (dashed)", fontsize=10)


def draw_posts(ax: Axes, days: pd.DataFrame, colours: dict[str, str]) -> None:
    """Posts per day by cohort; the day-0 peak does not squash the rest (:func:`clip_spike`)."""
    drawn = _cohort_lines(ax, days, "posts", colours)
    clip_spike(ax, np.unique(days["day"]), drawn)
    ax.set_xlabel("day")
    ax.set_ylabel("posts per day")
    ax.set_title("Posts per day", fontsize=10)


def draw_posts_per_member(ax: Axes, days: pd.DataFrame, colours: dict[str, str]) -> None:
    """Posts per member and day by cohort: how talkative a cohort's groups are, not how big."""
    rate = days.assign(rate=days["posts"] / days["members"].where(days["members"] > 0))
    drawn = _cohort_lines(ax, rate, "rate", colours)
    clip_spike(ax, np.unique(days["day"]), drawn)
    ax.set_xlabel("day")
    ax.set_ylabel("posts per member per day")
    ax.set_title("Posts per member and day", fontsize=10)


def draw_muted_share(ax: Axes, days: pd.DataFrame, colours: dict[str, str]) -> None:
    """Share of the members of living groups who have muted the group, by cohort."""
    share = days.assign(share=1 - days["active"] / days["members"].where(days["members"] > 0))
    _cohort_lines(ax, share, "share", colours)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("day")
    ax.set_ylabel("muted share of members")
    ax.set_title("Muted share", fontsize=10)


def _panels(days: pd.DataFrame, colours: dict[str, str], draws, path: Path) -> Path:
    """Panels side by side, each drawn by one of ``draws``, and one legend of cohorts."""
    fig, axes = figure(len(draws), width=5.2 * len(draws) + 1.5, height=4)
    for ax, draw in zip(axes, draws, strict=True):
        draw(ax, days, colours)
    cohort_legend(fig, colours, days["cohort"])
    return save(fig, path)


def members_over_time(days: pd.DataFrame, colours: dict[str, str], path: Path) -> Path:
    """Group size per cohort (median and quartiles of living groups) and groups alive."""
    return _panels(days, colours, (draw_group_sizes, draw_groups_alive), path)


def posts_per_day(days: pd.DataFrame, colours: dict[str, str], path: Path) -> Path:
    """Posts per day and posts per member and day, by cohort."""
    return _panels(days, colours, (draw_posts, draw_posts_per_member), path)


def draw_flows(ax: Axes, series: pd.DataFrame) -> None:
    """Joins and leaves per day over all groups, the day-0 joins written, not drawn."""
    ax.plot(series["day"], series["joins"], label="joins", color="tab:green")
    ax.plot(series["day"], series["leaves"], label="leaves", color="tab:red")
    clip_spike(ax, series["day"].to_numpy(), series[["joins", "leaves"]].to_numpy())
    ax.set_xlabel("day")
    ax.set_ylabel("memberships per day")
    ax.set_title("Joins and leaves (all groups)", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0, -0.15), ncols=2, frameon=False)


def flows(series: pd.DataFrame, days: pd.DataFrame, colours: dict[str, str], path: Path) -> Path:
    """Joins and leaves per day, and the muted share of members by cohort."""
    fig, (left, right) = figure(2, width=12, height=4.2)
    draw_flows(left, series)
    draw_muted_share(right, days, colours)
    cohort_legend(fig, colours, days["cohort"])
    return save(fig, path)


def cascade_figure(
    groups: pd.DataFrame, memberships: pd.DataFrame, colours: dict[str, str], path: Path
) -> Path:
    """Invitation cascades by cohort: size (members joined by invite) and depth (hops)."""
    table = cascades(memberships).merge(groups[["group", "cohort"]], on="group")
    fig, (left, right) = figure(2, width=12, height=4)
    labels = list(dict.fromkeys(groups["cohort"]))
    parts = [table.loc[table["cohort"] == c] for c in labels]
    top = max(int(table["invited"].max()), 1)
    left.hist(
        [p["invited"] for p in parts],
        bins=np.linspace(0, top + 1, min(30, top + 2)),
        label=labels,
        color=[colours.get(str(c)) for c in labels],
        histtype="step",
        linewidth=1.5,
    )
    left.set_xlabel("members who joined by invitation")
    left.set_ylabel("groups")
    left.set_title("Cascade size", fontsize=10)
    depth = int(table["depth"].max())
    width = 0.8 / max(len(parts), 1)
    for i, (label, part) in enumerate(zip(labels, parts, strict=True)):
        counts = np.bincount(part["depth"], minlength=depth + 1)
        right.bar(
            np.arange(depth + 1) + i * width, counts, width=width, color=colours.get(str(label))
        )
    right.set_xticks(np.arange(depth + 1) + 0.4 - width / 2, [str(d) for d in range(depth + 1)])
    right.set_xlabel("deepest invitation chain (hops)")
    right.set_ylabel("groups")
    right.set_title("Cascade depth", fontsize=10)
    cohort_legend(fig, colours, labels)
    return save(fig, path)


FIGURE_COHORTS = 10
"""Most cohorts a figure of a run shows one by one; the others are drawn as one."""


def pooled_labels(groups: pd.DataFrame, most: int = FIGURE_COHORTS) -> dict[str, str]:
    """Each cohort's label in the figures: itself, or one label for all but the largest.

    A figure with a curve and a legend entry per cohort takes time and space that grow
    with the number of cohorts (10,000 cohorts took more than ten minutes), and beyond a
    few the curves cannot be told apart anyway.
    """
    sizes = groups["cohort"].value_counts(sort=False)
    if len(sizes) <= most:
        return {str(c): str(c) for c in sizes.index}
    # Largest first; of equal sizes, the one declared first.
    keep = set(sizes.iloc[np.argsort(-sizes.to_numpy(), kind="stable")[:most]].index)
    label = f"other {len(sizes) - most} cohorts"
    return {str(c): (str(c) if c in keep else label) for c in sizes.index}


def pool_cohorts(groups: pd.DataFrame, most: int = FIGURE_COHORTS) -> pd.DataFrame:
    """The groups with all but the ``most`` largest cohorts pooled into one."""
    return groups.assign(cohort=groups["cohort"].map(pooled_labels(groups, most)))


def pool_days(days: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """The daily series by cohort with cohorts relabelled by ``labels`` and summed.

    Quartiles of group size cannot be summed: a pooled label has none.
    """
    if all(k == v for k, v in labels.items()):
        return days
    pooled = days.assign(cohort=days["cohort"].map(labels).fillna(days["cohort"]))
    counts = ["groups_alive", "members", "active", "posts"]
    summed = pooled.groupby(["day", "cohort"], sort=False)[counts].sum().reset_index()
    quartiles = [c for c in days.columns if c.startswith("members_") and c != "members"]
    firsts = pooled.groupby(["day", "cohort"], sort=False)[quartiles].first().reset_index()
    out = summed.merge(firsts, on=["day", "cohort"])
    out.loc[out["cohort"].map(is_pooled), quartiles] = np.nan
    return out


def run_figures(result, folder: Path) -> list[Path]:
    """All figures of a run, in ``folder``, each cohort in the same colour throughout."""
    t = result.tables
    labels = pooled_labels(t["groups"])
    groups = t["groups"].assign(cohort=t["groups"]["cohort"].map(labels))
    declared = [labels[c] for c in result.scenario.groups if c in labels]
    colours = cohort_colours(declared)
    days = pool_days(t["cohort_days"], labels)
    days = days[days["cohort"].isin(colours)]  # cohorts none of whose groups was created
    figures = [
        survival(groups, folder / "survival.png", colours),
        members_over_time(days, colours, folder / "members.png"),
        posts_per_day(days, colours, folder / "posts.png"),
        flows(t["timeseries"], days, colours, folder / "flows.png"),
        cascade_figure(groups, t["memberships"], colours, folder / "cascades.png"),
    ]
    if "purchases" in t:
        from sim.sales_plots import commerce_figures

        figures += commerce_figures(t, folder)
    return figures


def world_figure(world, stats: dict, exponent: float, path: Path) -> Path:
    """Degree and strength distributions and the natural layer sizes of a world."""
    from sim.world.stats import ranked_time_shares

    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    axes[0].hist(world.ties.deg, bins=np.arange(world.ties.deg.max() + 2) - 0.5, color="tab:blue")
    axes[0].set_xlabel("ties per person (degree)")
    axes[0].set_ylabel("people")
    axes[0].set_title("Degree")
    ids = world.ties.alive_ids()
    axes[1].hist(world.ties.w[ids], bins=np.logspace(-2, 0, 40), color="tab:green")
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
