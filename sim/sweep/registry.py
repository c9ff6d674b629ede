"""The metric registry: named numbers computed from one run's tables (docs/ODD.md §7.20).

An experiment records metrics by name. Each metric takes a :class:`RunData` (the run's
tables and horizon) and returns one float; its docstring is its description. Most can be
restricted to one cohort, written ``name[cohort]`` in an experiment file. Add your own
with :func:`register_metric`::

    from sim.sweep import register_metric

    @register_metric("big_groups", unit="groups", family="growth")
    def big_groups(run):
        # Groups that peaked at 100 members or more.
        return float((run.groups["peak"] >= 100).sum())

A metric whose values cannot leave a range (a share, a count) says so with ``bounds``
(``SHARE`` or ``NON_NEGATIVE`` from this module); confidence intervals over replicates
are clipped to it. A metric defined in your own module reaches every worker process when
an experiment file lists that module under ``imports:``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from sim import metrics as m
from sim.sweep.spec import parse_metric


@dataclass(frozen=True)
class RunData:
    """One run's tables as a metric sees them.

    Attributes:
        tables: ``groups``, ``memberships``, ``invites`` and ``timeseries``.
        horizon: Days run.
        cohort: The cohort these tables are restricted to, or None for all.
        model: The finished model (its world and scenario), for the few metrics that
            measure the world rather than the tables; None when only tables are known.
    """

    tables: dict[str, pd.DataFrame]
    horizon: int
    cohort: str | None = None
    model: Any = None

    @property
    def groups(self) -> pd.DataFrame:
        """One row per group."""
        return self.tables["groups"]

    @property
    def memberships(self) -> pd.DataFrame:
        """One row per membership."""
        return self.tables["memberships"]

    @property
    def invites(self) -> pd.DataFrame:
        """One row per invitation."""
        return self.tables["invites"]

    @property
    def timeseries(self) -> pd.DataFrame:
        """One row per day (the whole run; never restricted to a cohort)."""
        return self.tables["timeseries"]

    def only(self, cohort: str) -> RunData:
        """The same run restricted to one cohort's groups and their members and invites."""
        groups = self.groups[self.groups["cohort"] == cohort]
        ids = groups["group"].to_numpy()
        tables = dict(
            self.tables,
            groups=groups,
            memberships=self.memberships[self.memberships["group"].isin(ids)],
            invites=self.invites[self.invites["group"].isin(ids)],
        )
        return RunData(tables, self.horizon, cohort, self.model)


@dataclass(frozen=True)
class Metric:
    """A registered metric.

    Attributes:
        name: Registry name.
        function: ``RunData -> float``.
        unit: Unit shown on axes.
        description: What it measures (the function's docstring).
        per_cohort: Whether ``name[cohort]`` is meaningful.
        family: survival, growth, cascade, activity, churn or ties.
        bounds: The range its values can take (``(0, 1)`` for a share, ``(0, inf)`` for
            a count), or None if unbounded; confidence intervals are clipped to it.
    """

    name: str
    function: Callable[[RunData], float]
    unit: str
    description: str
    per_cohort: bool = True
    family: str = "other"
    bounds: tuple[float, float] | None = None

    def label(self, cohort: str | None = None) -> str:
        """An axis label: the name, the cohort and the unit."""
        text = self.name.replace("_", " ")
        if cohort:
            text += f" [{cohort}]"
        return f"{text} ({self.unit})" if self.unit else text


METRICS: dict[str, Metric] = {}

SHARE = (0.0, 1.0)
"""Bounds of a metric that is a share."""
NON_NEGATIVE = (0.0, math.inf)
"""Bounds of a metric that is a count, a duration or a rate."""


def register_metric(
    name: str,
    *,
    unit: str = "",
    per_cohort: bool = True,
    family: str = "other",
    bounds: tuple[float, float] | None = None,
) -> Callable[[Callable[[RunData], float]], Callable[[RunData], float]]:
    """Register a function ``RunData -> float`` as a metric under ``name``.

    Args:
        name: The name experiment files use.
        unit: Unit for axis labels.
        per_cohort: Whether the metric can be restricted to a cohort.
        family: Which kind of metric it is (for listings).
        bounds: ``(low, high)`` that its values cannot leave (``SHARE``, ``NON_NEGATIVE``),
            to which confidence intervals are clipped; None for none.

    Raises:
        ValueError: The name is taken or is not a plain identifier.
    """
    if not name.isidentifier():
        raise ValueError(f"metric name '{name}' must be a plain identifier")
    if bounds is not None and not bounds[0] < bounds[1]:
        raise ValueError(f"metric '{name}': bounds {bounds} must be (low, high) with low < high")

    def decorate(function: Callable[[RunData], float]) -> Callable[[RunData], float]:
        if name in METRICS and METRICS[name].function is not function:
            raise ValueError(f"a metric named '{name}' is already registered")
        description = " ".join((function.__doc__ or "").split())
        METRICS[name] = Metric(name, function, unit, description, per_cohort, family, bounds)
        return function

    return decorate


def compute(names: list[str], run: RunData) -> dict[str, float]:
    """The named metrics (``name`` or ``name[cohort]``) of one run."""
    out = {}
    for text in names:
        name, cohort = parse_metric(text)
        data = run.only(cohort) if cohort else run
        out[text] = float(METRICS[name].function(data))
    return out


def bounds_of(text: str) -> tuple[float, float] | None:
    """The bounds of a metric named ``name`` or ``name[cohort]`` (None if it has none)."""
    metric = METRICS.get(parse_metric(text)[0])
    return None if metric is None else metric.bounds


# --------------------------------------------------------------------------- survival


def _fit(run: RunData) -> KaplanMeierFitter | None:
    groups = run.groups
    if len(groups) == 0:
        return None
    kmf = KaplanMeierFitter()
    kmf.fit(groups["lifetime"], event_observed=~groups["censored"].astype(bool))
    return kmf


@register_metric("median_lifetime", unit="days", family="survival", bounds=NON_NEGATIVE)
def median_lifetime(run: RunData) -> float:
    """Kaplan–Meier median group lifetime; inf when more than half outlive the run."""
    kmf = _fit(run)
    return math.nan if kmf is None else float(kmf.median_survival_time_)


@register_metric("rmst", unit="days", family="survival", bounds=NON_NEGATIVE)
def rmst(run: RunData) -> float:
    """Restricted mean group lifetime, up to the shortest follow-up any group had.

    The area under the Kaplan–Meier curve up to the horizon minus the last creation day.
    """
    kmf = _fit(run)
    if kmf is None:
        return math.nan
    return m.rmst(kmf, m.follow_up(run.groups, run.horizon))


@register_metric("share_alive", unit="share", family="survival", bounds=SHARE)
def share_alive(run: RunData) -> float:
    """Share of groups alive at the end."""
    return float(run.groups["censored"].mean()) if len(run.groups) else math.nan


# --------------------------------------------------------------------------- growth


@register_metric("reach", unit="people", family="growth", bounds=NON_NEGATIVE)
def reach(run: RunData) -> float:
    """Distinct people who were ever members of a group."""
    return float(run.memberships["person"].nunique())


@register_metric("final_members", unit="members", family="growth", bounds=NON_NEGATIVE)
def final_members(run: RunData) -> float:
    """Median over groups of the members at the end (or at death)."""
    return float(run.groups["final"].median()) if len(run.groups) else math.nan


@register_metric("peak_members", unit="members", family="growth", bounds=NON_NEGATIVE)
def peak_members(run: RunData) -> float:
    """Median over groups of the peak."""
    return float(run.groups["peak"].median()) if len(run.groups) else math.nan


@register_metric("growth_factor", unit="×", family="growth", bounds=NON_NEGATIVE)
def growth_factor(run: RunData) -> float:
    """Mean over groups of peak members over initial members."""
    g = run.groups
    return float((g["peak"] / g["initial"].clip(lower=1)).mean()) if len(g) else math.nan


@register_metric("reproduction", unit="invites per member", family="growth", bounds=NON_NEGATIVE)
def reproduction(run: RunData) -> float:
    """Accepted invitations per member who ever joined (the reproduction number)."""
    joined = len(run.memberships)
    return float(run.groups["invites_accepted"].sum() / joined) if joined else math.nan


@register_metric("invite_conversion", unit="share", family="growth", bounds=SHARE)
def invite_conversion(run: RunData) -> float:
    """Accepted invitations over invitations sent."""
    sent = int(run.groups["invites_sent"].sum())
    return float(run.groups["invites_accepted"].sum() / sent) if sent else math.nan


# --------------------------------------------------------------------------- cascades


@register_metric("cascade_depth", unit="hops", family="cascade", bounds=NON_NEGATIVE)
def cascade_depth(run: RunData) -> float:
    """Mean over groups of the deepest invitation chain."""
    if len(run.memberships) == 0:
        return math.nan
    return float(m.cascades(run.memberships)["depth"].mean())


@register_metric("cascade_size", unit="members", family="cascade", bounds=NON_NEGATIVE)
def cascade_size(run: RunData) -> float:
    """Mean over groups of the members recruited by invitation."""
    if len(run.memberships) == 0:
        return math.nan
    return float(m.cascades(run.memberships)["invited"].mean())


# --------------------------------------------------------------------------- activity


def _member_days(run: RunData) -> float:
    return float(m.membership_days(run.memberships, run.groups, run.horizon).sum())


@register_metric("posts_per_member_day", unit="posts", family="activity", bounds=NON_NEGATIVE)
def posts_per_member_day(run: RunData) -> float:
    """Members' posts per member-day."""
    days = _member_days(run)
    return float(run.memberships["posts"].sum() / days) if days else math.nan


def _current_in_living_groups(run: RunData) -> pd.DataFrame:
    alive = run.groups.loc[run.groups["censored"], "group"]
    members = run.memberships
    return members[(members["left"] < 0) & members["group"].isin(alive)]


@register_metric("members_at_end", unit="members", family="growth", bounds=NON_NEGATIVE)
def members_at_end(run: RunData) -> float:
    """Memberships of the groups still alive at the end (a person in two counts twice)."""
    return float(len(_current_in_living_groups(run)))


def _active_within(run: RunData, days: int) -> float:
    current = _current_in_living_groups(run)
    return float((current["last_post"] >= run.horizon - days).sum())


@register_metric("active_7", unit="members", family="activity", bounds=NON_NEGATIVE)
def active_7(run: RunData) -> float:
    """Members of the groups alive at the end who posted there in the last 7 days."""
    return _active_within(run, 7)


@register_metric("active_30", unit="members", family="activity", bounds=NON_NEGATIVE)
def active_30(run: RunData) -> float:
    """Members of the groups alive at the end who posted there in the last 30 days."""
    return _active_within(run, 30)


@register_metric("muted_share", unit="share", family="activity", bounds=SHARE)
def muted_share(run: RunData) -> float:
    """Share of the current memberships that are muted at the end."""
    current = run.memberships[run.memberships["left"] < 0]
    return float(current["muted"].mean()) if len(current) else math.nan


# --------------------------------------------------------------------------- churn


@register_metric("leave_rate", unit="per member-day", family="churn", bounds=NON_NEGATIVE)
def leave_rate(run: RunData) -> float:
    """Memberships ended by leaving, per member-day."""
    days = _member_days(run)
    return float((run.memberships["left"] >= 0).sum() / days) if days else math.nan


@register_metric("retention_30", unit="share", family="churn", bounds=SHARE)
def retention_30(run: RunData) -> float:
    """Share of invited joiners still members 30 days on (C4)."""
    table = m.retention_by_ties(run.memberships, run.groups, run.horizon, after=30)
    joiners = table["joiners"].sum()
    if not joiners:
        return math.nan
    return float((table.iloc[:, 0] * table["joiners"]).sum() / joiners)


@register_metric("retention_30_all", unit="share", family="churn", bounds=SHARE)
def retention_30_all(run: RunData) -> float:
    """Share of all joiners, founders and invited alike, still members 30 days on (C4).

    Like ``retention_30`` but founders count too: a founder of a group of strangers is a
    newcomer who knows no one as much as an invited joiner is. Only memberships whose
    group lived, and whose horizon allowed, 30 days after joining are counted, so that
    group death and the end of the run do not pass for leaving.
    """
    members, groups = run.memberships, run.groups
    if len(members) == 0:
        return math.nan
    died = groups.set_index("group")["died"].reindex(members["group"]).to_numpy()
    end_of_group = np.where(died >= 0, died, run.horizon)
    joined = members["joined"].to_numpy()
    left = members["left"].to_numpy()
    eligible = (joined + 30) <= end_of_group
    if not eligible.any():
        return math.nan
    stayed = (left < 0) | (left >= joined + 30)
    return float(stayed[eligible].mean())


# --------------------------------------------------------------------------- ties


@register_metric("ties_formed", unit="ties", family="ties", per_cohort=False, bounds=NON_NEGATIVE)
def ties_formed(run: RunData) -> float:
    """Ties formed between members who met in groups, over the run."""
    return float(run.timeseries["ties_formed"].sum())


@register_metric(
    "acquaintances_made", unit="ties", family="ties", per_cohort=False, bounds=NON_NEGATIVE
)
def acquaintances_made(run: RunData) -> float:
    """New acquaintance ties made outside groups (docs/ODD.md §7.6), over the run."""
    return float(run.timeseries["acquaintances_made"].sum())


@register_metric("moves", unit="people", family="ties", per_cohort=False, bounds=NON_NEGATIVE)
def moves(run: RunData) -> float:
    """People who moved away from their local circles (docs/ODD.md §7.6), over the run."""
    return float(run.timeseries["moves"].sum())


@register_metric(
    "interest_changes", unit="people", family="ties", per_cohort=False, bounds=NON_NEGATIVE
)
def interest_changes(run: RunData) -> float:
    """People who gave up an interest for another (docs/ODD.md §7.2), over the run."""
    return float(run.timeseries["interest_changes"].sum())


@register_metric(
    "internal_strength", unit="strength per member", family="ties", bounds=NON_NEGATIVE
)
def internal_strength(run: RunData) -> float:
    """Mean over groups alive at the end of the tie strength inside per member."""
    alive = run.groups[run.groups["censored"].astype(bool)]
    return float(np.mean(alive["internal_strength"])) if len(alive) else math.nan


@register_metric("top15_time_share", unit="share", family="ties", per_cohort=False, bounds=SHARE)
def top15_time_share(run: RunData) -> float:
    """Mean share of a person's social time given to their 15 strongest ties (C9, F3).

    Measured on the world at the end of the run, over people with at least 15 ties, with
    the scenario's allocation exponent (docs/ODD.md §7.6). Needs the finished model.
    """
    if run.model is None:
        return math.nan
    from sim.world.stats import ranked_time_shares, top_shares

    world = run.model.world
    exponent = run.model.config.network.ties.allocation_exponent
    table = ranked_time_shares(world, exponent, run.horizon)
    return top_shares(table, world.ties.deg, tops=(15,))[15]
