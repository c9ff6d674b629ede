"""Network generators: who is tied to whom, how strongly and of which kind.

Each generator returns an :class:`EdgeBatch` of candidate ties (possibly with repeats)
drawn only from the generator it is given, so that one seed gives one world. The batch is
then merged (a pair keeps its strongest tie) and trimmed to the Dunbar cap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from sim.config import KIND_CODES, TIE_KINDS, Network
from sim.config.network import Circles
from sim.errors import ScenarioError
from sim.kernels.cap import (
    strongest_of_each_pair,
    take_candidates,
    weakness_of,
    within_cap_of_both_ends,
)

# Initial strength ranges of each circle: households are the innermost layer,
# neighbours the outermost (F1, F4). Uniform within a range. Neighbours span what an
# acquaintance passes through as it fades, from a new acquaintance's strength (0.05, the
# default `new_acquaintance_strength`) to the floor below which a tie is dropped (0.02),
# so the generated outer layer already has the ages its turnover keeps (F2, F6).
CIRCLE_STRENGTH = {
    "household": ("kin", 0.75, 1.0),
    "friends": ("friend", 0.65, 0.9),
    "family": ("kin", 0.18, 0.3),
    "team": ("work", 0.16, 0.28),
    "club": ("acquaintance", 0.09, 0.14),
    "neighbours": ("acquaintance", 0.02, 0.05),
}


ENDS = np.int32
"""Type of the endpoints of candidate ties (a population has fewer than 2**31 people)."""
CHUNK = 1 << 22
"""Draws made at once by the generators' chunked loops (bounds their temporaries)."""


@dataclass
class EdgeBatch:
    """Candidate ties: endpoints, strengths and kind codes, plus pinned interests."""

    a: np.ndarray
    b: np.ndarray
    w: np.ndarray
    kind: np.ndarray
    pinned_topics: tuple[np.ndarray, np.ndarray] = field(
        default_factory=lambda: (np.zeros(0, np.int64), np.zeros(0, np.int64))
    )

    @classmethod
    def concat(cls, parts: list[EdgeBatch]) -> EdgeBatch:
        """Join batches."""
        return cls(
            *(np.concatenate([getattr(p, k) for p in parts]) for k in ("a", "b", "w", "kind"))
        )


# --------------------------------------------------------------------------- helpers


def chunk_sizes(total: int, low: int, high: int, rng: np.random.Generator) -> np.ndarray:
    """Split ``total`` items into consecutive chunks of sizes drawn from ``[low, high]``."""
    if total <= 0:
        return np.zeros(0, np.int64)
    draws = rng.integers(low, high + 1, size=total // max(low, 1) + 2)
    ends = np.cumsum(draws)
    k = int(np.searchsorted(ends, total)) + 1
    sizes = draws[:k].copy()
    sizes[-1] -= ends[k - 1] - total
    return sizes[sizes > 0]


def clique_pairs(members: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs inside consecutive groups of ``members`` with the given sizes."""
    starts = np.cumsum(sizes) - sizes
    out_a, out_b = [], []
    for s in np.unique(sizes):
        if s < 2:
            continue
        rows = starts[sizes == s][:, None] + np.arange(s)[None, :]
        block = members[rows]
        iu, ju = np.triu_indices(int(s), 1)
        out_a.append(block[:, iu].ravel())
        out_b.append(block[:, ju].ravel())
    if not out_a:
        return np.zeros(0, ENDS), np.zeros(0, ENDS)
    return np.concatenate(out_a).astype(ENDS), np.concatenate(out_b).astype(ENDS)


def _strengths(circle: str, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    kind, low, high = CIRCLE_STRENGTH[circle]
    w = np.empty(count, np.float32)
    for lo in range(0, count, CHUNK):  # the same draws as one call, in less memory
        w[lo : lo + CHUNK] = rng.uniform(low, high, size=min(CHUNK, count - lo))
    return w, np.full(count, KIND_CODES[kind], np.int8)


def _batch(circle: str, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> EdgeBatch:
    w, kind = _strengths(circle, len(a), rng)
    return EdgeBatch(a, b, w, kind)


def _memberships(n: int, mean: float, rng: np.random.Generator) -> np.ndarray:
    """Shuffled person slots for circles one can belong to several of (Poisson count)."""
    counts = rng.poisson(mean, size=n)
    slots = np.repeat(np.arange(n, dtype=np.int64), counts)
    return rng.permutation(slots)


def neighbours(
    order: np.ndarray, cfg: Circles, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of neighbours, drawn in each person's block of ``order``.

    Each person draws Poisson(``neighbour_ties / 2``) partners uniformly from its block of
    ``neighbourhood_size`` consecutive positions in ``order``.

    Drawn for blocks of people in turn (the same draws as all at once), so that the
    temporaries stay small in a large world.
    """
    n = len(order)
    block = min(cfg.neighbourhood_size, n)
    ties_each = rng.poisson(cfg.neighbour_ties / 2.0, size=n)
    total = int(ties_each.sum())
    a, b = np.empty(total, ENDS), np.empty(total, ENDS)
    people = max(CHUNK // max(int(cfg.neighbour_ties), 1), 1)
    done = 0
    for first in range(0, n, people):
        counts = ties_each[first : first + people]
        src = np.repeat(np.arange(first, first + len(counts), dtype=np.int64), counts)
        start = (src // block) * block
        span = np.minimum(start + block, n) - start
        dst = start + (rng.random(len(src)) * span).astype(np.int64)
        a[done : done + len(src)] = order[src]
        b[done : done + len(src)] = order[dst]
        done += len(src)
    return a, b


# --------------------------------------------------------------------------- generators


def circles(n: int, net: Network, topics: int, rng: np.random.Generator) -> EdgeBatch:
    """Households, families, friend circles, teams, neighbourhoods and interest clubs."""
    cfg = net.circles
    order = rng.permutation(n).astype(np.int64)  # households live next to each other
    parts: list[EdgeBatch] = []

    hh_sizes = 1 + rng.poisson(cfg.household_size_mean - 1.0, size=n)
    hh_sizes = np.minimum(hh_sizes, 8)
    ends = np.cumsum(hh_sizes)
    k = int(np.searchsorted(ends, n)) + 1
    hh_sizes = hh_sizes[:k]
    hh_sizes[-1] -= ends[k - 1] - n
    hh_sizes = hh_sizes[hh_sizes > 0]
    parts.append(_batch("household", *clique_pairs(order, hh_sizes), rng))

    # Extended families: consecutive households; kin ties across households.
    fam_of_hh = np.arange(len(hh_sizes)) // cfg.family_households
    fam_sizes = np.bincount(fam_of_hh, weights=hh_sizes).astype(np.int64)
    fa, fb = clique_pairs(order, fam_sizes)
    hh_id = np.repeat(np.arange(len(hh_sizes)), hh_sizes)
    pos = np.empty(n, np.int64)
    pos[order] = np.arange(n)
    across = hh_id[pos[fa]] != hh_id[pos[fb]]
    parts.append(_batch("family", fa[across], fb[across], rng))

    slots = _memberships(n, cfg.friend_circles, rng)
    sizes = chunk_sizes(len(slots), *cfg.friend_circle_size, rng)
    parts.append(_batch("friends", *clique_pairs(slots, sizes), rng))

    workers = rng.permutation(np.flatnonzero(rng.random(n) < cfg.employed)).astype(np.int64)
    sizes = chunk_sizes(len(workers), *cfg.team_size, rng)
    parts.append(_batch("team", *clique_pairs(workers, sizes), rng))

    # Neighbourhoods are blocks of the household order; ties to random neighbours.
    parts.append(_batch("neighbours", *neighbours(order, cfg, rng), rng))

    slots = _memberships(n, cfg.clubs, rng)
    sizes = chunk_sizes(len(slots), *cfg.club_size, rng)
    ca, cb = clique_pairs(slots, sizes)
    keep = rng.random(len(ca)) < cfg.club_tie_share
    parts.append(_batch("club", ca[keep], cb[keep], rng))
    club_topic = rng.integers(0, topics, size=len(sizes))

    batch = EdgeBatch.concat(parts)
    batch.pinned_topics = (slots, np.repeat(club_topic, sizes))
    return batch


def _random_strengths(m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Kinds and strengths for generators that make ties without circles."""
    circle_names = list(CIRCLE_STRENGTH)
    share = np.array([0.02, 0.03, 0.05, 0.08, 0.2, 0.62])
    pick = rng.choice(len(circle_names), size=m, p=share)
    w = np.empty(m, np.float32)
    kind = np.empty(m, np.int8)
    for i, name in enumerate(circle_names):
        sel = pick == i
        w[sel], kind[sel] = _strengths(name, int(sel.sum()), rng)
    return w, kind


def _from_graph(graph: nx.Graph, rng: np.random.Generator) -> EdgeBatch:
    edges = np.array(graph.edges(), dtype=np.int64).reshape(-1, 2)
    w, kind = _random_strengths(len(edges), rng)
    return EdgeBatch(edges[:, 0], edges[:, 1], w, kind)


def watts_strogatz(n: int, net: Network, rng: np.random.Generator) -> EdgeBatch:
    """A small-world ring, seeded from the model's generator."""
    k = min(net.watts_strogatz.k, n - 1)
    return _from_graph(nx.watts_strogatz_graph(n, k, net.watts_strogatz.p, seed=rng), rng)


def holme_kim(n: int, net: Network, rng: np.random.Generator) -> EdgeBatch:
    """Scale-free ties with clustering (Holme & Kim 2002), seeded from the model."""
    m = min(net.holme_kim.m, n - 1)
    return _from_graph(nx.powerlaw_cluster_graph(n, m, net.holme_kim.p, seed=rng), rng)


def edgelist(n: int, net: Network) -> EdgeBatch:
    """Ties read from a CSV ``source,target[,weight[,kind]]`` with integer ids ``0..n-1``.

    A header line is optional. Each bad row is reported with its line and column.
    """
    cfg = net.edgelist
    assert cfg is not None
    path = Path(cfg.path)
    file = str(path)
    try:
        raw = path.read_bytes()
        raw.decode("utf-8")
    except OSError as exc:
        raise ScenarioError(file, f"cannot be read ({exc})") from None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(
            file, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x})", line
        ) from None
    if not raw.strip():
        raise ScenarioError(file, "is empty; an edge list has one line source,target per tie")
    first = raw.split(b"\n", 1)[0].decode("utf-8")
    header = first.strip().lower().startswith("source")
    names = ["source", "target", "weight", "kind"]
    try:
        table = pd.read_csv(
            path,
            header=0 if header else None,
            dtype=str,
            skip_blank_lines=False,
            keep_default_na=False,
            index_col=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise ScenarioError(file, f"not a readable CSV ({exc})") from None
    if header:
        table.columns = [str(c).strip().lower() for c in table.columns]
        extra = [c for c in table.columns if c not in names]
        if extra:
            raise ScenarioError(file, f"unknown column(s) {extra}; allowed: {names}", 1)
    elif table.shape[1] > len(names):
        raise ScenarioError(
            file, f"{table.shape[1]} columns; expected source,target[,weight[,kind]]", 1
        )
    else:
        table.columns = names[: table.shape[1]]
    if "source" not in table or "target" not in table:
        raise ScenarioError(file, "needs columns source and target", 1)
    # File line of each row (blank lines are skipped but still counted).
    blank = (table.apply(lambda col: col.str.strip()) == "").all(axis=1).to_numpy()
    lines = np.flatnonzero(~blank) + (2 if header else 1)
    table = table[~blank].reset_index(drop=True)
    if not len(table):
        raise ScenarioError(file, "has no ties; an edge list has one line source,target per tie")

    def fail(row: int, column: str, problem: str) -> None:
        raise ScenarioError(file, problem, int(lines[row]), column)

    ids = {}
    for column in ("source", "target"):
        raw = table[column].str.strip()
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna() | (values % 1 != 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            fail(i, column, f"'{raw.iloc[i]}' is not a whole-number person id")
        # Checked before the cast: an id such as 1e30 does not fit in 64 bits.
        out = ((values < 0) | (values >= n)).to_numpy()
        if out.any():
            i = int(np.flatnonzero(out)[0])
            fail(
                i,
                column,
                f"person id '{raw.iloc[i]}' is outside 0..{n - 1} (population.size is {n})",
            )
        ids[column] = values.to_numpy(np.int64)
    a, b = ids["source"], ids["target"]
    loops = a == b
    if loops.any():
        i = int(np.flatnonzero(loops)[0])
        fail(i, "target", f"a self-tie ({a[i]} to itself) is not allowed")
    if "weight" in table and (table["weight"].str.strip() != "").any():
        raw = table["weight"].str.strip()
        w = pd.to_numeric(raw.replace("", str(cfg.default_weight)), errors="coerce").to_numpy()
        bad = ~((w > 0) & (w <= 1))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            fail(i, "weight", f"'{raw.iloc[i]}' is not a strength in (0, 1]")
    else:
        w = np.full(len(a), cfg.default_weight)
    if "kind" in table and (table["kind"].str.strip() != "").any():
        raw = table["kind"].str.strip().str.lower().replace("", cfg.default_kind)
        allowed = list(TIE_KINDS)
        bad = ~raw.isin(allowed).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            fail(i, "kind", f"'{raw.iloc[i]}' is not a kind; choose one of {allowed}")
        kind = raw.map(KIND_CODES).to_numpy(np.int8)
    else:
        kind = np.full(len(a), KIND_CODES[cfg.default_kind], np.int8)
    return EdgeBatch(a, b, w.astype(np.float32), kind)


def generate(n: int, net: Network, topics: int, rng: np.random.Generator) -> EdgeBatch:
    """Candidate ties from the generator the network section names."""
    if net.generator == "circles":
        return circles(n, net, topics, rng)
    if net.generator == "watts_strogatz":
        return watts_strogatz(n, net, rng)
    if net.generator == "holme_kim":
        return holme_kim(n, net, rng)
    return edgelist(n, net)


def merge_and_cap(batch: EdgeBatch, n: int, cap: int) -> EdgeBatch:
    """Merge repeats (a pair keeps its strongest tie) and trim everyone to the cap.

    A tie survives the trim when it is among the ``cap`` strongest of both its ends. The
    batch's arrays are released as they are used (the batch is consumed), so that a
    large world is not held twice.
    """
    keep = batch.a != batch.b
    a = np.minimum(batch.a, batch.b)[keep]
    b = np.maximum(batch.a, batch.b)[keep]
    batch.a = batch.b = None
    w, kind = batch.w[keep], batch.kind[keep]
    batch.w = batch.kind = None
    del keep
    # Strength descending, quantised to 16 bits: a draw goes to the earlier candidate.
    weakness = weakness_of(w)
    kept = strongest_of_each_pair(a, b, weakness, n)
    a, b, w, kind, weakness = take_candidates(kept, a, b, w, kind, weakness)
    del kept
    # Rank each tie among all ties of each of its ends, strongest first.
    within = within_cap_of_both_ends(a, b, weakness, n, cap)
    return EdgeBatch(a[within], b[within], w[within], kind[within], batch.pinned_topics)
