"""What each check measures in a finished run: one number per replicate, or a curve.

Measures read only the run's tables (docs/ODD.md, §7.20) and the model's public end
state (the tie store, the world's statistics in :mod:`sim.world.stats`), so that they
stay valid when the mechanisms behind them change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim import customers, libm
from sim.config import Scenario
from sim.metrics import membership_days
from sim.sweep import sales
from sim.sweep.registry import RunData
from sim.world.stats import natural_layers, ranked_time_shares, top_shares

TIES_INSIDE_BINS = (0, 1, 2, 3)
"""Bins of an invitee's other ties inside (3 stands for 3 or more) (F8)."""
STRENGTH_EDGES = (0.0, 0.1, 0.2, 0.4, 1.0001)
"""Bins of the invitee's tie strength to the inviter (F12)."""
LAYERS = 4
"""Layers found in each ego network (the 5, 15, 50, 150 of F1)."""
YEAR_DAYS = 365
"""Days after which the weak bridges of day 0 are looked up again (F6)."""


@dataclass
class Run:
    """One replicate: its scenario, tables, the model at the end and what was noted at start.

    Attributes:
        scenario: The resolved scenario that was run.
        tables: The run's tables (``groups``, ``memberships``, ``invites``, ...).
        model: The model at the end of the run (its world and tie store are read).
        start: What was recorded before the first day (e.g. the weak bridges of F6).
        rng: Generator for sampled measures (layers), seeded from the replicate's seed.
    """

    scenario: Scenario
    tables: dict[str, pd.DataFrame]
    model: object
    start: dict = field(default_factory=dict)
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    _cache: dict = field(default_factory=dict)

    @property
    def day(self) -> int:
        """The last day the model ran."""
        return int(self.model.day)


def _nan_mean(values: np.ndarray) -> float:
    values = np.asarray(values, np.float64)
    return float(values.mean()) if len(values) else float("nan")


# ---------------------------------------------------------------- ego networks (F1-F4)


def ego_network(run: Run) -> dict:
    """Time shares and layers of the world at the end of the run (computed once)."""
    if "ego" not in run._cache:
        world = run.model.world
        exponent = run.scenario.network.ties.allocation_exponent
        table = ranked_time_shares(world, exponent, run.day)
        degree = np.asarray(world.ties.deg)
        run._cache["ego"] = {
            "table": table,
            "degree": degree,
            "shares": top_shares(table, degree),
            "layers": natural_layers(table, degree, LAYERS, run.rng, sample=400),
        }
    return run._cache["ego"]


def start_layers(model, rng: np.random.Generator) -> dict:
    """Layers of the generated world before the first day (as ``groupsim world`` sees it)."""
    world = model.world
    exponent = model.config.network.ties.allocation_exponent
    table = ranked_time_shares(world, exponent, model.day)
    return natural_layers(table, np.asarray(world.ties.deg), LAYERS, rng, sample=400)


def start_layer_ratio(run: Run) -> float:
    """Layer scaling ratio of the world on day 0, before any group (F1)."""
    layers = run.start.get("layers")
    return float(layers["ratio"]) if layers else float("nan")


def layer_ratio(run: Run) -> float:
    """Geometric mean ratio of successive cumulative layer sizes (F1)."""
    return float(ego_network(run)["layers"]["ratio"])


def layer_size(k: int):
    """The mean cumulative size of layer ``k`` (0: innermost) (F1)."""

    def measure(run: Run) -> float:
        sizes = ego_network(run)["layers"]["sizes"]
        return float(sizes[k]) if len(sizes) > k else float("nan")

    measure.__name__ = f"layer_size_{k}"
    return measure


def mean_degree(run: Run) -> float:
    """Mean number of ties per person at the end (F2)."""
    return float(ego_network(run)["degree"].mean())


def top_share(k: int):
    """Mean share of social time to the ``k`` strongest ties, people with 15+ ties (F3)."""

    def measure(run: Run) -> float:
        return float(ego_network(run)["shares"][k])

    measure.__name__ = f"top_share_{k}"
    return measure


def contacts_at_rank(rank: int | None):
    """Median contacts per day a person gives its tie of this rank (None: its weakest) (F4).

    Contacts outside groups only, and only the person's own side of the tie (the other
    end's contacts come on top): a lower bound of the pair's contact frequency. People
    with fewer than 15 ties (or, for the weakest tie, fewer than 50) are left out.
    """

    def measure(run: Run) -> float:
        ego = ego_network(run)
        table, degree = ego["table"], ego["degree"]
        per_day = run.scenario.network.ties.contacts_per_day
        need = 15 if rank is not None else 50
        people = np.flatnonzero(degree >= need)
        if len(people) == 0:
            return float("nan")
        column = np.full(len(people), rank - 1) if rank is not None else degree[people] - 1
        return float(np.median(per_day * table[people, column]))

    measure.__name__ = f"contacts_at_rank_{rank or 'last'}"
    return measure


# ---------------------------------------------------------------- ties over a year (F6)


def weak_bridges(model, most: int, rng: np.random.Generator) -> np.ndarray:
    """Pairs ``(u, v)`` joined by a weak bridging tie today (at most ``most``, sampled).

    Weak: below the median strength. Bridging: in the lowest quarter of neighbourhood
    overlap (common neighbours over the neighbours of either end, Onnela et al. 2007)
    among the weak ties. A strict local bridge (no common neighbour at all, Burt 2002)
    is rare in a world of clustered circles, so the least overlapping weak ties stand in.
    """
    ties = model.world.ties
    ids = ties.alive_ids()
    if len(ids) == 0:
        return np.zeros((0, 2), np.int64)
    strength = ties.strength(ids, model.day)
    weak = ids[strength < np.median(strength)]
    if len(weak) > 4 * most:
        weak = np.sort(rng.choice(weak, size=4 * most, replace=False))
    adjacency = ties.to_sparse(model.day).tocsr()
    adjacency.data[:] = 1.0
    u, v = ties.u[weak].astype(np.int64), ties.v[weak].astype(np.int64)
    common = np.asarray(adjacency[u].multiply(adjacency[v]).sum(axis=1)).ravel()
    degree = np.asarray(ties.deg, np.float64)
    either = np.maximum(degree[u] + degree[v] - 2 - common, 1)
    overlap = common / either
    pairs = np.column_stack([u, v])[overlap <= np.quantile(overlap, 0.25)]
    if len(pairs) > most:
        pairs = pairs[np.sort(rng.choice(len(pairs), size=most, replace=False))]
    return pairs


def bridges_kept(run: Run) -> float:
    """Share of the weak bridging ties of day 0 that are still ties a year on (F6).

    Read from what a :class:`Watch` noted on day 365 when the run went on for longer;
    otherwise taken at the end of a run of exactly a year or more.
    """
    if "bridges_kept" in run.start:
        return float(run.start["bridges_kept"])
    pairs = run.start.get("bridges")
    if pairs is None or len(pairs) == 0 or run.day < YEAR_DAYS:
        return float("nan")
    return _kept(run.model, pairs)


def bridges_kept_second_year(run: Run) -> float:
    """Share of the weak bridging ties of day 365 still tied on day 730 (F6).

    The same measure as :func:`bridges_kept`, a year later: on the world as its own
    dynamics keep it, rather than on the generated one. NaN for a run shorter than two
    years.
    """
    return float(run.start.get("bridges_kept_second_year", float("nan")))


def _kept(model, pairs: np.ndarray) -> float:
    found = model.world.ties.find(pairs[:, 0], pairs[:, 1])
    return float((found >= 0).mean())


class Watch:
    """What the measures need from before and during a run, noted as it goes.

    Made before the first day, it notes the layers of the generated world (for the F1
    checks on day 0 and for stationarity) and a sample of weak bridges (F6); called with
    each finished day (as the ``progress`` of :meth:`sim.model.GroupModel.run`), it notes
    the share of those bridges still tied on day 365, so that a run longer than a year
    still measures F6 over one year, and then a new sample of the weak bridges of day
    365, whose share still tied on day 730 it notes too.

    Args:
        model: The model, not yet stepped.
        rng: The replicate's generator for sampled measures (never the model's).
        layers: Note the day-0 layers.
        bridges: Note the day-0 weak bridges (at most this many; 0: none).
    """

    def __init__(self, model, rng: np.random.Generator, *, layers: bool, bridges: int):
        self.model = model
        self.rng = rng
        self.bridges = bridges
        self.start: dict = {}
        if bridges:
            self.start["bridges"] = weak_bridges(model, bridges, rng)
        if layers:
            self.start["layers"] = start_layers(model, rng)

    def __call__(self, day: int) -> None:
        """Note what is due at the end of ``day`` days."""
        pairs = self.start.get("bridges")
        if day == YEAR_DAYS and pairs is not None and len(pairs):
            self.start["bridges_kept"] = _kept(self.model, pairs)
        if day == YEAR_DAYS and self.bridges:
            self.start["bridges_later"] = weak_bridges(self.model, self.bridges, self.rng)
        later = self.start.get("bridges_later")
        if day == 2 * YEAR_DAYS and later is not None and len(later):
            self.start["bridges_kept_second_year"] = _kept(self.model, later)


def layer_change(k: int):
    """Relative change of the mean cumulative size of layer ``k`` since day 0 (F1, F2).

    ``size at the end / size on day 0 - 1``: near 0 in a stationary world, where new
    acquaintances and contact make up for decay (docs/ODD.md §7.6).
    """

    def measure(run: Run) -> float:
        start = (run.start.get("layers") or {}).get("sizes") or []
        end = ego_network(run)["layers"]["sizes"]
        if len(start) <= k or len(end) <= k or start[k] <= 0:
            return float("nan")
        return float(end[k] / start[k] - 1.0)

    measure.__name__ = f"layer_change_{k}"
    return measure


# ---------------------------------------------------------------- invitations (F8, F12)


def acceptance_by_ties_inside(invites: pd.DataFrame) -> np.ndarray:
    """Acceptance rate with 0, 1, 2, 3+ other ties inside (NaN where no invitation)."""
    binned = np.minimum(invites["ties_inside"].to_numpy(), TIES_INSIDE_BINS[-1])
    accepted = invites["accepted"].to_numpy(np.float64)
    return np.array([_nan_mean(accepted[binned == k]) for k in TIES_INSIDE_BINS], dtype=np.float64)


def acceptance_by_strength(invites: pd.DataFrame) -> np.ndarray:
    """Acceptance rate in each bin of :data:`STRENGTH_EDGES` (NaN where no invitation)."""
    which = np.digitize(invites["strength"].to_numpy(), STRENGTH_EDGES) - 1
    accepted = invites["accepted"].to_numpy(np.float64)
    return np.array(
        [_nan_mean(accepted[which == k]) for k in range(len(STRENGTH_EDGES) - 1)],
        dtype=np.float64,
    )


def first_step_gain(run: Run) -> float:
    """Acceptance with one other tie inside minus with none (F8: it rises)."""
    rate = acceptance_by_ties_inside(run.tables["invites"])
    return float(rate[1] - rate[0])


def concavity(run: Run) -> float:
    """First step minus the mean of the next two steps of acceptance by ties inside (F8)."""
    rate = acceptance_by_ties_inside(run.tables["invites"])
    steps = np.diff(rate)
    return float(steps[0] - steps[1:].mean())


def strong_minus_weak(run: Run) -> float:
    """Acceptance of invitations on the strongest quarter of ties minus the weakest (F12)."""
    invites = run.tables["invites"]
    if len(invites) < 8:
        return float("nan")
    strength = invites["strength"].to_numpy()
    low, high = np.quantile(strength, [0.25, 0.75])
    accepted = invites["accepted"].to_numpy(np.float64)
    if high <= low:
        return float("nan")
    return _nan_mean(accepted[strength >= high]) - _nan_mean(accepted[strength <= low])


# ---------------------------------------------------------------- newcomers (F9)


def guided_minus_plain_posters(run: Run) -> float:
    """Share of greeted newcomers who ever posted minus that of the others (F9)."""
    m = run.tables["memberships"]
    newcomers = m[~m["founder"]]
    guided = newcomers["guided"].to_numpy(bool)
    posted = (newcomers["posts"].to_numpy() > 0).astype(np.float64)
    if guided.all() or not guided.any():
        return float("nan")
    return _nan_mean(posted[guided]) - _nan_mean(posted[~guided])


# ---------------------------------------------------------------- lifetimes (F11, F14, F15)


def _eligible(groups: pd.DataFrame, days: int, after: int) -> pd.DataFrame:
    """Groups created early enough that the horizon allowed them ``after`` days."""
    return groups[groups["created"] + after <= days]


def _gone_within(groups: pd.DataFrame, after: int) -> np.ndarray:
    died = groups["died"].to_numpy()
    return ((died >= 0) & (died - groups["created"].to_numpy() <= after)).astype(np.float64)


def share_gone_within(after: int):
    """Share of groups dead (fallen silent) within ``after`` days of creation (F14, F15)."""

    def measure(run: Run) -> float:
        groups = _eligible(run.tables["groups"], run.scenario.days, after)
        return _nan_mean(_gone_within(groups, after))

    measure.__name__ = f"share_gone_within_{after}"
    return measure


def long_lived_by_driver(run: Run) -> float:
    """Share of relationship groups alive 90 days on, minus that of event groups (F11)."""
    groups = _eligible(run.tables["groups"], run.scenario.days, 90)
    alive = 1.0 - _gone_within(groups, 90)
    driver = groups["driver"].to_numpy()
    return _nan_mean(alive[driver == "relationship"]) - _nan_mean(alive[driver == "event"])


def organiser_ties_gain(run: Run) -> float:
    """Share alive 90 days on, organisers with many ties inside minus the others (F14).

    Compared within each cohort (groups created alike: driver, size, window), so that the
    kind of group, which sets both how many of its founders the organiser knows and how
    long it lives, does not stand in for the founder. "Many": more ties inside on
    joining than the cohort's median organiser. The differences of the cohorts where
    both sides have groups are averaged, weighted by their groups.
    """
    groups = _eligible(run.tables["groups"], run.scenario.days, 90)
    m = run.tables["memberships"]
    first = m[m["founder"]].drop_duplicates(["group", "person"])
    ties = first.set_index(["group", "person"])["ties_on_join"]
    index = pd.MultiIndex.from_arrays([groups["group"], groups["organiser"]])
    organiser_ties = ties.reindex(index).to_numpy(np.float64)
    alive = 1.0 - _gone_within(groups, 90)
    cohort = groups["cohort"].to_numpy()
    gains, weights = [], []
    for name in np.unique(cohort):
        mine = (cohort == name) & np.isfinite(organiser_ties)
        if mine.sum() < 4:
            continue
        more = organiser_ties[mine] > np.median(organiser_ties[mine])
        if more.all() or not more.any():
            continue
        gains.append(_nan_mean(alive[mine][more]) - _nan_mean(alive[mine][~more]))
        weights.append(mine.sum())
    if not gains:
        return float("nan")
    return float(np.average(gains, weights=weights))


# ---------------------------------------------------------------- participation (F13)


def never_posted(run: Run) -> float:
    """Share of memberships that never posted (F13: ~90% never post)."""
    posts = run.tables["memberships"]["posts"].to_numpy()
    return _nan_mean((posts == 0).astype(np.float64))


def top_posters_share(share: float):
    """Share of all posts written by the top ``share`` of memberships by posts (F13)."""

    def measure(run: Run) -> float:
        posts = np.sort(run.tables["memberships"]["posts"].to_numpy())[::-1]
        total = posts.sum()
        if total == 0:
            return float("nan")
        top = max(int(np.ceil(share * len(posts))), 1)
        return float(posts[:top].sum() / total)

    measure.__name__ = f"top_posters_share_{share:g}"
    return measure


# ---------------------------------------------------------------- group size (F13, F16, F18)


def by_size(run: Run) -> pd.DataFrame:
    """Per initial size: share who ever posted, posts per member-day, group posts per day.

    Group posts per day are over the days each group was alive (computed once per run).
    """
    if "size" not in run._cache:
        groups, m = run.tables["groups"], run.tables["memberships"]
        days = membership_days(m, groups, run.day)
        frame = m.assign(member_days=days.to_numpy(), posted=m["posts"] > 0)
        size = groups.set_index("group")["initial"]
        frame["size"] = size.reindex(frame["group"]).to_numpy()
        per_member = frame.groupby("size").agg(
            posted=("posted", "mean"), posts=("posts", "sum"), member_days=("member_days", "sum")
        )
        per_member["posts per member-day"] = per_member["posts"] / per_member["member_days"].clip(
            lower=1
        )
        per_group = (
            groups.assign(rate=groups["posts"] / groups["lifetime"].clip(lower=1))
            .groupby("initial")["rate"]
            .mean()
        )
        out = pd.DataFrame(
            {
                "share who posted": per_member["posted"],
                "posts per member-day": per_member["posts per member-day"],
                "group posts per day": per_group.reindex(per_member.index),
            }
        )
        run._cache["size"] = out.sort_index()
    return run._cache["size"]


def size_slope(column: str, largest: bool = False, log_value: bool = True):
    """Slope of (log) ``column`` on log initial size across sizes.

    Args:
        column: A column of :func:`by_size`.
        largest: Only the two largest sizes (where saturation shows).
        log_value: Take the logarithm of the column (an elasticity).
    """

    def measure(run: Run) -> float:
        frame = by_size(run)[[column]].dropna()
        if largest:
            frame = frame.iloc[-2:]
        values = frame[column].to_numpy(np.float64)
        if len(frame) < 2 or (log_value and (values <= 0).any()):
            return float("nan")
        y = libm.log(values) if log_value else values
        return float(np.polyfit(libm.log(frame.index.to_numpy(np.float64)), y, 1)[0])

    measure.__name__ = f"size_slope_{column}"
    return measure


def pareto_share(run: Run) -> float:
    """Share of sales made by the top 20% of buyers (M1)."""
    table = run.tables.get("customers")
    return np.nan if table is None else customers.top_share(table["spend"].to_numpy(), 0.2)


def referred_repeat_gain(run: Run) -> float:
    """Share buying again within 90 days: buyers by word of mouth minus the others (M2)."""
    return sales.referred_repeat_gain(RunData(run.tables, run.scenario.days))
