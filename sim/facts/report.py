"""The report of the checks: figures and the generated ``docs/validation.md``."""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from sim import libm
from sim.facts.checks import CHECKS, NOT_COVERED, SCALES, SCENARIOS, Check
from sim.facts.measures import LAYERS, STRENGTH_EDGES, TIES_INSIDE_BINS
from sim.facts.run import interval

PUBLISHED_LAYERS = (5, 15, 50, 150)
"""Cumulative layer sizes of F1 (Zhou et al. 2005)."""


def _band(curves: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and 95% CI at each point of per-replicate curves (NaN where undefined)."""
    if not curves:
        return np.array([]), np.array([]), np.array([])
    stacked = np.vstack(curves)
    out = np.array([interval(stacked[:, j])[:3] for j in range(stacked.shape[1])])
    return out[:, 0], out[:, 1], out[:, 2]


def _errorbar(ax, x, mean, lo, hi, **style) -> None:
    """Points with CI bars where the CI is defined (points alone where it is not)."""
    lo = np.where(np.isfinite(lo), lo, mean)
    hi = np.where(np.isfinite(hi), hi, mean)
    ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], capsize=4, marker="o", **style)


def size_interval(values: np.ndarray, logged: bool) -> tuple[float, float, float, int]:
    """Mean and 95% CI of one size's replicate values, and how many were left out.

    With ``logged``, the geometric mean and the interval of the logarithms taken back:
    values of 0 or less have no logarithm and are left out.
    """
    values = values[np.isfinite(values)]
    if not logged:
        return (*interval(values)[:3], 0)
    positive = values[values > 0]
    mean, low, high = interval(libm.log(positive))[:3]
    return (
        float(libm.exp(mean)),
        float(libm.exp(low)),
        float(libm.exp(high)),
        len(values) - len(positive),
    )


def figures(
    report: pd.DataFrame, data: dict, folder: Path, checks: tuple[Check, ...] = CHECKS
) -> list[Path]:
    """Draw the report's figures into ``folder`` and return their paths.

    ``checks`` are the checks the report's rows come from, in order.
    """
    from sim import figure_style as fs

    paths = []
    # Layers (F1).
    fig, (ax,) = fs.figure(width=6.5, height=4.0)
    x = np.arange(1, LAYERS + 1)
    for k, (curve, label) in enumerate(
        [("layer sizes on day 0", "model, day 0"), ("layer sizes", "model, end of run")]
    ):
        mean, lo, hi = _band(data["curves"][curve])
        if len(mean):
            _errorbar(ax, x, mean, lo, hi, color=fs.PALETTE[k], label=f"{label} (mean, 95% CI)")
    ax.plot(x, PUBLISHED_LAYERS, "s--", color=fs.POOLED_COLOUR, label="published ~5, 15, 50, 150")
    ax.set_yscale("log")
    fs.plain_log_ticks(ax.yaxis)
    ax.set_xticks(x)
    ax.set_xlabel("layer (innermost = 1)")
    ax.set_ylabel("cumulative layer size (ties)")
    ax.set_title("F1: ego-network layers (baseline runs)")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    paths.append(fs.save(fig, folder / "layers.png"))
    # Acceptance (F8, F12).
    fig, axes = fs.figure(ncols=2, width=10.0, height=4.0)
    mean, lo, hi = _band(data["curves"]["acceptance by ties inside"])
    if len(mean):
        _errorbar(axes[0], np.array(TIES_INSIDE_BINS), mean, lo, hi, color=fs.PALETTE[0])
    axes[0].set_xticks(TIES_INSIDE_BINS, ["0", "1", "2", "3+"])
    axes[0].set_xlabel("invitee's other ties inside the group")
    axes[0].set_ylabel("share of invitations accepted")
    axes[0].set_title("F8: acceptance by ties inside")
    mean, lo, hi = _band(data["curves"]["acceptance by strength"])
    mids = [f"{a:.1f}–{min(b, 1.0):.1f}" for a, b in itertools.pairwise(STRENGTH_EDGES)]
    if len(mean):
        _errorbar(axes[1], np.arange(len(mids)), mean, lo, hi, color=fs.PALETTE[1])
    axes[1].set_xticks(range(len(mids)), mids)
    axes[1].set_xlabel("tie strength invitee–inviter")
    axes[1].set_ylabel("share of invitations accepted")
    axes[1].set_title("F12: acceptance by tie strength")
    for ax in axes:
        ax.set_ylim(0, 1)
    fig.suptitle("Fission runs: mean and 95% CI across replicates")
    paths.append(fs.save(fig, folder / "acceptance.png"))
    # Group size (F13, F16, F18). F16 and F18 are checked as log-log slopes, so their
    # panels show the rates on a log scale, each size's geometric mean and 95% CI across
    # replicates (a t-interval of the logarithms): a rate's interval then stays positive.
    sizes = data["sizes"]
    fig, axes = fs.figure(ncols=3, width=13.0, height=4.0)
    columns = [
        ("share who posted", "share of members who ever posted", "F13", False),
        ("posts per member-day", "posts per member-day", "F16", True),
        ("group posts per day", "posts per group per day alive", "F18", True),
    ]
    for ax, (column, label, fact, logged) in zip(axes, columns, strict=True):
        if len(sizes):
            by = sizes.reset_index().groupby("size")[column]
            stats = np.array([size_interval(part.to_numpy(), logged) for _, part in by])
            xs = np.array(sorted(sizes.index.unique()), np.float64)
            _errorbar(ax, xs, stats[:, 0], stats[:, 1], stats[:, 2], color=fs.PALETTE[2])
            left_out = int(stats[:, 3].sum())
            if left_out:
                ax.text(
                    0.98,
                    0.97,
                    f"{left_out} replicate value(s) of 0 left out",
                    transform=ax.transAxes,
                    ha="right",
                    va="top",
                    fontsize=8,
                )
        ax.set_xscale("log")
        if len(sizes):
            ax.set_xticks(xs, [f"{x:g}" for x in xs])
            ax.minorticks_off()
        ax.set_xlabel("initial group size (members, log scale)")
        ax.set_ylabel(label)
        ax.set_title(f"{fact}: {label}")
        if logged:
            ax.set_yscale("log")
            fs.plain_log_ticks(ax.yaxis)
            ax.set_ylabel(f"{label} (log scale)")
    fig.suptitle(
        "Group-size runs: mean and 95% CI across replicates "
        "(on a log scale, the geometric mean and the interval of the logarithms)"
    )
    paths.append(fs.save(fig, folder / "group_size.png"))
    # Everything else: each check's model figure against its rule, one row per check.
    fig, (ax,) = fs.figure(width=10.0, height=0.5 * len(report) + 1.5)
    paths.append(_overview(fig, ax, report, checks, folder, fs))
    return paths


def _overview(fig, ax, report: pd.DataFrame, checks, folder: Path, fs) -> Path:
    """One row per check: the model's CI, scaled so that the rule's range is [0, 1].

    The grey band of each row is what its rule accepts: [0, 1] for a published range,
    everything right of 0 for "above", left of 1 for "below".
    """
    labels = []
    left, right = -3.0, 4.0
    for i, (row, check) in enumerate(zip(report.itertuples(index=False), checks, strict=True)):
        low, high = _rule_range(check)
        kind = type(check.rule).__name__
        band = {"Above": (0.0, right), "Below": (left, 1.0)}.get(kind, (0.0, 1.0))
        ax.barh(i, band[1] - band[0], left=band[0], height=0.8, color="0.9", zorder=0)
        scale = (high - low) or 1.0
        values = np.array([row[3], row[4], row[5]], np.float64)
        mean, lo, hi = (values - low) / scale
        colour = {"agrees": "tab:green", "disagrees": "tab:red"}.get(row.verdict, "tab:gray")
        if np.isfinite(lo):
            ax.plot([lo, hi], [i, i], color=colour, lw=3)
        if np.isfinite(mean):
            # Off-scale means are drawn at the edge, pointing the way they went.
            marker = "o" if left <= mean <= right else (">" if mean > right else "<")
            ax.plot([np.clip(mean, left + 0.1, right - 0.1)], [i], marker, color=colour)
        labels.append(textwrap.fill(f"{row.fact}: {row.measure}", 60, max_lines=2))
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(left, right)
    ax.set_xlabel(
        "model mean and 95% CI, in units of the rule: 0 and 1 are the ends of a published "
        "range\n(or a threshold and one threshold's width past it); grey: what the rule accepts"
    )
    ax.set_title("Every check: green agrees, red disagrees, grey undefined")
    return fs.save(fig, folder / "overview.png")


def _rule_range(check: Check) -> tuple[float, float]:
    """The interval a rule accepts, as a finite [low, high] for drawing."""
    rule = check.rule
    if hasattr(rule, "low"):
        return float(rule.low), float(rule.high)
    t = float(rule.threshold)
    width = abs(t) or 0.1
    # A one-sided rule is drawn as a band of one threshold's width on its side.
    return (t, t + width) if type(rule).__name__ == "Above" else (t - width, t)


def _cell(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return "undefined" if not np.isfinite(value) else f"{value:.3g}"
    return str(value).replace("|", "\\|")


def markdown(
    report: pd.DataFrame,
    figures: list[Path],
    doc: Path,
    command: str,
    seed: int,
    replicates: int,
    quick: bool,
    checks: tuple[Check, ...] = CHECKS,
) -> str:
    """The text of ``docs/validation.md``: one table per fact, links to the figures."""
    mode = "quick" if quick else "full"
    lines = [
        "# Validation against published facts",
        "",
        "<!-- Generated by `groupsim facts`; do not edit by hand. -->",
        "",
        f"Generated by `{command}` (seed {seed}, {replicates} replicates per scenario, "
        f"{mode} scale). Re-run the command to regenerate this file after a change of the "
        "model. Facts F1–F12 are described in docs/ODD.md (§1); the source of each fact is "
        "given with its table below.",
        "",
        "Each check was declared in `sim/facts/checks.py` before any run: the measure, the "
        "scenario (a shipped one, with the overrides listed at the end), the "
        "published figure and the agreement rule. Means and 95% CIs (t interval) are "
        "across replicates (the column counts the replicates that gave a number); with "
        "fewer than two the CI, and so the verdict, is undefined. "
        "A one-sided rule agrees only when the whole CI is on its side. A t interval of a "
        "share may reach below 0 when few replicates differ. Measures on ties are taken "
        "on the world at the end of each run, after its groups have formed and dropped ties.",
        "",
        "| verdict | checks |",
        "|---|---|",
    ]
    counts = report["verdict"].value_counts()
    lines += [f"| {v} | {int(counts.get(v, 0))} |" for v in ("agrees", "disagrees", "undefined")]
    lines.append("")
    rel = [Path(_relative(p, doc.parent)) for p in figures]
    for fact, part in report.groupby("fact", sort=False):
        check = next(c for c in checks if c.fact == fact)
        lines += [f"## {fact}", "", f"Source: {check.source}.", ""]
        lines += [
            "| measure | scenario | model mean | 95% CI | replicates | published | rule | "
            "verdict |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for row in part.itertuples(index=False):
            ci = f"[{_cell(row[4])}, {_cell(row[5])}]" if np.isfinite(row[4]) else "undefined"
            lines.append(
                f"| {_cell(row.measure)} | {row.scenario} | {_cell(row[3])} | {ci} | "
                f"{row.replicates} | {_cell(row.published)} | {_cell(row.rule)} | "
                f"**{row.verdict}** |"
            )
        lines += ["", f"What in the model makes this happen: {check.why}", ""]
        drawn = {*(c.figure for c in checks if c.fact == fact), "overview"}
        links = [f"[{p.stem}]({p.as_posix()})" for p in rel if p.stem in drawn]
        if links:
            lines += ["Figures: " + ", ".join(links) + ".", ""]
    lines += ["## Figures", ""]
    lines += [f"![{p.stem}]({p.as_posix()})" for p in rel]
    lines += ["", "## Facts not checked", ""]
    lines += [f"- **{fact}**: {why}" for fact, why in NOT_COVERED.items()]
    lines += ["", "## Scenarios and their scaling", ""]
    for name, path in SCENARIOS.items():
        overrides = " ".join(f"`{o}`" for o in SCALES[mode][name])
        how = f"with {overrides}" if overrides else "as shipped"
        lines.append(f"- `{name}`: `{path}` {how}; its seed is replaced by each replicate's")
    return "\n".join(lines) + "\n"


def _relative(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` where one is inside the other's tree, else absolute."""
    import os

    try:
        return os.path.relpath(path.resolve(), start.resolve())
    except ValueError:  # another drive
        return str(path.resolve())


def write_report(
    report: pd.DataFrame,
    data: dict,
    out: Path,
    doc: Path,
    *,
    command: str,
    seed: int,
    replicates: int,
    quick: bool,
    checks: tuple[Check, ...] = CHECKS,
) -> list[Path]:
    """Write the figures into ``out`` and the Markdown report to ``doc``.

    Returns:
        The paths written: the figures, then the report.
    """
    paths = figures(report, data, Path(out), checks)
    doc = Path(doc)
    doc.parent.mkdir(parents=True, exist_ok=True)
    text = markdown(report, paths, doc, command, seed, replicates, quick, checks)
    doc.write_text(text, encoding="utf-8")
    return [*paths, doc]
