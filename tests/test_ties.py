"""TieStore: the undirected, weighted, capped tie store, on small hand-built stores."""

from __future__ import annotations

import numpy as np
import pytest

from sim import rules
from sim.config import KIND_CODES
from sim.kernels.cap import row_strengths
from sim.kernels.sweep import poisson_by_inversion, poisson_count
from sim.world.ties import FREE, TieStore

KIN, WORK, FRIEND, ACQ, GROUP = (
    KIND_CODES[k] for k in ("kin", "work", "friend", "acquaintance", "group")
)
HALF_LIVES = np.array([3650.0, 200.0, 400.0, 100.0, 30.0])


def store(n: int = 8, cap: int = 4, half_lives=HALF_LIVES) -> TieStore:
    return TieStore(n, cap, np.asarray(half_lives, float), capacity=4)


def snapshot(ties: TieStore) -> dict[str, np.ndarray]:
    names = ("u", "v", "w", "last", "kind", "created", "deg", "adj", "nbr")
    return {name: getattr(ties, name).copy() for name in names}


def assert_unchanged(ties: TieStore, before: dict[str, np.ndarray]) -> None:
    """The same ties in the same slots (adjacency tables may differ in empty columns)."""
    for name, old in before.items():
        new = getattr(ties, name)
        if name in ("adj", "nbr"):
            width = min(new.shape[1], old.shape[1])
            for table in (new, old):
                assert np.all(table[:, width:] == -1), f"{name} differs in width"
            new, old = new[:, :width], old[:, :width]
        assert np.array_equal(new, old), f"{name} changed"


def others_of(ties: TieStore, person: int) -> set[int]:
    _, other, _ = ties.neighbours(np.array([person]))
    return set(other.tolist())


def tie(ties: TieStore, a: int, b: int) -> int:
    return int(ties.find(np.array([a]), np.array([b]))[0])


def weakest(ties: TieStore, persons: np.ndarray, day: int) -> tuple[np.ndarray, np.ndarray]:
    """Each person's weakest tie today, ``(eid, strength)``; (-1, inf) with no tie."""
    eid_out = np.full(len(persons), -1, np.int64)
    s_out = np.full(len(persons), np.inf, np.float32)
    for i, person in enumerate(np.asarray(persons).tolist()):
        _, _, eid = ties.neighbours(np.array([person]))
        if len(eid):
            s = ties.strength(eid, day)
            eid_out[i], s_out[i] = eid[np.argmin(s)], s.min()
    return eid_out, s_out


def drop_weak(ties: TieStore, day: int, floor: float) -> int:
    """Remove every tie weaker than ``floor`` today; return how many."""
    ids = ties.alive_ids()
    weak = ids[ties.strength(ids, day) < floor]
    ties.remove(weak)
    return len(weak)


# --------------------------------------------------------------------------- basics


def test_empty_store():
    ties = store()
    assert ties.n_ties == 0
    assert len(ties.alive_ids()) == 0
    assert tie(ties, 0, 1) == -1
    row, other, eid = ties.neighbours(np.arange(8))
    assert len(row) == len(other) == len(eid) == 0
    eid, s = weakest(ties, np.array([3]), 0)
    assert eid[0] == -1 and np.isinf(s[0])
    ties.check()


def test_add_find_neighbours_remove():
    ties = store()
    made = ties.add(np.array([0, 2, 3]), np.array([1, 0, 1]), np.array([0.5, 0.4, 0.3]), FRIEND, 5)
    assert len(made) == 3
    assert ties.n_ties == 3
    # Endpoints are stored ordered, whichever way round they were given.
    assert np.all(ties.u[made] < ties.v[made])
    for a, b in ((0, 1), (0, 2), (1, 3)):
        eid = tie(ties, a, b)
        assert eid >= 0
        assert tie(ties, b, a) == eid
        assert ties.kind[eid] == FRIEND
        assert ties.last[eid] == 5 and ties.created[eid] == 5
    assert tie(ties, 0, 3) == -1
    assert tie(ties, 4, 5) == -1
    assert ties.w[tie(ties, 0, 2)] == pytest.approx(0.4)
    assert others_of(ties, 0) == {1, 2}
    assert others_of(ties, 1) == {0, 3}
    assert others_of(ties, 4) == set()
    assert list(ties.deg) == [2, 2, 1, 1, 0, 0, 0, 0]

    # Rows refer to positions in the query, which may repeat.
    query = np.array([3, 0, 3])
    row, other, eid = ties.neighbours(query)
    pairs = sorted(zip(row.tolist(), other.tolist(), strict=True))
    assert pairs == [(0, 1), (1, 1), (1, 2), (2, 1)]
    assert np.array_equal(ties.other(eid, query[row]), other)

    gone = tie(ties, 0, 1)
    ties.remove(np.array([gone]))
    assert tie(ties, 0, 1) == -1
    assert ties.kind[gone] == FREE
    assert others_of(ties, 0) == {2}
    assert others_of(ties, 1) == {3}
    assert ties.n_ties == 2
    ties.check()

    # A freed id is reused.
    again = ties.add(np.array([4]), np.array([5]), 0.2, ACQ, 6)
    assert list(again) == [gone]
    assert tie(ties, 4, 5) == gone
    ties.check()


def test_no_self_ties_and_no_duplicates():
    ties = store()
    made = ties.add(np.array([1, 2, 3, 3]), np.array([1, 3, 2, 2]), 0.5, FRIEND, 0)
    assert len(made) == 1  # the self-tie and the repeats of (2, 3) are skipped
    assert ties.n_ties == 1
    assert tie(ties, 1, 1) == -1
    before = snapshot(ties)
    # An existing pair is skipped, even if stronger: strengthening is contact's job.
    assert len(ties.add(np.array([3]), np.array([2]), 0.9, KIN, 1)) == 0
    assert_unchanged(ties, before)
    ties.check()


def test_batch_repeats_keep_strongest_candidate():
    ties = store(cap=1)
    ties.add(np.array([0, 1, 0]), np.array([1, 0, 2]), np.array([0.2, 0.3, 0.6]), FRIEND, 0)
    # Person 0 can hold one tie: the strongest candidate (to 2) wins.
    assert tie(ties, 0, 2) >= 0
    assert tie(ties, 0, 1) == -1
    ties.check()


def test_adjacency_grows_past_initial_width():
    ties = store(n=30, cap=25)
    made = ties.add(np.zeros(20, np.int64), np.arange(1, 21), 0.5, ACQ, 0)
    assert len(made) == 20
    assert ties.deg[0] == 20
    assert others_of(ties, 0) == set(range(1, 21))
    ties.check()


# --------------------------------------------------------------------------- the cap


def full_person_zero() -> TieStore:
    """Person 0 at its cap of 2: a tie of 0.5 to person 1 and of 0.3 to person 2."""
    ties = store(cap=2)
    ties.add(np.array([0, 0]), np.array([1, 2]), np.array([0.5, 0.3]), FRIEND, 0)
    assert ties.deg[0] == 2
    return ties


@pytest.mark.parametrize("w", [0.1, 0.3])
def test_cap_rejects_new_tie_not_stronger_than_weakest(w):
    ties = full_person_zero()
    before = snapshot(ties)
    assert len(ties.add(np.array([0]), np.array([3]), w, FRIEND, 0)) == 0
    assert_unchanged(ties, before)


def test_cap_replaces_weakest_with_stronger():
    ties = full_person_zero()
    made = ties.add(np.array([3]), np.array([0]), 0.35, FRIEND, 0)
    assert len(made) == 1
    assert others_of(ties, 0) == {1, 3}
    assert tie(ties, 0, 2) == -1
    assert ties.deg[2] == 0
    assert ties.deg[0] == 2
    ties.check()


def test_cap_compares_with_decayed_strength():
    ties = store(cap=2)
    ties.add(np.array([0]), np.array([1]), 0.5, GROUP, 0)  # half-life 30 days
    ties.add(np.array([0]), np.array([2]), 0.3, KIN, 0)  # half-life 3650 days
    # On day 60 the group tie is worth 0.5 / 4 = 0.125: it is now the weakest.
    assert len(ties.add(np.array([0]), np.array([3]), 0.2, FRIEND, 60)) == 1
    assert others_of(ties, 0) == {2, 3}
    ties.check()


def test_cap_of_the_other_end_also_holds():
    ties = full_person_zero()
    before = snapshot(ties)
    # Person 5 has room, but person 0 is full with stronger ties.
    assert len(ties.add(np.array([5]), np.array([0]), 0.25, FRIEND, 0)) == 0
    assert_unchanged(ties, before)


def test_cap_batch_takes_strongest_first():
    ties = store(cap=1)
    made = ties.add(np.array([0, 0, 0]), np.array([1, 2, 3]), np.array([0.2, 0.9, 0.5]), WORK, 0)
    assert len(made) == 1
    assert others_of(ties, 0) == {2}
    assert ties.deg.sum() == 2
    ties.check()


def test_admit_rule():
    at_cap = np.array([False, True, True, True])
    new = np.array([0.1, 0.5, 0.5, 0.5])
    weakest = np.array([0.9, 0.4, 0.5, 0.6])
    assert list(rules.admit_under_cap(new, weakest, at_cap)) == [True, True, False, False]


# --------------------------------------------------------------------------- strength


@pytest.mark.parametrize("kind", range(5))
def test_lazy_decay_follows_half_life(kind):
    ties = store()
    eid = ties.add(np.array([0]), np.array([1]), 0.8, kind, 10)
    h = HALF_LIVES[kind]
    assert ties.strength(eid, 10)[0] == pytest.approx(0.8)
    assert ties.strength(eid, 10 + h)[0] == pytest.approx(0.4, rel=1e-5)
    assert ties.strength(eid, 10 + 2 * h)[0] == pytest.approx(0.2, rel=1e-5)
    for day in (13, 57, 400):
        expected = rules.decay(0.8, day - 10, h)
        assert ties.strength(eid, day)[0] == pytest.approx(expected, rel=1e-5)
    # Nothing grows before the last contact.
    assert ties.strength(eid, 0)[0] == pytest.approx(0.8)
    # Decay is lazy: the stored strength is the one of the last contact.
    assert ties.w[eid[0]] == pytest.approx(0.8)


def test_decay_depends_on_kind():
    ties = store()
    kin = ties.add(np.array([0]), np.array([1]), 0.5, KIN, 0)
    group = ties.add(np.array([2]), np.array([3]), 0.5, GROUP, 0)
    assert ties.strength(kin, 90)[0] > 0.49
    assert ties.strength(group, 90)[0] == pytest.approx(0.5 / 8, rel=1e-5)


def test_contact_strengthens_with_diminishing_increments():
    ties = store()
    eid = ties.add(np.array([0]), np.array([1]), 0.2, FRIEND, 0)
    values = [float(ties.strength(eid, 0)[0])]
    for _ in range(6):
        ties.contact(eid, 0, 0.25)
        values.append(float(ties.strength(eid, 0)[0]))
    steps = np.diff(values)
    assert np.all(steps > 0)
    assert np.all(np.diff(steps) < 0)
    for k, value in enumerate(values):
        assert value == pytest.approx(1 - 0.8 * 0.75**k, rel=1e-5)
    assert values[-1] < 1.0


def test_a_tie_s_peak_is_its_strength_when_made_and_rises_with_encounters():
    ties = store()
    eid = ties.add(np.array([0]), np.array([1]), 0.4, WORK, 0)
    other = ties.add_unchecked(np.array([2]), np.array([3]), np.float32(0.3), FRIEND, 0)
    assert ties.peak[eid[0]] == pytest.approx(0.4) and ties.peak[other[0]] == pytest.approx(0.3)
    ties.contact(eid, 0, 0.5)  # shared activity in a group: 0.4 -> 0.7
    assert ties.peak[eid[0]] == pytest.approx(0.7, rel=1e-6)
    ties.contact(eid, 200, 0.0)  # decayed to 0.35 by day 200; the peak stays
    assert ties.w[eid[0]] == pytest.approx(0.35, rel=1e-5)
    assert ties.peak[eid[0]] == pytest.approx(0.7, rel=1e-6)
    ties.check()


@pytest.mark.parametrize("per_day", [0.05, 2.0])  # drawn by inversion; by rng.poisson
def test_background_contact_restores_a_tie_towards_its_peak_and_no_further(per_day):
    ties = store()
    eid = ties.add(np.array([0]), np.array([1]), 0.4, WORK, 0)
    ties.contact(eid, 0, 0.5)  # peak 0.7
    before = float(ties.strength(eid, 200)[0])  # 0.35: one half-life alone
    rng = np.random.default_rng(1)
    ties.sweep(200, rng, days=28, exponent=1.0, contacts_per_day=per_day, gain=0.01, floor=0.02)
    assert ties.last[eid[0]] == 200  # contacted (rate 2 * per_day: each end's only tie)
    after = float(ties.w[eid[0]])
    k = np.log((0.7 - after) / (0.7 - before)) / np.log(0.99)
    assert before < after < 0.7 and abs(k - round(k)) < 1e-3 and round(k) >= 1
    ties.check()


def test_check_catches_a_strength_above_the_peak():
    ties = store()
    eid = ties.add(np.array([0]), np.array([1]), 0.4, WORK, 0)
    ties.w[eid] = 0.5
    with pytest.raises(AssertionError, match="peak"):
        ties.check()


def test_contact_repeated_ids_count_each_time():
    a, b = store(), store()
    ea = a.add(np.array([0]), np.array([1]), 0.3, FRIEND, 0)
    eb = b.add(np.array([0]), np.array([1]), 0.3, FRIEND, 0)
    a.contact(np.repeat(ea, 3), 0, 0.1)
    for _ in range(3):
        b.contact(eb, 0, 0.1)
    assert a.w[ea[0]] == pytest.approx(b.w[eb[0]], rel=1e-6)
    assert a.w[ea[0]] == pytest.approx(1 - 0.7 * 0.9**3, rel=1e-5)


def test_contact_decays_first_and_resets_last():
    ties = store()
    eid = ties.add(np.array([0]), np.array([1]), 0.8, GROUP, 0)
    ties.contact(eid, 30, 0.5)  # 0.8 -> 0.4 by decay, then half the gap: 0.7
    assert ties.w[eid[0]] == pytest.approx(0.7, rel=1e-5)
    assert ties.last[eid[0]] == 30
    assert ties.strength(eid, 30)[0] == pytest.approx(0.7, rel=1e-5)
    assert ties.strength(eid, 60)[0] == pytest.approx(0.35, rel=1e-5)


def test_strengths_stay_in_unit_interval():
    ties = store()
    eids = ties.add(np.array([0, 2]), np.array([1, 3]), np.array([1.0, 0.5]), FRIEND, 0)
    ties.contact(np.repeat(eids, 50), 0, 1.0)
    assert np.all(ties.w[eids] <= 1.0)
    # After a very long silence, a contact still leaves a positive strength.
    ties.contact(eids, 3_000_000, 0.0)
    assert np.all(ties.w[eids] > 0.0)
    assert np.all(ties.w[eids] <= 1.0)
    ties.check()


def test_drop_weak():
    ties = store()
    weak = ties.add(np.array([0]), np.array([1]), 0.01, ACQ, 0)
    ties.add(np.array([2]), np.array([3]), 0.05, ACQ, 0)
    ties.add(np.array([4]), np.array([5]), 0.05, KIN, 0)
    assert drop_weak(ties, 0, 0.02) == 1
    assert tie(ties, 0, 1) == -1
    assert ties.kind[weak[0]] == FREE
    assert ties.n_ties == 2
    # Two half-lives of the acquaintance (100 days) later it is 0.0125: dropped; kin stays.
    assert drop_weak(ties, 200, 0.02) == 1
    assert tie(ties, 2, 3) == -1
    assert tie(ties, 4, 5) >= 0
    assert drop_weak(ties, 200, 0.02) == 0
    ties.check()


def test_sparse_matrix():
    ties = store()
    ties.add(np.array([0, 0, 1]), np.array([1, 2, 2]), np.array([0.2, 0.4, 0.8]), KIN, 0)
    matrix = ties.to_sparse(0).toarray()
    assert np.allclose(matrix, matrix.T)
    assert matrix[0, 2] == pytest.approx(0.4)
    assert np.all(np.diag(matrix) == 0)
    assert np.allclose(ties.to_sparse(0, power=2.0).toarray()[1, 2], 0.64)


def test_weakest_per_person():
    ties = store()
    ties.add(np.array([0, 0, 0]), np.array([1, 2, 3]), np.array([0.5, 0.2, 0.7]), FRIEND, 0)
    eid, s = weakest(ties, np.array([0, 2, 6]), 0)
    assert eid[0] == tie(ties, 0, 2)
    assert s[0] == pytest.approx(0.2)
    assert eid[1] == tie(ties, 0, 2)
    assert eid[2] == -1


# --------------------------------------------------------------------------- random sequences


def assert_consistent(ties: TieStore) -> None:
    ties.check()
    ids = ties.alive_ids()
    assert np.array_equal(ties.find(ties.u[ids], ties.v[ids]), ids)
    assert np.array_equal(ties.find(ties.v[ids], ties.u[ids]), ids)
    assert ties.n_ties == len(ids)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_operations_keep_invariants(seed):
    rng = np.random.default_rng(seed)
    n, cap = 40, 6
    ties = TieStore(n, cap, np.array([80.0, 40.0, 20.0, 10.0, 5.0]), capacity=16)
    day = 0
    seen = {"admitted": 0, "replaced": 0, "rejected": 0, "dropped": 0}
    for _ in range(300):
        op = rng.integers(6)
        if op == 0:  # a batch with self-ties, repeats and existing pairs
            k = int(rng.integers(1, 30))
            a, b = rng.integers(0, n, k), rng.integers(0, n, k)
            made = ties.add(a, b, rng.uniform(0.01, 1.0, k), int(rng.integers(5)), day)
            assert np.all(ties.u[made] != ties.v[made])
        elif op == 1:  # one candidate: the cap rule, exactly
            a, b = rng.choice(n, 2, replace=False)
            w = float(rng.uniform(0.01, 1.0))
            if tie(ties, a, b) >= 0:
                continue
            ends = np.array([a, b])
            weak_eid, weak_s = weakest(ties, ends, day)
            full = ties.deg[ends] >= cap
            admitted = bool(np.all(~full | (weak_s < np.float32(w))))
            victims = [(ties.u[e], ties.v[e]) for e in weak_eid[full]]
            before = ties.n_ties
            made = ties.add(np.array([a]), np.array([b]), w, int(rng.integers(5)), day)
            assert (len(made) == 1) == admitted
            seen["admitted" if admitted else "rejected"] += 1
            seen["replaced"] += int(admitted and full.any())
            if admitted:
                assert tie(ties, a, b) == made[0]
                assert ties.n_ties == before + 1 - int(full.sum())
                for x, y in victims:
                    assert tie(ties, x, y) == -1
            else:
                assert ties.n_ties == before
        elif op == 2:  # remove some alive ties
            ids = ties.alive_ids()
            if len(ids):
                ties.remove(rng.choice(ids, int(rng.integers(1, min(len(ids), 10) + 1))))
        elif op == 3:  # contact with repeats
            ids = ties.alive_ids()
            if len(ids):
                ties.contact(rng.choice(ids, int(rng.integers(1, 20))), day, rng.uniform(0, 1))
        elif op == 4:
            seen["dropped"] += drop_weak(ties, day, 0.02)
            ids = ties.alive_ids()
            assert np.all(ties.strength(ids, day) >= 0.02)
        else:
            day += int(rng.integers(0, 15))
        assert_consistent(ties)
    # The sequence exercised every branch: the cap held, replaced and refused, and decay.
    assert ties.n_ties > 0
    assert all(count > 0 for count in seen.values()), seen


# --------------------------------------------------------------------------- check can fail


def populated() -> TieStore:
    ties = store(n=10, cap=3)
    ties.add(np.array([0, 0, 1, 4, 6]), np.array([1, 2, 2, 5, 7]), 0.5, FRIEND, 0)
    ties.check()
    return ties


def corrupt_deg(t):
    t.deg[4] += 1


def corrupt_deg_low(t):
    t.deg[0] -= 1  # the last tie of person 0 is hidden from its adjacency row


def corrupt_over_cap(t):
    t.cap = 1


def corrupt_strength_zero(t):
    t.w[t.alive_ids()[0]] = 0.0


def corrupt_strength_above_one(t):
    t.w[t.alive_ids()[0]] = 1.5


def corrupt_self_tie(t):
    eid = t.alive_ids()[0]
    t.v[eid] = t.u[eid]


def corrupt_duplicate(t):
    t.add_unchecked(np.array([0]), np.array([1]), np.array([0.5]), np.array([FRIEND]), 0)


def corrupt_neighbour_table(t):
    t.nbr[0, 0] = 9


def corrupt_adjacency_stranger(t):
    t.adj[6, 0] = t.adj[0, 0]


def corrupt_freed_in_adjacency(t):
    t.kind[t.alive_ids()[0]] = FREE  # gone from the edge table, still in adjacency


@pytest.mark.parametrize(
    "corrupt",
    [
        corrupt_deg,
        corrupt_deg_low,
        corrupt_over_cap,
        corrupt_strength_zero,
        corrupt_strength_above_one,
        corrupt_self_tie,
        corrupt_duplicate,
        corrupt_neighbour_table,
        corrupt_adjacency_stranger,
        corrupt_freed_in_adjacency,
    ],
)
def test_check_detects_corruption(corrupt):
    ties = populated()
    corrupt(ties)
    with pytest.raises(AssertionError):
        ties.check()


# --------------------------------------------------------------------------- sweep and kernels


def random_store(seed: int, n: int = 300, k: int = 3000, cap: int = 40) -> TieStore:
    """A store with ties of every kind, contacted on different days, some removed."""
    rng = np.random.default_rng(seed)
    ties = TieStore(n, cap, HALF_LIVES, capacity=64)
    for day in range(0, 60, 6):
        a, b = rng.integers(0, n, k // 10), rng.integers(0, n, k // 10)
        ties.add(a, b, rng.uniform(0.01, 1.0, len(a)), int(rng.integers(5)), day)
    ids = ties.alive_ids()
    ties.remove(rng.choice(ids, len(ids) // 10, replace=False))
    ties.check()
    return ties


def test_decay_table_gives_strength_bit_for_bit():
    ties = random_store(0)
    ids = ties.alive_ids()
    for day in (60, 75, 400):
        age = (day - ties.last[ids]).astype(np.float32)
        expected = rules.decay(ties.w[ids], age, ties.half_life[ties.kind[ids].astype(np.int64)])
        assert np.array_equal(ties.strength(ids, day), expected)
    # Fractional days are computed directly.
    np.testing.assert_allclose(
        ties.strength(ids, 70.5),
        rules.decay(ties.w[ids], 70.5 - ties.last[ids], ties.half_life[ties.kind[ids]]),
        rtol=1e-6,
    )


def test_poisson_count_is_the_inversion_bit_for_bit():
    rng = np.random.default_rng(2)
    lam = np.concatenate([rng.uniform(0, 0.1, 20_000), rng.uniform(0, 30, 20_000)])
    uniform = rng.random(len(lam))
    pairs = list(zip(uniform.tolist(), lam.tolist(), strict=True))
    fast = [poisson_count(r, x) for r, x in pairs]
    slow = [poisson_by_inversion(r, x) for r, x in pairs]
    assert fast == slow


@pytest.mark.parametrize("lam", [0.02, 0.5, 3.0, 25.0])
def test_poisson_by_inversion_has_the_poisson_law(lam):
    from scipy import stats

    rng = np.random.default_rng(3)
    draws = np.array([poisson_count(r, lam) for r in rng.random(40_000)])
    top = int(stats.poisson.ppf(0.9999, lam)) + 1
    observed = np.bincount(np.minimum(draws, top), minlength=top + 1)
    expected = stats.poisson.pmf(np.arange(top + 1), lam) * len(draws)
    expected[-1] = stats.poisson.sf(top - 1, lam) * len(draws)
    keep = expected > 5
    # Pool the sparse tail so that the chi-square approximation holds.
    obs = np.append(observed[keep], observed[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    obs, exp = (obs, exp) if exp[-1] > 5 else (obs[:-1], exp[:-1])
    assert stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue > 0.001


def sweep_once(ties: TieStore, seed: int, day: int = 84, per_day: float = 1.0) -> int:
    return ties.sweep(
        day,
        np.random.default_rng(seed),
        days=28,
        exponent=1.25,
        contacts_per_day=per_day,
        gain=0.04,
        floor=0.02,
    ).dropped


@pytest.mark.parametrize("per_day", [1.0, 8.0])
def test_sweep_counts_contacts_at_the_rule_s_rate(per_day):
    ties = random_store(4, n=2000, k=40_000, cap=60)
    day, gain = 84, 0.01
    ids = ties.alive_ids()
    before = ties.strength(ids, day).astype(np.float64)
    rate = rules.contact_rate(before, ties.u[ids], ties.v[ids], ties.n, 1.25, per_day)
    lam = rate.astype(np.float64) * 28
    if per_day > 1:  # some means are above the inversion limit: drawn by rng.poisson
        assert (lam > 30).sum() > 50
    swept = ties.sweep(
        day,
        np.random.default_rng(5),
        days=28,
        exponent=1.25,
        contacts_per_day=per_day,
        gain=gain,
        floor=0.02,
    )
    # What the sweep hands on as today's strengths is what the store says, bit for bit.
    assert np.array_equal(swept.strength, ties.strength(np.arange(len(swept.strength)), day))
    assert swept.dropped == int((ties.kind[ids] == FREE).sum())
    touched = ties.last[ids] == day
    # k contacts move the strength towards its peak, to p - (p - s)(1 - gain)^k: recover k.
    peak = ties.peak[ids][touched].astype(np.float64)
    assert np.all(before[touched] < peak)  # every tie has decayed since it was made
    k = np.zeros(len(ids))
    k[touched] = np.rint(
        np.log((peak - ties.w[ids][touched]) / (peak - before[touched])) / np.log(1.0 - gain)
    )
    assert abs(k.sum() - lam.sum()) < 4 * np.sqrt(lam.sum())
    big = lam > 30
    if big.any():
        assert abs(k[big].sum() - lam[big].sum()) < 4 * np.sqrt(lam[big].sum())
    assert abs(touched.mean() - (1 - np.exp(-lam)).mean()) < 0.01
    # Untouched ties below the floor are gone, the others stay.
    dropped = ties.kind[ids] == FREE
    assert np.array_equal(dropped, ~touched & (before < 0.02))
    ties.check()


def test_sweep_is_reproducible_and_independent_of_threads():
    import numba

    results = []
    for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
        numba.set_num_threads(threads)
        try:
            ties = random_store(6, n=2000, k=40_000, cap=60)
            dropped = sweep_once(ties, 7)
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        results.append((dropped, snapshot(ties)))
    ties = random_store(6, n=2000, k=40_000, cap=60)
    results.append((sweep_once(ties, 7), snapshot(ties)))
    first = results[0]
    for other in results[1:]:
        assert other[0] == first[0]
        for name, value in first[1].items():
            assert np.array_equal(other[1][name], value), name


def test_remove_keeps_the_order_of_the_other_slots():
    ties = random_store(8)
    rng = np.random.default_rng(9)
    before = {p: ties.adj[p, : ties.deg[p]].tolist() for p in range(ties.n)}
    gone = rng.choice(ties.alive_ids(), 200, replace=False)
    ties.remove(gone)
    doomed = set(gone.tolist())
    for p in range(ties.n):
        assert ties.adj[p, : ties.deg[p]].tolist() == [e for e in before[p] if e not in doomed]
        assert np.all(ties.adj[p, ties.deg[p] :] == -1)
    ties.check()


# --------------------------------------------------------------------------- batches


@pytest.mark.parametrize("seed", range(4))
def test_batch_add_equals_one_candidate_at_a_time(seed):
    """A batch is the candidates, strongest first, each admitted as if alone."""
    rng = np.random.default_rng(seed)
    n, cap = 30, 5
    batch, single = (TieStore(n, cap, HALF_LIVES, capacity=8) for _ in range(2))
    for day in range(0, 80, 8):
        k = int(rng.integers(1, 60))
        a, b = rng.integers(0, n, k), rng.integers(0, n, k)
        w = rng.integers(1, 9, k) / 8.0  # equal strengths: batch order breaks the tie
        kind = int(rng.integers(5))
        made = batch.add(a, b, w, kind, day)
        one_by_one = [
            single.add(a[i : i + 1], b[i : i + 1], w[i], kind, day)
            for i in np.argsort(-w, kind="stable")
        ]
        assert len(made) == sum(len(x) for x in one_by_one)
        for store_ in (batch, single):
            store_.check()
        pairs = {
            (int(x), int(y))
            for x, y in zip(batch.u[batch.alive_ids()], batch.v[batch.alive_ids()], strict=True)
        }
        expected = {
            (int(x), int(y))
            for x, y in zip(single.u[single.alive_ids()], single.v[single.alive_ids()], strict=True)
        }
        assert pairs == expected
    assert batch.deg.max() == cap  # the cap was reached, so replacement was exercised


def test_pick_by_strength_follows_strength_and_stays_in_the_row():
    ties = store(n=6, cap=5)
    ties.add(np.array([0, 0, 0]), np.array([1, 2, 3]), np.array([0.1, 0.3, 0.6]), FRIEND, 0)
    ties.add(np.array([4]), np.array([5]), 0.5, FRIEND, 0)
    rng = np.random.default_rng(7)
    persons = np.zeros(30_000, np.int64)
    other, eid, strength = ties.pick_by_strength(persons, 0, rng)
    assert set(other.tolist()) <= {1, 2, 3}
    assert np.array_equal(eid, ties.find(persons, other))
    assert np.allclose(strength, ties.strength(eid, 0))
    share = np.bincount(other, minlength=4)[1:] / len(other)
    assert np.allclose(share, [0.1, 0.3, 0.6], atol=0.015)
    # Odds follow today's strengths: friend ties decay faster than kin, so on day 400 the
    # kin tie's share is about 0.093 / 0.593, up from 0.1 / 1.1 on day 0.
    ties.add(np.array([0]), np.array([4]), 0.1, KIN, 0)
    other, _, _ = ties.pick_by_strength(np.zeros(30_000, np.int64), 400, rng)
    today = ties.strength(ties.neighbours(np.array([0]))[2], 400)
    kin_share = float(ties.strength(ties.find(np.array([0]), np.array([4])), 400)[0] / today.sum())
    assert kin_share > 0.15
    assert np.mean(other == 4) == pytest.approx(kin_share, abs=0.015)


@pytest.mark.parametrize("seed", [0, 1])
def test_pick_from_todays_strengths_chooses_as_pick_by_strength(seed):
    """The many-people pick of new acquaintances (one strength per edge id) agrees."""
    rng = np.random.default_rng(seed)
    ties = store(n=60, cap=12)
    a, b = rng.integers(0, 60, 600), rng.integers(0, 60, 600)
    kinds = rng.choice([KIN, FRIEND, ACQ, GROUP], 600)
    for day, chunk in enumerate(np.array_split(np.arange(600), 6)):
        ties.add(a[chunk], b[chunk], rng.random(len(chunk)), int(kinds[chunk[0]]), day * 20)
    day = 250
    persons = np.flatnonzero(ties.deg > 0)
    persons = np.repeat(persons, 50)
    expected, _, _ = ties.pick_by_strength(persons, day, np.random.default_rng(9))
    now = ties.strength(np.arange(ties._top), day)
    total = np.empty(ties.n, np.float64)
    row_now = row_strengths(ties.adj, ties.deg, now, total)
    assert np.allclose(
        total,
        np.bincount(ties.u[: len(now)], now, ties.n) + np.bincount(ties.v[: len(now)], now, ties.n),
    )
    got = ties.pick_by_row_strength(persons, row_now, total, np.random.default_rng(9))
    # The same uniforms choose the same tie, but where rounding of the sums differs.
    assert np.mean(got == expected) > 0.999


def test_picks_grouped_by_person_are_the_picks_made_one_by_one(monkeypatch):
    """Grouping many picks by person (each row read once) chooses the same ties."""
    from sim.kernels import strength

    rng = np.random.default_rng(5)
    ties = store(n=80, cap=15)
    a, b = rng.integers(0, 80, 900), rng.integers(0, 80, 900)
    ties.add(a, b, rng.random(900), FRIEND, 0)
    holders = np.flatnonzero(ties.deg > 0)
    persons = rng.permutation(np.repeat(holders, rng.integers(1, 9, len(holders))))
    now = ties.strength(np.arange(ties._top), 30)
    total = np.empty(ties.n, np.float64)
    row_now = row_strengths(ties.adj, ties.deg, now, total)
    got = {}
    for group in (0.0, np.inf):  # always grouped, never grouped
        monkeypatch.setattr(strength, "GROUP_PICKS", group)
        got[group] = ties.pick_by_row_strength(persons, row_now, total, np.random.default_rng(3))
    assert np.array_equal(got[0.0], got[np.inf])
    assert len(np.unique(got[0.0])) > 40  # many different ties were chosen


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_add_with_todays_strengths_given_is_the_same(seed):
    """Handing ``add`` today's strengths (as new acquaintances do) changes nothing."""
    import copy

    rng = np.random.default_rng(seed)
    ties = store(n=40, cap=6)
    for day in range(0, 200, 25):
        a, b = rng.integers(0, 40, 60), rng.integers(0, 40, 60)
        ties.add(a, b, rng.random(60), int(rng.choice([KIN, FRIEND, ACQ, GROUP])), day)
    assert ties.deg.max() == 6  # full rows are scanned for their weakest tie
    day = 230
    a, b = rng.integers(0, 40, 200), rng.integers(0, 40, 200)
    w = np.full(200, 0.05, np.float32)
    plain, given = copy.deepcopy(ties), copy.deepcopy(ties)
    made_plain = plain.add(a, b, w, ACQ, day)
    now = given.strength(np.arange(given._top), day)
    made_given = given.add(a, b, w, ACQ, day, now)
    assert np.array_equal(made_plain, made_given) and len(made_plain) > 0
    assert_unchanged(given, snapshot(plain))
    given.check()
    ids = given.alive_ids()
    ids = ids[ids < len(now)]
    assert np.array_equal(now[ids], given.strength(ids, day))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("given", [False, True])
def test_batch_is_the_same_with_slot_lookup_and_rows_out_of_room(seed, given, monkeypatch):
    """How a batch finds dropped ties and where it puts holes does not change the store.

    A large batch looks each dropped tie up by slot instead of scanning the other end's
    row; with a single spare column, rows run out of room in the middle of a batch and
    are closed up at once. Both must leave the ties, and the order of every row, exactly
    as a small batch with room to spare does.
    """
    import sim.world.ties as store_module

    results = []
    for large, slack in ((10**9, 32), (0, 32), (0, 1), (10**9, 1)):
        monkeypatch.setattr(store_module, "LARGE_BATCH", large)
        monkeypatch.setattr(store_module, "ROW_SLACK", slack)
        rng = np.random.default_rng(seed)
        ties = store(n=40, cap=6)
        for day in range(0, 200, 25):
            a, b = rng.integers(0, 40, 60), rng.integers(0, 40, 60)
            ties.add(a, b, rng.random(60), int(rng.choice([KIN, FRIEND, ACQ, GROUP])), day)
        assert ties.deg.max() == 6 and ties.adj.shape[1] <= 6 + slack
        day = 230
        a, b = rng.integers(0, 40, 300), rng.integers(0, 40, 300)
        w = np.where(rng.random(300) < 0.5, np.float32(0.05), rng.random(300).astype(np.float32))
        now = ties.strength(np.arange(ties._top), day) if given else None
        made = ties.add(a, b, w, ACQ, day, now)
        ties.check()
        results.append((made, ties))
    made, first = results[0]
    assert len(made) > 0 and np.any(first.deg == first.cap)
    for other_made, other in results[1:]:
        assert np.array_equal(other_made, made)
        assert_unchanged(other, snapshot(first))


@pytest.mark.parametrize("seed", [0, 1])
def test_parallel_pair_lookup_with_its_filter_finds_what_the_scan_finds(seed):
    """The filter of neighbours only skips scans: every tie is still found, no other."""
    from sim.kernels.rows import find_pairs, find_pairs_parallel

    ties = random_store(seed, n=3000, k=60_000, cap=60)
    rng = np.random.default_rng(seed)
    ids = ties.alive_ids()[:5000]
    a = np.concatenate([rng.integers(0, ties.n, 20_000), ties.u[ids], ties.v[ids]])
    b = np.concatenate([rng.integers(0, ties.n, 20_000), ties.v[ids], ties.u[ids]])
    scanned, filtered = np.empty(len(a), np.int64), np.empty(len(a), np.int64)
    find_pairs(a, b, ties.adj, ties.nbr, ties.deg, scanned)
    find_pairs_parallel(a, b, ties.adj, ties.nbr, ties.deg, filtered)
    assert np.array_equal(filtered, scanned)
    assert np.array_equal(scanned[20_000:], np.concatenate([ids, ids]))
    assert (scanned[:20_000] < 0).mean() > 0.9


# --------------------------------------------------------------------------- together


def together_by_hand(ties: TieStore, a, b, w: float, day: int) -> set[tuple[int, int]]:
    """The rule of ``rules.room_under_cap`` in plain Python: the pairs tied afterwards."""
    ids = ties.alive_ids()
    now = {int(e): float(s) for e, s in zip(ids, ties.strength(ids, day), strict=True)}
    rows = {p: ties.adj[p, : ties.deg[p]].tolist() for p in range(ties.n)}
    room = {
        p: int(rules.room_under_cap(np.array([now[e] for e in row], np.float32), w, ties.cap))
        for p, row in rows.items()
    }
    pairs = {(int(ties.u[e]), int(ties.v[e])) for e in ids}
    taken = dict.fromkeys(rows, 0)
    made: list[tuple[int, int]] = []
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        key = (min(x, y), max(x, y))
        if x == y or key in pairs or key in made:
            continue
        if taken[key[0]] < room[key[0]] and taken[key[1]] < room[key[1]]:
            made.append(key)
            taken[key[0]] += 1
            taken[key[1]] += 1
    doomed = set()
    for p, row in rows.items():
        surplus = len(row) + taken[p] - ties.cap
        for slot in np.argsort([now[e] for e in row], kind="stable")[: max(surplus, 0)]:
            doomed.add((int(ties.u[row[slot]]), int(ties.v[row[slot]])))
    return (pairs - doomed) | set(made)


def pairs_of(ties: TieStore) -> set[tuple[int, int]]:
    ids = ties.alive_ids()
    return set(zip(ties.u[ids].tolist(), ties.v[ids].tolist(), strict=True))


def todays_rows(ties: TieStore, day: int) -> np.ndarray:
    return row_strengths(ties.adj, ties.deg, ties.strength(np.arange(ties._top), day), np.zeros(0))


@pytest.mark.parametrize("seed", range(6))
def test_together_follows_the_rule_and_holds_the_cap(seed):
    """Made ties, dropped ties and the cap: as the rule says, on random stores and batches."""
    rng = np.random.default_rng(seed)
    n, cap, w = 40, 6, 0.3
    ties = TieStore(n, cap, HALF_LIVES, capacity=8)
    dropped = refused = 0
    for day in range(0, 120, 10):
        k = int(rng.integers(5, 120))
        a, b = rng.integers(0, n, k), rng.integers(0, n, k)
        t = k // 10
        a[:t] = b[:t]  # self-pairs
        a[t : 2 * t], b[t : 2 * t] = b[k - t :], a[k - t :]  # repeats of later pairs, reversed
        if day % 20 == 0:  # some stronger and weaker ties besides
            ties.add(a[::3], b[::3], rng.uniform(0.05, 0.9, len(a[::3])), FRIEND, day)
        expected = together_by_hand(ties, a, b, w, day)
        before = pairs_of(ties)
        made = ties.add_together(a, b, w, ACQ, day, todays_rows(ties, day))
        ties.check()
        after = pairs_of(ties)
        assert after == expected
        assert len(made) == len(after - before)
        assert np.all(ties.w[made] == np.float32(w)) and np.all(ties.kind[made] == ACQ)
        offered = {(min(x, y), max(x, y)) for x, y in zip(a.tolist(), b.tolist(), strict=True)}
        dropped += len(before - after)
        refused += len({(x, y) for x, y in offered if x != y} - after)
    assert ties.deg.max() == cap
    assert dropped > 0 and refused > 0  # both sides of the rule were exercised


def test_together_gives_up_only_weaker_ties_and_first_come_first_served():
    """At the cap: room only where ties are weaker than the newcomers; batch order decides."""
    ties = store(n=10, cap=3)
    ties.add(np.array([0, 0, 0]), np.array([1, 2, 3]), np.array([0.9, 0.1, 0.2]), FRIEND, 0)
    ties.add(np.array([4, 4, 4]), np.array([5, 6, 7]), np.array([0.9, 0.8, 0.7]), FRIEND, 0)
    row_now = todays_rows(ties, 0)
    # Person 0 has room for two (ties 0.1 and 0.2 are weaker than 0.5), person 4 for none.
    made = ties.add_together(
        np.array([8, 0, 0, 0, 9]), np.array([0, 9, 8, 4, 0]), 0.5, ACQ, 0, row_now
    )
    assert len(made) == 2
    assert others_of(ties, 0) == {1, 8, 9}  # 0.1 and 0.2 given up; the third offer refused
    assert others_of(ties, 4) == {5, 6, 7}
    ties.check()


def test_room_under_cap_counts_ties_at_least_as_strong():
    assert rules.room_under_cap(np.array([0.5, 0.1, 0.3], np.float32), np.float32(0.3), 4) == 2
    assert rules.room_under_cap(np.zeros(0, np.float32), np.float32(0.3), 4) == 4
