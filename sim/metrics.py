"""Metrics of a run: survival, growth, cascades, activity and churn (docs/ODD.md, §7.20).

Every function takes the run's tables (pandas DataFrames) and returns data: numbers,
DataFrames or fitted lifelines objects. Nothing here prints or draws.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times, restricted_mean_survival_time


def membership_days(memberships: pd.DataFrame, groups: pd.DataFrame, horizon: int) -> pd.Series:
    """Days each membership was current: until it left, its group died, or the horizon."""
    died = groups.set_index("group")["died"].reindex(memberships["group"]).to_numpy()
    end = np.where(
        memberships["left"] >= 0, memberships["left"], np.where(died >= 0, died, horizon)
    )
    return pd.Series(np.maximum(end - memberships["joined"].to_numpy(), 0), index=memberships.index)


def kaplan_meier(groups: pd.DataFrame, by: str = "cohort") -> dict[str, KaplanMeierFitter]:
    """A fitted Kaplan–Meier estimator of group lifetime for each level of ``by``."""
    fits = {}
    for level, part in groups.groupby(by, sort=False):
        kmf = KaplanMeierFitter(label=str(level))
        kmf.fit(part["lifetime"], event_observed=~part["censored"])
        fits[str(level)] = kmf
    return fits


def median_lifetime(kmf: KaplanMeierFitter) -> tuple[float, float, float]:
    """Median lifetime with its 95% confidence interval (inf where not reached)."""
    median = float(kmf.median_survival_time_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ci = median_survival_times(kmf.confidence_interval_)
    return median, float(ci.iloc[0, 0]), float(ci.iloc[0, 1])


def rmst(kmf: KaplanMeierFitter, tau: int) -> float:
    """Restricted mean survival time: the area under the Kaplan–Meier curve up to ``tau``.

    The mean lifetime of groups counted up to ``tau`` days, defined however few die
    (unlike the median, which is infinite when fewer than half do).
    """
    return float(restricted_mean_survival_time(kmf, t=max(int(tau), 1)))


def follow_up(groups: pd.DataFrame, horizon: int) -> int:
    """Days every one of these groups could be followed: horizon less the last creation."""
    return max(int(horizon - groups["created"].max()), 1)


def logrank(groups: pd.DataFrame, by: str, a: str, b: str) -> float:
    """p-value of the log-rank test between two levels of ``by``."""
    x, y = groups[groups[by] == a], groups[groups[by] == b]
    result = logrank_test(x["lifetime"], y["lifetime"], ~x["censored"], ~y["censored"])
    return float(result.p_value)


def cascade_depths(memberships: pd.DataFrame) -> pd.Series:
    """Depth of each membership in its group's invitation tree (founders: 0).

    A member invited by a member has that inviter's depth plus one. The inviter's
    membership is the one of that person in that group that was current when the
    invitee joined: it began on or before that day and had not ended before it (the
    latest such one, as a person may leave and rejoin). A join whose inviter had no
    such membership starts a tree of its own (depth 0).
    """
    n = len(memberships)
    if n == 0:
        return pd.Series(np.zeros(0, np.int64), index=memberships.index, name="depth")
    group = memberships["group"].to_numpy(np.int64)
    person = memberships["person"].to_numpy(np.int64)
    inviter = memberships["inviter"].to_numpy(np.int64)
    joined = memberships["joined"].to_numpy(np.int64)
    left = memberships["left"].to_numpy(np.int64)
    founder = memberships["founder"].to_numpy(bool)
    key = group * (1 << 32) + person
    inviter_key = group * (1 << 32) + inviter
    # Memberships sorted by (group, person, joined), searched on that pair: the last one
    # of the inviter in the group that began by the invitee's join day is the only one
    # that can have been current then (one person's memberships of a group never overlap).
    unique_keys, rank = np.unique(key, return_inverse=True)
    span = int(joined.max(initial=0)) + 2
    pair = rank.astype(np.int64) * span + joined
    order = np.argsort(pair, kind="stable")
    inviter_rank = np.minimum(np.searchsorted(unique_keys, inviter_key), len(unique_keys) - 1)
    at = np.searchsorted(pair[order], inviter_rank * span + joined, side="right") - 1
    j = order[np.clip(at, 0, None)]
    ok = (inviter >= 0) & ~founder & (at >= 0) & (key[j] == inviter_key)
    # Left before the invitee joined: the inviter was not a member then.
    ok &= ~((left[j] >= 0) & (left[j] < joined)) & (j != np.arange(n))
    parent = np.where(ok, j, -1)
    depth = np.where(founder, 0, -1)
    for _ in range(n + 1):
        todo = (depth < 0) & (parent >= 0)
        ready = todo & (depth[np.maximum(parent, 0)] >= 0)
        if not ready.any():
            break
        depth[ready] = depth[parent[ready]] + 1
    depth[depth < 0] = 0
    return pd.Series(depth, index=memberships.index, name="depth")


def cascades(memberships: pd.DataFrame) -> pd.DataFrame:
    """Per group: members recruited by invitation, the deepest invitation chain, and R.

    ``reproduction`` is accepted invitations per member who ever joined.
    """
    depth = cascade_depths(memberships)
    frame = memberships.assign(depth=depth, invited=~memberships["founder"])
    out = frame.groupby("group").agg(
        joined=("person", "size"), invited=("invited", "sum"), depth=("depth", "max")
    )
    out["reproduction"] = out["invited"] / out["joined"]
    return out.reset_index()


def retention_by_ties(
    memberships: pd.DataFrame, groups: pd.DataFrame, horizon: int, after: int = 30
) -> pd.DataFrame:
    """Share of joiners still members ``after`` days on, by ties inside on joining (C4).

    Only memberships whose group lived, and whose horizon allowed, ``after`` days are
    counted, so that group death and the end of the run do not pass for leaving.
    """
    died = groups.set_index("group")["died"].reindex(memberships["group"]).to_numpy()
    end_of_group = np.where(died >= 0, died, horizon)
    joined = memberships["joined"].to_numpy()
    eligible = (joined + after) <= end_of_group
    stayed = (memberships["left"].to_numpy() < 0) | (
        memberships["left"].to_numpy() >= joined + after
    )
    ties = np.minimum(memberships["ties_on_join"].to_numpy(), 3)
    frame = pd.DataFrame(
        {"ties on joining": np.where(ties >= 3, "3+", ties.astype(str)), "stayed": stayed}
    )[eligible & ~memberships["founder"].to_numpy()]
    out = frame.groupby("ties on joining")["stayed"].agg(["mean", "size"])
    return out.rename(columns={"mean": f"retained after {after} days", "size": "joiners"})


def cohort_summary(tables: dict[str, pd.DataFrame], horizon: int) -> pd.DataFrame:
    """The summary table by cohort that ``groupsim run`` prints (docs/ODD.md, §7.20).

    Median lifetimes come from Kaplan–Meier fits with groups alive at the horizon
    censored; ``inf`` means more than half of the cohort outlived the horizon, so the
    share alive and the restricted mean lifetime (RMST, up to the days every group of the
    cohort could be followed, :func:`follow_up`) are given beside it. Peak and final
    members are medians over the cohort's groups; the muted share is over the
    memberships current at the end.
    """
    groups, members = tables["groups"], tables["memberships"]
    member_days = membership_days(members, groups, horizon)
    by_group = (
        members.assign(member_days=member_days)
        .groupby("group")
        .agg(
            member_days=("member_days", "sum"),
            member_posts=("posts", "sum"),
            joined=("person", "size"),
        )
    )
    muted_now = members[(members["left"] < 0)].groupby("group")["muted"].agg(["sum", "size"])
    frame = groups.join(by_group, on="group").join(muted_now, on="group").fillna(0)
    fits = kaplan_meier(groups)
    rows = []
    for cohort, part in frame.groupby("cohort", sort=False):
        median, low, high = median_lifetime(fits[str(cohort)])
        alive = part["censored"].sum()
        rows.append(
            {
                "cohort": cohort,
                "driver": part["driver"].iloc[0],
                "groups": len(part),
                "alive at end": int(alive),
                "share alive": float(alive / len(part)),
                "median lifetime (days)": median,
                "95% CI low": low,
                "95% CI high": high,
                "RMST (days)": rmst(fits[str(cohort)], follow_up(part, horizon)),
                "RMST up to (days)": follow_up(part, horizon),
                "peak members": float(part["peak"].median()),
                "final members": float(part["final"].median()),
                "posts per member-day": float(
                    part["member_posts"].sum() / max(part["member_days"].sum(), 1)
                ),
                "accepted invites per member": float(
                    part["invites_accepted"].sum() / max(part["joined"].sum(), 1)
                ),
                "muted share": float(part["sum"].sum() / max(part["size"].sum(), 1)),
            }
        )
    return pd.DataFrame(rows)


def groups_table(tables: dict[str, pd.DataFrame], most: int = 50) -> pd.DataFrame:
    """The groups, living ones first and largest first, as the page's table shows them."""
    groups = tables["groups"]
    order = groups.sort_values(["censored", "final", "group"], ascending=[False, False, True])
    dead = ~order["censored"]
    return pd.DataFrame(
        {
            "group": order["group"],
            "cohort": order["cohort"],
            "driver": order["driver"],
            "created": order["created"],
            "members": order["final"],
            "peak": order["peak"],
            "posts": order["posts"],
            "died": order["died"].astype(object).where(dead, "alive"),
            "cause": order["cause"].where(dead, ""),
        }
    ).head(most)
