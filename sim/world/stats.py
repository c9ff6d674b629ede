"""Statistics of a world: degrees, clustering, kinds, time shares and natural layers."""

from __future__ import annotations

import numpy as np

from sim import libm, rules
from sim.arrays import rank_in_runs
from sim.config import TIE_KINDS
from sim.world import World


def _sample(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(n, size=min(size, n), replace=False))


def clustering(world: World, rng: np.random.Generator, sample: int = 2000) -> float:
    """Mean local clustering coefficient, estimated on a random sample of people."""
    adj = world.ties.to_sparse(0)
    adj.data[:] = 1.0
    people = _sample(world.n, sample, rng)
    rows = adj[people]
    deg = np.asarray(rows.sum(axis=1)).ravel()
    triangles = np.asarray((rows @ adj).multiply(rows).sum(axis=1)).ravel() / 2.0
    pairs = deg * (deg - 1) / 2.0
    local = np.divide(triangles, pairs, out=np.zeros_like(triangles), where=pairs > 0)
    return float(local.mean())


def ranked_time_shares(world: World, exponent: float, day: int = 0) -> np.ndarray:
    """Each person's time shares, strongest tie first, padded with zeros to the cap."""
    ties = world.ties
    row, _, eid = ties.neighbours(np.arange(world.n))
    share = rules.time_allocation(ties.strength(eid, day), exponent, row, world.n)
    # Rows are already grouped by person; sort within rows by share, descending, with one
    # float key (the share is in (0, 1], so it never reaches the next row).
    order = np.argsort(row + (1.0 - 0.999 * share.astype(np.float64)), kind="stable")
    row, share = row[order], share[order]
    rank = rank_in_runs(row)
    table = np.zeros((world.n, max(int(ties.deg.max()), 1)), np.float64)
    table[row, rank] = share
    return table


def top_shares(
    table: np.ndarray, degree: np.ndarray, tops=(5, 15), min_ties: int = 15
) -> dict[int, float]:
    """Mean share of social time to the ``k`` strongest ties (C9, F3).

    Args:
        table: Ranked time shares, from :func:`ranked_time_shares`.
        degree: Ties per person.
        tops: The ``k`` to report.
        min_ties: People with fewer ties are left out (their top-15 share is 1).
    """
    enough = degree >= min_ties
    cumulative = np.cumsum(table[enough], axis=1)
    return {k: float(cumulative[:, min(k, table.shape[1]) - 1].mean()) for k in tops}


def kmeans_1d(values: np.ndarray, k: int, iterations: int = 50) -> np.ndarray:
    """k-means on one dimension, started at the natural breaks; returns cluster labels.

    The starting clusters are split at the ``k - 1`` widest gaps between sorted values
    (so a large diffuse cluster is not cut while a clear gap is ignored), then refined
    by Lloyd's iterations. Labels are ordered so that label 0 holds the largest values.
    """
    values = np.asarray(values, np.float64)
    k = min(k, len(np.unique(values)))
    ordered = np.sort(values)
    cuts = np.sort(np.argsort(np.diff(ordered), kind="stable")[len(ordered) - k :] + 1)
    centres = np.array([seg.mean() for seg in np.split(ordered, cuts)])
    labels = np.zeros(len(values), np.int64)
    for _ in range(iterations):
        labels = np.argmin(np.abs(values[:, None] - centres[None, :]), axis=1)
        new = np.array(
            [values[labels == j].mean() if np.any(labels == j) else centres[j] for j in range(k)]
        )
        if np.allclose(new, centres):
            break
        centres = new
    rank = np.argsort(-centres)
    relabel = np.empty(k, np.int64)
    relabel[rank] = np.arange(k)
    return relabel[labels]


def natural_layers(
    table: np.ndarray,
    degree: np.ndarray,
    layers: int,
    rng: np.random.Generator,
    sample: int = 2000,
) -> dict[str, object]:
    """Layers found in the data: cluster each person's ties by log contact rate.

    As in Zhou, Sornette, Hill & Dunbar (2005): for each sampled person with at least
    ``2 * layers`` ties, its ties are clustered in one dimension over the logarithm of their
    contact rate (proportional to time share) into ``layers`` groups; the cumulative sizes
    are averaged over people, and the scaling ratio is the geometric mean of the ratios of
    successive cumulative sizes (F1).
    """
    eligible = np.flatnonzero(degree >= 2 * layers)
    if len(eligible) == 0:
        return {"sizes": [], "ratio": float("nan"), "people": 0}
    people = eligible[_sample(len(eligible), sample, rng)]
    sizes = np.zeros((len(people), layers))
    for i, p in enumerate(people):
        shares = table[p, : degree[p]]
        labels = kmeans_1d(libm.log(shares), layers)
        counts = np.bincount(labels, minlength=layers)
        sizes[i] = np.cumsum(counts)
    mean = sizes.mean(axis=0)
    ratios = mean[1:] / mean[:-1]
    return {
        "sizes": [float(x) for x in mean],
        "ratio": float(libm.exp(np.mean(libm.log(ratios)))) if len(ratios) else float("nan"),
        "people": len(people),
    }


def interest_homophily(
    world: World, rng: np.random.Generator, pairs: int = 20000
) -> tuple[float, float]:
    """Mean shared interests across ties (sampled in proportion to strength) vs random pairs."""
    ids = world.ties.alive_ids()
    weight = world.ties.w[ids].astype(np.float64)
    pick = rng.choice(ids, size=pairs, p=weight / weight.sum()) if len(ids) else ids
    tied = np.bitwise_count(
        world.interests[world.ties.u[pick]] & world.interests[world.ties.v[pick]]
    )
    a = rng.integers(0, world.n, pairs)
    b = rng.integers(0, world.n, pairs)
    random = np.bitwise_count(world.interests[a] & world.interests[b])
    return float(tied.mean()) if len(tied) else 0.0, float(random.mean())


def world_statistics(
    world: World, exponent: float, layers: int, rng: np.random.Generator, sample: int = 2000
) -> dict[str, object]:
    """The statistics ``groupsim world`` prints, as a flat mapping.

    Sampled quantities (clustering, natural layers, homophily) use ``rng`` and
    ``sample`` people, so they are reproducible for a given seed.
    """
    ties = world.ties
    ids = ties.alive_ids()
    kinds = np.bincount(ties.kind[ids].astype(np.int64), minlength=len(TIE_KINDS))
    table = ranked_time_shares(world, exponent)
    shares = top_shares(table, ties.deg)
    layer = natural_layers(table, ties.deg, layers, rng, sample)
    tied, random = interest_homophily(world, rng)
    stats: dict[str, object] = {
        "people": world.n,
        "ties": ties.n_ties,
        "mean degree": float(ties.deg.mean()),
        "max degree": int(ties.deg.max()) if world.n else 0,
        "people at the cap": int((ties.deg >= ties.cap).sum()),
        "clustering": clustering(world, rng, sample),
        "mean strength": float(ties.w[ids].mean()) if len(ids) else 0.0,
        "super users": int(world.is_super.sum()),
        "shared interests, tied pairs (by strength)": tied,
        "shared interests, random pairs": random,
        "time share to top 5": shares[5],
        "time share to top 15": shares[15],
        "natural layer sizes": layer["sizes"],
        "natural layer ratio": layer["ratio"],
    }
    total = max(int(kinds.sum()), 1)
    for code, name in enumerate(TIE_KINDS):
        stats[f"share of ties: {name}"] = float(kinds[code] / total)
    return stats
