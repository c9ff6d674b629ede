"""The world: generators, invariants, determinism, statistics, edge lists and rules.

Expected ranges are derived from the generators' parameters (each test says how), not
copied from a run. Worlds are small (1,000-5,000 people) so that each test is fast.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim import rules
from sim.scenario import ScenarioError, load_scenario, scenario_from_dict
from sim.world import KIND_CODES, World, build_world
from sim.world.generators import CIRCLE_STRENGTH, EdgeBatch, merge_and_cap
from sim.world.stats import (
    clustering,
    kmeans_1d,
    natural_layers,
    ranked_time_shares,
    top_shares,
    world_statistics,
)

KIN, WORK, FRIEND, ACQ, GROUP = (
    KIND_CODES[k] for k in ("kin", "work", "friend", "acquaintance", "group")
)


def scenario(people: int, network: dict | None = None, population: dict | None = None):
    return scenario_from_dict(
        {"population": {"size": people, **(population or {})}, "network": network or {}},
        name="test",
    )


def world_of(people: int, seed: int = 1, network=None, population=None) -> World:
    return build_world(scenario(people, network, population), np.random.default_rng(seed))


def kind_shares(world: World) -> np.ndarray:
    ids = world.ties.alive_ids()
    return np.bincount(world.ties.kind[ids], minlength=5) / len(ids)


@pytest.fixture(scope="module")
def circles_2000() -> World:
    return world_of(2000)


@pytest.fixture(scope="module")
def circles_5000() -> World:
    return world_of(5000, seed=3)


# --------------------------------------------------------------------------- invariants

GENERATORS = {
    "circles": {"generator": "circles"},
    "circles, cap 30": {"generator": "circles", "dunbar": {"cap": 30}},
    "watts_strogatz": {"generator": "watts_strogatz"},
    "holme_kim": {"generator": "holme_kim", "holme_kim": {"m": 5}},
}


@pytest.mark.parametrize("network", GENERATORS.values(), ids=GENERATORS.keys())
def test_world_invariants(network):
    sc = scenario(1500, network)
    world = build_world(sc, np.random.default_rng(5))
    ties = world.ties
    ties.check()  # cap, strengths in (0, 1], no self-ties, no duplicates, tables in step
    cap = sc.network.dunbar.cap
    assert ties.cap == cap
    assert ties.deg.max() <= cap
    ids = ties.alive_ids()
    assert len(ids) == ties.n_ties > 0
    assert np.all((ties.w[ids] > 0) & (ties.w[ids] <= 1))
    assert np.all(ties.kind[ids] != GROUP)  # group ties are only made in groups
    assert np.all(ties.last[ids] == 0)
    # Symmetry: each tie is listed by both of its ends.
    m = ties.to_sparse(0)
    assert (m != m.T).nnz == 0
    assert np.array_equal(np.asarray((m > 0).sum(axis=1)).ravel(), ties.deg)
    # People: every person holds exactly per_person of the topics.
    topics = sc.population.interests
    assert world.n == 1500
    assert world.interests.dtype == np.uint64
    assert np.all(np.bitwise_count(world.interests) == topics.per_person)
    assert np.all(world.interests < np.uint64(1) << np.uint64(topics.topics))
    assert world.is_super.dtype == bool
    assert np.all(world.budget > 0)


def test_small_cap_is_reached_and_held():
    world = world_of(1500, network={"dunbar": {"cap": 30}})
    # Neighbourhoods alone give about 85 candidate ties a person, so a cap of 30 binds:
    # it is reached, never exceeded. (A tie survives the trim only if it is among the 30
    # strongest of both its ends, so many people end below the cap.)
    assert world.ties.deg.max() == 30
    assert np.sum(world.ties.deg == 30) > 10
    # The same seed draws the same candidate ties whatever the cap, so the capped world's
    # ties are a subset of those of the default world (cap 150), and each is among the
    # 30 strongest of both its ends there.
    wide = world_of(1500).ties
    ties = world.ties
    ids = ties.alive_ids()
    found = wide.find(ties.u[ids], ties.v[ids])
    assert np.all(found >= 0)
    assert np.allclose(wide.w[found], ties.w[ids])
    for end in (ties.u[ids], ties.v[ids]):
        row, _, eid = wide.neighbours(end)
        clearly_stronger = wide.w[eid] > ties.w[ids][row] + 1e-4
        assert np.bincount(row, clearly_stronger, minlength=len(ids)).max() < 30


def test_super_users_and_budgets_follow_population():
    sc = scenario(
        4000,
        population={"super_users": {"share": 0.1, "attention": 3.0}, "attention": {"cv": 0.3}},
    )
    world = build_world(sc, np.random.default_rng(2))
    share = world.is_super.mean()
    assert abs(share - 0.1) < 4 * np.sqrt(0.1 * 0.9 / 4000)  # binomial, 4 standard errors
    ordinary = world.budget[~world.is_super]
    # Log-normal with mean 1 and CV 0.3: sample mean and CV close to those.
    assert ordinary.mean() == pytest.approx(1.0, abs=0.03)
    assert ordinary.std() / ordinary.mean() == pytest.approx(0.3, abs=0.03)
    # Super users' budgets are three times as large on average.
    assert world.budget[world.is_super].mean() == pytest.approx(3.0, rel=0.15)


def test_talkativeness_is_log_normal_with_mean_one_and_drawn_last():
    """A CV gives each person a post-rate multiplier; 0 draws nothing and changes nothing."""
    alike = world_of(4000, seed=3, population={"talkativeness": {"cv": 0.0}})
    assert alike.talk is None
    world = world_of(4000, seed=3, population={"talkativeness": {"cv": 2.0}})
    # Drawn after everything else: the rest of the world is the one without the trait.
    for name in ("interests", "is_super", "budget"):
        assert np.array_equal(getattr(world, name), getattr(alike, name))
    assert np.array_equal(world.ties.w, alike.ties.w)
    # Log-normal with mean 1 and CV 2: log sigma^2 = log(1 + 4); median exp(-sigma^2 / 2).
    sigma = np.sqrt(np.log(5.0))
    logs = np.log(world.talk.astype(np.float64))
    assert logs.std() == pytest.approx(sigma, rel=0.05)
    assert logs.mean() == pytest.approx(-(sigma**2) / 2, abs=4 * sigma / np.sqrt(4000))
    assert world.talk.min() > 0


# --------------------------------------------------------------------------- determinism

WORLD_ARRAYS = ("u", "v", "w", "kind", "last", "created", "deg", "adj", "nbr")


@pytest.mark.parametrize("generator", ["circles", "watts_strogatz", "holme_kim"])
def test_same_seed_same_world(generator):
    network = {"generator": generator, "holme_kim": {"m": 4}}
    first = world_of(1000, seed=11, network=network)
    second = world_of(1000, seed=11, network=network)
    for name in WORLD_ARRAYS:
        a, b = getattr(first.ties, name), getattr(second.ties, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    for name in ("interests", "is_super", "budget"):
        a, b = getattr(first, name), getattr(second, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    other = world_of(1000, seed=12, network=network)
    assert not np.array_equal(first.interests, other.interests)
    assert not np.array_equal(first.budget, other.budget)
    ids_a, ids_b = first.ties.alive_ids(), other.ties.alive_ids()
    pairs_a = set(zip(first.ties.u[ids_a].tolist(), first.ties.v[ids_a].tolist(), strict=True))
    pairs_b = set(zip(other.ties.u[ids_b].tolist(), other.ties.v[ids_b].tolist(), strict=True))
    assert pairs_a != pairs_b


# --------------------------------------------------------------------------- generators


def test_circles_statistics(circles_2000):
    world, n = circles_2000, 2000
    deg = world.ties.deg
    # Tie ends per person from each circle (defaults): neighbours ~85 (42.5 made, 42.5
    # received), clubs 1.5 x ~27 co-members x 0.6 ~ 24, a work team of 4-10 for 85% ~ 6,
    # an extended family of ~3 households of 2.6 ~ 5, household ~2, friends 3-5 ~ 3:
    # ~125 before repeats merge (about 10% of 85 draws in a block of 400 repeat) and the
    # cap of 150 trims. So the mean lies well inside [85, 150].
    assert 85 < deg.mean() < 150
    assert deg.max() <= 150
    # Ties inside neighbourhoods of 400 with ~85 ties each have density ~0.2, and cliques
    # (households, teams, friends) add triangles: clustering far above the density of
    # the whole world (mean degree / n ~ 0.06) and well below a clique's 1.
    c = clustering(world, np.random.default_rng(0), sample=1000)
    assert 2 * deg.mean() / n < c < 0.4
    shares = kind_shares(world)
    # Neighbours and clubs (~110 of ~125 tie ends) are acquaintances; kin ~7/125,
    # work ~6/125, friends ~3/125.
    assert shares[ACQ] > 0.7
    assert 0.02 < shares[KIN] < 0.15
    assert 0.02 < shares[WORK] < 0.12
    assert 0.005 < shares[FRIEND] < 0.08
    assert shares[GROUP] == 0
    assert shares[FRIEND] < shares[KIN]


def test_circles_strengths_by_kind(circles_2000):
    ties = circles_2000.ties
    ids = ties.alive_ids()
    ranges = {}
    for kind, low, high in CIRCLE_STRENGTH.values():
        lo, hi = ranges.get(kind, (1.0, 0.0))
        ranges[kind] = (min(lo, low), max(hi, high))
    for kind, (low, high) in ranges.items():
        w = ties.w[ids[ties.kind[ids] == KIND_CODES[kind]]]
        assert len(w) > 0, kind
        assert w.min() >= np.float32(low) and w.max() <= np.float32(high), kind
    # Layers: the inner circles are stronger than the outer ones (F1, F4).
    mean = {k: ties.w[ids[ties.kind[ids] == KIND_CODES[k]]].mean() for k in ranges}
    assert mean["friend"] > mean["work"] > mean["acquaintance"]


def test_neighbour_ties_drive_circles_degree():
    # Halving the neighbour ties (85 -> 40) removes ~45 tie ends a person.
    few = world_of(2000, network={"circles": {"neighbour_ties": 40.0}})
    many = world_of(2000, network={"circles": {"neighbour_ties": 85.0}})
    assert 30 < many.ties.deg.mean() - few.ties.deg.mean() < 50


# Shares of kinds drawn by generators without circles: household .02 and family .05
# (kin), friends .03 (friend), team .08 (work), club .2 and neighbours .62 (acquaintance).
RANDOM_KIND_SHARES = {KIN: 0.07, FRIEND: 0.03, WORK: 0.08, ACQ: 0.82, GROUP: 0.0}


@pytest.mark.parametrize(("k", "p"), [(20, 0.1), (10, 0.0), (12, 0.3)])
def test_watts_strogatz_statistics(k, p):
    n = 2000
    world = world_of(n, network={"generator": "watts_strogatz", "watts_strogatz": {"k": k, "p": p}})
    # A ring of n people each tied to k neighbours has n k / 2 ties; rewiring moves ties
    # without adding or removing any, and k is far below the cap.
    assert world.ties.n_ties == n * k // 2
    assert world.ties.deg.mean() == k
    # Clustering of the ring is 3 (k - 2) / (4 (k - 1)); rewiring keeps a triangle with
    # probability ~(1 - p)^3 (Barrat & Weigt 2000).
    expected = 3 * (k - 2) / (4 * (k - 1)) * (1 - p) ** 3
    assert clustering(world, np.random.default_rng(0), sample=n) == pytest.approx(
        expected, abs=0.04
    )
    if p == 0:  # the ring lattice: everyone has exactly k ties
        assert np.all(world.ties.deg == k)
    shares = kind_shares(world)
    for code, share in RANDOM_KIND_SHARES.items():
        # Binomial draws over n k / 2 >= 10,000 ties: 0.02 is more than 6 standard errors.
        assert shares[code] == pytest.approx(share, abs=0.02)


@pytest.fixture(scope="module")
def holme_kim_worlds() -> dict[float, World]:
    network = {"generator": "holme_kim", "holme_kim": {"m": 5}}
    return {
        p: world_of(1000, network={**network, "holme_kim": {"m": 5, "p": p}}) for p in (0.0, 0.9)
    }


def test_holme_kim_statistics(holme_kim_worlds):
    n, m = 1000, 5
    for world in holme_kim_worlds.values():
        # Each of the n - m newcomers makes m ties: mean degree 2 m (n - m) / n; only
        # the few hubs above the cap of 150 lose some.
        full = 2 * m * (n - m) / n
        assert 0.95 * full <= world.ties.deg.mean() <= full
        # Scale-free: preferential attachment makes hubs, far above a random graph's
        # maximum (mean + a few standard deviations, ~25 here).
        assert world.ties.deg.max() > 5 * world.ties.deg.mean()
        shares = kind_shares(world)
        for code, share in RANDOM_KIND_SHARES.items():
            assert shares[code] == pytest.approx(share, abs=0.03)
    rng = np.random.default_rng(0)
    plain = clustering(holme_kim_worlds[0.0], rng, sample=n)
    closed = clustering(holme_kim_worlds[0.9], rng, sample=n)
    # Without triad formation it is preferential attachment, whose clustering is small
    # (~(m/8) (ln n)^2 / n ~ 0.03); closing triangles with p = 0.9 raises it many-fold.
    assert plain < 0.1
    assert closed > 3 * plain


# --------------------------------------------------------------------------- time and layers


def test_time_shares_and_natural_layers(circles_5000):
    world = circles_5000
    table = ranked_time_shares(world, exponent=1.25)
    deg = world.ties.deg
    # Each person's shares sum to 1 and are ranked, strongest first.
    has = deg > 0
    assert np.allclose(table[has].sum(axis=1), 1.0, atol=1e-5)
    assert np.all(np.diff(table, axis=1) <= 1e-7)
    # C9 / F3 (Sutcliffe et al. 2012): ~40% of social time to the 5 strongest ties and
    # ~60% to the 15 strongest.
    shares = top_shares(table, deg)
    assert shares[5] == pytest.approx(0.40, abs=0.05)
    assert shares[15] == pytest.approx(0.60, abs=0.05)
    # F1 (Zhou et al. 2005): layers found in the data scale by a ratio of about 3.
    layers = natural_layers(table, deg, 4, np.random.default_rng(0), sample=800)
    assert 2.5 <= layers["ratio"] <= 4.0
    assert layers["people"] == 800
    assert np.all(np.diff(layers["sizes"]) > 0)


def test_world_statistics_is_consistent(circles_2000):
    stats = world_statistics(circles_2000, 1.25, 4, np.random.default_rng(0), sample=300)
    ties = circles_2000.ties
    assert stats["people"] == 2000
    assert stats["ties"] == ties.n_ties
    assert stats["mean degree"] == pytest.approx(2 * ties.n_ties / 2000)
    assert stats["max degree"] == ties.deg.max()
    kinds = [stats[f"share of ties: {k}"] for k in KIND_CODES]
    assert sum(kinds) == pytest.approx(1.0)
    assert np.allclose(kinds, kind_shares(circles_2000))


# --------------------------------------------------------------------------- homophily


def shared_interests(world: World) -> tuple[np.ndarray, np.ndarray]:
    ids = world.ties.alive_ids()
    tied = np.bitwise_count(world.interests[world.ties.u[ids]] & world.interests[world.ties.v[ids]])
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, world.n, (2, 50_000))
    a, b = a[a != b], b[a != b]
    random = np.bitwise_count(world.interests[a] & world.interests[b])
    return tied.astype(float), random.astype(float)


def stderr(x: np.ndarray) -> float:
    return float(x.std() / np.sqrt(len(x)))


def test_tied_pairs_share_more_interests(circles_2000):
    tied, random = shared_interests(circles_2000)
    # Two random people with 5 of 40 topics each share 5 * 5 / 40 = 0.625 on average
    # (hypergeometric mean).
    assert random.mean() == pytest.approx(5 * 5 / 40, abs=4 * stderr(random))
    # Homophily (0.6 of topics taken from ties) and club topics make tied pairs share more.
    assert tied.mean() - random.mean() > 5 * np.hypot(stderr(tied), stderr(random))


@pytest.mark.parametrize(
    ("homophily", "clubs", "linked"),
    [(0.6, 0.0, True), (0.0, 1.5, True), (0.0, 0.0, False)],
    ids=["homophily alone", "club topics alone", "neither"],
)
def test_each_homophily_mechanism(homophily, clubs, linked):
    # Two mechanisms link topics to ties: adopting topics of one's ties (homophily) and
    # the topic of one's interest club. Each alone makes tied pairs share more than the
    # 0.625 of random pairs; with neither, tied pairs are like random pairs (the control
    # that makes the tests meaningful).
    world = world_of(
        2000,
        network={"circles": {"clubs": clubs}},
        population={"interests": {"homophily": homophily}},
    )
    tied, _ = shared_interests(world)
    excess = tied.mean() - 5 * 5 / 40
    if linked:
        assert excess > 5 * stderr(tied)
    else:
        assert abs(excess) < 4 * stderr(tied)


# --------------------------------------------------------------------------- edge lists


def edgelist_scenario(tmp_path: Path, csv: str, people: int = 10, extra: str = ""):
    (tmp_path / "ties.csv").write_text(csv, encoding="utf-8")
    text = (
        f"population:\n  size: {people}\n"
        f"network:\n  generator: edgelist\n  edgelist:\n    path: ties.csv\n{extra}"
    )
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


def tie_table(world: World) -> dict[tuple[int, int], tuple[float, int]]:
    ties = world.ties
    return {
        (int(ties.u[e]), int(ties.v[e])): (round(float(ties.w[e]), 4), int(ties.kind[e]))
        for e in ties.alive_ids()
    }


def test_edgelist_with_header_weight_and_kind(tmp_path):
    csv = "source,target,weight,kind\n0,1,0.5,kin\n2,1,,\n3,4,0.9,Friend\n5,6,0.2,work\n"
    world = build_world(edgelist_scenario(tmp_path, csv), np.random.default_rng(0))
    world.ties.check()
    assert tie_table(world) == {
        (0, 1): (0.5, KIN),
        (1, 2): (0.3, ACQ),  # empty cells take the defaults
        (3, 4): (0.9, FRIEND),
        (5, 6): (0.2, WORK),
    }


def test_edgelist_without_header(tmp_path):
    world = build_world(edgelist_scenario(tmp_path, "0,1\n1,2\n9,8\n"), np.random.default_rng(0))
    assert tie_table(world) == {(0, 1): (0.3, ACQ), (1, 2): (0.3, ACQ), (8, 9): (0.3, ACQ)}


def test_edgelist_without_header_with_weight_and_kind(tmp_path):
    extra = "    default_weight: 0.4\n    default_kind: kin\n"
    sc = edgelist_scenario(tmp_path, "0,1,0.7,work\n1,2,0.25,\n3,4,,\n", extra=extra)
    world = build_world(sc, np.random.default_rng(0))
    assert tie_table(world) == {(0, 1): (0.7, WORK), (1, 2): (0.25, KIN), (3, 4): (0.4, KIN)}


def test_edgelist_repeats_merge_and_cap(tmp_path):
    csv = "source,target,weight\n0,1,0.2\n1,0,0.6\n" + "".join(f"2,{j},0.{j}\n" for j in (3, 4, 5))
    sc = edgelist_scenario(tmp_path, csv, extra="  dunbar:\n    layers: [1, 2]\n    cap: 2\n")
    world = build_world(sc, np.random.default_rng(0))
    world.ties.check()
    table = tie_table(world)
    assert table[(0, 1)][0] == 0.6  # a repeated pair keeps its strongest tie
    # Person 2 can hold 2 ties: the weakest candidate (to 3) is left out.
    assert set(table) == {(0, 1), (2, 4), (2, 5)}


# (id, CSV text, start of the bad line, column, key phrase of the problem)
BAD_CSV = [
    ("non-integer id", "source,target\n0,1\n1,x\n", "1,x", "target", "'x' is not a whole-number"),
    ("fractional id", "0,1\n2.5,3\n", "2.5", "source", "'2.5' is not a whole-number"),
    ("id out of range", "source,target\n0,1\n1,2\n3,10\n", "3,10", "target", "outside 0..9"),
    ("negative id", "0,1\n-1,2\n", "-1", "source", "outside 0..9"),
    ("self-tie", "source,target\n0,1\n4,4\n", "4,4", "target", "self-tie"),
    ("weight zero", "source,target,weight\n0,1,0.5\n1,2,0\n", "1,2,0", "weight", "(0, 1]"),
    ("weight above one", "0,1,0.5\n1,2,1.5\n", "1,2,1.5", "weight", "'1.5' is not a strength"),
    ("weight not a number", "0,1,heavy\n", "0,1,heavy", "weight", "'heavy' is not a strength"),
    ("unknown kind", "source,target,weight,kind\n0,1,0.5,kin\n1,2,0.5,foe\n", "1,2", "kind", "foe"),
]


@pytest.mark.parametrize(
    ("csv", "marker", "column", "phrase"),
    [case[1:] for case in BAD_CSV],
    ids=[case[0] for case in BAD_CSV],
)
def test_edgelist_bad_rows(tmp_path, csv, marker, column, phrase):
    with pytest.raises(ScenarioError) as info:  # loading the scenario reads the edge list
        build_world(edgelist_scenario(tmp_path, csv), np.random.default_rng(0))
    error = info.value
    lines = csv.splitlines()
    assert Path(error.file) == tmp_path / "ties.csv"
    assert error.line == next(i + 1 for i, line in enumerate(lines) if line.startswith(marker))
    assert error.field == column
    assert phrase in error.problem


def test_edgelist_unknown_header_column(tmp_path):
    with pytest.raises(ScenarioError) as info:
        build_world(
            edgelist_scenario(tmp_path, "source,target,strength\n0,1,0.5\n"),
            np.random.default_rng(0),
        )
    error = info.value
    assert Path(error.file) == tmp_path / "ties.csv"
    assert error.line == 1
    assert "strength" in error.problem
    assert "weight" in error.problem  # the allowed names are listed


# --------------------------------------------------------------------------- merge_and_cap


def test_merge_and_cap_keeps_ties_among_strongest_of_both_ends():
    a = np.array([0, 1, 0, 0, 0, 3, 4])
    b = np.array([1, 0, 2, 3, 4, 4, 4])
    w = np.array([0.2, 0.7, 0.5, 0.1, 0.4, 0.9, 0.8], np.float32)
    kind = np.array([ACQ, KIN, FRIEND, ACQ, WORK, KIN, KIN], np.int8)
    out = merge_and_cap(EdgeBatch(a, b, w, kind), n=5, cap=2)
    got = {
        (int(x), int(y)): (round(float(s), 4), int(k))
        for x, y, s, k in zip(out.a, out.b, out.w, out.kind, strict=True)
    }
    # (0, 1) keeps its strongest copy (0.7, kin); the self-tie (4, 4) is gone; person 0's
    # two strongest are to 1 (0.7) and 2 (0.5), so 0-4 (0.4) and 0-3 (0.1) are trimmed.
    assert got == {(0, 1): (0.7, KIN), (0, 2): (0.5, FRIEND), (3, 4): (0.9, KIN)}


def merge_by_hand(a, b, w, n, cap):
    """The rule of merge_and_cap in plain Python: the pair's strongest copy (the first
    among equals), then ties among the ``cap`` strongest of both ends (rank by 16-bit
    weakness, then by position in the list of a-ends followed by b-ends)."""
    weakness = np.round((1.0 - w.astype(np.float64)) * 65535).astype(np.int64)
    best: dict[tuple[int, int], int] = {}
    for i, (x, y) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        if x == y:
            continue
        key = (min(x, y), max(x, y))
        if key not in best or weakness[i] < weakness[best[key]]:
            best[key] = i
    kept = sorted(best.items())
    ends: dict[int, list[tuple[int, int, int]]] = {}
    for position, (key, i) in enumerate(kept):
        ends.setdefault(key[0], []).append((weakness[i], position, i))
        ends.setdefault(key[1], []).append((weakness[i], len(kept) + position, i))
    dropped = {i for ties in ends.values() for _, _, i in sorted(ties)[cap:]}
    return [(key, i) for key, i in kept if i not in dropped]


@pytest.mark.parametrize("seed", range(3))
def test_merge_and_cap_follows_the_rule_whatever_the_threads(seed):
    """The parallel merge gives the plain rule's ties, in (a, b) order, on 1 or 2 threads."""
    import numba

    rng = np.random.default_rng(seed)
    n, m, cap = 60, 3000, 25
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.choice([0.1, 0.2, 0.5, 0.9], m).astype(np.float32)  # many equal strengths
    kind = rng.integers(0, 4, m).astype(np.int8)
    expected = merge_by_hand(a, b, w, n, cap)
    for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
        numba.set_num_threads(threads)
        try:
            out = merge_and_cap(EdgeBatch(a, b, w, kind), n=n, cap=cap)
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        got = list(zip(out.a.tolist(), out.b.tolist(), strict=True))
        assert got == [key for key, _ in expected]
        assert np.array_equal(out.w, w[[i for _, i in expected]])


def test_drawing_in_chunks_gives_the_same_world(monkeypatch):
    """The generator's chunked draws (neighbours, strengths) are the draws made at once."""
    from sim.world import generators

    def world_of(chunk: int) -> tuple[np.ndarray, ...]:
        monkeypatch.setattr(generators, "CHUNK", chunk)
        sc = scenario_from_dict({"population": {"size": 3000}})
        world = build_world(sc, np.random.default_rng(3))
        ids = world.ties.alive_ids()
        t = world.ties
        return t.u[ids], t.v[ids], t.w[ids], t.kind[ids], world.interests

    whole, chunked = world_of(1 << 30), world_of(97)
    assert all(np.array_equal(x, y) for x, y in zip(whole, chunked, strict=True))


# --------------------------------------------------------------------------- kmeans


def test_kmeans_1d_separates_three_clusters():
    rng = np.random.default_rng(4)
    centres = np.array([1.0, 20.0, 300.0])
    truth = rng.integers(0, 3, 300)
    values = centres[truth] + rng.normal(0, 1.0, 300)
    labels = kmeans_1d(values, 3)
    # Label 0 holds the largest values: it is the cluster around 300.
    assert np.array_equal(labels, 2 - truth)
    # Shuffling the input does not change the partition.
    order = rng.permutation(300)
    assert np.array_equal(kmeans_1d(values[order], 3), labels[order])


def test_kmeans_1d_with_fewer_distinct_values_than_clusters():
    labels = kmeans_1d(np.array([5.0, 5.0, 1.0, 1.0]), 3)
    assert list(labels) == [0, 0, 1, 1]


# --------------------------------------------------------------------------- rules


def test_formation_probability_is_linear_in_shared_interests():
    shared = np.arange(0, 8)
    p = rules.formation_probability(shared, 0.002, 0.03)
    assert p[0] == pytest.approx(0.002)
    assert np.allclose(np.diff(p), 0.03)  # constant steps: linear (F7)
    assert np.allclose(np.diff(p, 2), 0.0)
    assert rules.formation_probability(100, 0.5, 0.5) == 1.0  # a probability


def test_accept_probability_concave_in_ties_inside_and_rising_with_strength():
    params = {"tie_weight": 0.6, "friends_weight": 0.3, "friends_scale": 1.5}
    inside = np.arange(0, 10)
    p = rules.accept_probability(0.2, inside, 1.0, **params)
    steps = np.diff(p)
    assert np.all(steps > 0)  # more friends inside: more likely to join
    assert np.all(np.diff(steps) < 0)  # with diminishing returns (F8)
    strength = np.linspace(0.0, 1.0, 11)
    q = rules.accept_probability(strength, 2, 1.0, **params)
    assert np.all(np.diff(q) > 0)  # a stronger tie to the inviter persuades more (C7)
    # No free attention: no one joins; half of it halves the chance.
    assert rules.accept_probability(0.9, 5, 0.0, **params) == 0.0
    half = rules.accept_probability(0.5, 2, 0.5, **params)
    assert half == pytest.approx(rules.accept_probability(0.5, 2, 1.0, **params) / 2)
    assert np.all((q >= 0) & (q <= 1))


def test_leave_probability_falls_with_belonging():
    value = np.linspace(-1.0, 3.0, 41)
    p = rules.leave_probability(value, max_rate=0.04, scale=0.5)
    assert np.all(p[value <= 0] == pytest.approx(0.04))
    positive = p[value >= 0]
    assert np.all(np.diff(positive) < 0)
    # A belonging of one scale cuts the hazard by a factor e.
    assert rules.leave_probability(0.5, max_rate=0.04, scale=0.5) == pytest.approx(0.04 / np.e)


def test_time_allocation_sums_to_one_per_person():
    rng = np.random.default_rng(6)
    n = 50
    owner = np.sort(rng.integers(0, 40, 600))  # people 40..49 have no ties
    strength = rng.uniform(0.01, 1.0, 600).astype(np.float32)
    share = rules.time_allocation(strength, 1.25, owner, n)
    total = np.bincount(owner, share, minlength=n)
    assert np.allclose(total[np.unique(owner)], 1.0, atol=1e-6)
    assert np.all(total[40:] == 0)
    # Within a person, time is proportional to strength ** exponent.
    mine = owner == owner[0]
    expected = strength[mine] ** 1.25 / (strength[mine] ** 1.25).sum()
    assert np.allclose(share[mine], expected, rtol=1e-5)
    # A larger exponent concentrates time on the strongest tie.
    steep = rules.time_allocation(strength, 3.0, owner, n)
    top = np.argmax(np.where(mine, strength, -1))
    assert steep[top] > share[top]


def test_decay_and_strengthen_rules():
    assert rules.decay(0.8, 30, 30) == pytest.approx(0.4)
    assert rules.decay(0.8, -5, 30) == pytest.approx(0.8)
    w = rules.strengthen(0.2, 0.25, np.arange(5))
    assert np.all(np.diff(w) > 0) and np.all(np.diff(w, 2) < 0) and np.all(w < 1)


def test_edgelist_lines_count_blank_lines(tmp_path):
    with pytest.raises(ScenarioError) as info:
        build_world(edgelist_scenario(tmp_path, "0,1\n\n3,3\n"), np.random.default_rng(0))
    assert info.value.line == 3 and info.value.field == "target"


def test_edgelist_with_too_many_columns_is_refused(tmp_path):
    with pytest.raises(ScenarioError) as info:
        build_world(edgelist_scenario(tmp_path, "9,0,1,0.5,kin\n"), np.random.default_rng(0))
    assert "5 columns" in info.value.problem and info.value.line == 1
