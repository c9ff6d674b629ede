"""People who move away: the rules, the tie store's moves, the daily count, the reference.

A move (docs/ODD.md §7.6, "Moves") takes a person away from its local circles: it keeps
its kin and each other tie with a probability equal to the tie's strength today
(``rules.movers``, ``rules.survives_move``; F2, F6). Memberships are not touched.
"""

from __future__ import annotations

import copy

import numpy as np

from benchmarks.reference import ReferenceModel
from sim import rules
from sim.config import KIND_CODES, Scenario
from sim.model import GroupModel
from sim.world.ties import FREE, TieStore

KIN, FRIEND, ACQ = (KIND_CODES[k] for k in ("kin", "friend", "acquaintance"))
HALF_LIVES = np.array([3650.0, 200.0, 400.0, 200.0, 30.0])
EVERYONE = 1e9  # moves a year at which everyone moves within any period


def world_scenario(people: int, days: int, **ties: float) -> Scenario:
    """The default world (circles, no groups) with ``network.ties`` overrides."""
    return Scenario.model_validate(
        {"population": {"size": people}, "days": days, "network": {"ties": ties}}
    )


def strengths_today(ties: TieStore, day: int) -> np.ndarray:
    """Every edge id's strength on ``day``, 0 for free ids (what a sweep hands on)."""
    now = np.zeros(len(ties.w), np.float32)
    ids = ties.alive_ids()
    now[ids] = ties.strength(ids, day)
    return now


# --------------------------------------------------------------------------- the rules


def test_movers_follow_a_constant_hazard():
    rng = np.random.default_rng(1)
    n, per_year, days = 200_000, 0.04, 28
    moving = rules.movers(n, per_year, days, rng)
    expected = n * -np.expm1(-per_year * days / 365)
    assert abs(len(moving) - expected) < 4 * np.sqrt(expected)
    assert np.all(np.diff(moving) > 0) and moving.min() >= 0 and moving.max() < n
    # A year of 13 sweeps moves 1 - exp(-0.04 * 364 / 365) of people at least once.
    year = np.zeros(n, bool)
    for _ in range(13):
        year[rules.movers(n, per_year, days, rng)] = True
    assert abs(year.mean() - -np.expm1(-per_year * 364 / 365)) < 0.002
    assert len(rules.movers(1000, 0.0, days, rng)) == 0


def test_survival_of_a_move_is_kin_or_strength():
    strength = np.array([0.02, 0.02, 0.5, 0.5, 1.0, 0.3])
    is_kin = np.array([True, False, False, False, False, True])
    uniforms = np.array([0.99, 0.01, 0.49, 0.51, 0.999, 0.999])
    kept = rules.survives_move(strength, is_kin, uniforms)
    assert kept.tolist() == [True, True, True, False, True, True]


# --------------------------------------------------------------------------- the store


def mixed_store(n: int = 2000, seed: int = 0) -> TieStore:
    """Random ties among ``n`` people: a third kin, the rest friends or acquaintances."""
    rng = np.random.default_rng(seed)
    ties = TieStore(n, 150, HALF_LIVES, capacity=16)
    pairs = rng.integers(0, n, size=(6 * n, 2))
    pairs = np.unique(np.sort(pairs[pairs[:, 0] != pairs[:, 1]], axis=1), axis=0)
    kinds = rng.choice([KIN, FRIEND, ACQ], size=len(pairs))
    strength = rng.choice([0.2, 0.8], size=len(pairs)).astype(np.float32)
    for kind in (KIN, FRIEND, ACQ):
        at = kinds == kind
        ties.add_unchecked(pairs[at, 0], pairs[at, 1], strength[at], kind, 0)
    return ties


def test_everyone_moves_kin_stay_and_others_survive_by_strength():
    ties = mixed_store()
    ids = ties.alive_ids()
    kind, w = ties.kind[ids].copy(), ties.w[ids].copy()
    now = strengths_today(ties, 0)
    moved, lost = ties.move(np.random.default_rng(2), days=28, per_year=EVERYONE, now=now)
    ties.check()
    assert moved == ties.n
    kept = ties.kind[ids] != FREE
    assert kept[kind == KIN].all()
    assert lost == int((~kept).sum()) and ties.n_ties == len(ids) - lost
    assert np.all(now[ids[~kept]] == 0.0) and np.all(now[ids[kept]] > 0.0)
    for s in (0.2, 0.8):
        at = (kind != KIN) & np.isclose(w, s)
        share, se = kept[at].mean(), np.sqrt(s * (1 - s) / at.sum())
        assert abs(share - s) < 4 * se, (s, share)


def test_only_the_ties_of_movers_can_be_lost_and_each_is_drawn_once():
    ties = mixed_store(seed=3)
    ids = ties.alive_ids()
    u, v = ties.u[ids].copy(), ties.v[ids].copy()
    now = strengths_today(ties, 0)
    rng = np.random.default_rng(4)
    twin = copy.deepcopy(rng)
    moved, lost = ties.move(rng, days=365, per_year=0.5, now=now)
    moving = rules.movers(ties.n, 0.5, 365, twin)  # the same draws: who moved
    touched = np.isin(u, moving) | np.isin(v, moving)
    # One uniform per touched tie, after the movers' draw: nothing more, nothing less.
    twin.random(int(touched.sum()))
    assert rng.random() == twin.random()
    gone = ties.kind[ids] == FREE
    assert moved == len(moving) and lost == int(gone.sum()) > 0
    assert not gone[~touched].any()
    ties.check()


def test_no_moves_draw_nothing_and_change_nothing():
    ties = mixed_store(n=300)
    before = ties.w.copy(), ties.kind.copy()
    now = strengths_today(ties, 0)
    rng = np.random.default_rng(5)
    state = copy.deepcopy(rng.bit_generator.state)
    assert ties.move(rng, days=28, per_year=0.0, now=now) == (0, 0)
    assert rng.bit_generator.state == state
    assert np.array_equal(ties.w, before[0]) and np.array_equal(ties.kind, before[1])


# --------------------------------------------------------------------------- the model


def test_the_daily_count_of_moves_is_the_movers_of_sweep_days():
    model = GroupModel(scenario=world_scenario(3000, 120, moves_per_year=0.5), rng=6)
    model.run()
    model.check_invariants()
    moves = model.datacollector.get_model_vars_dataframe()["moves"].to_numpy()
    days = np.flatnonzero(moves)
    assert set(days.tolist()) <= {28, 56, 84, 112} and len(days) == 4
    expected = 3000 * -np.expm1(-0.5 * 28 / 365)
    assert np.all(np.abs(moves[days] - expected) < 4 * np.sqrt(expected))
    off = GroupModel(scenario=world_scenario(300, 60, moves_per_year=0.0), rng=6)
    off.run()
    assert off.datacollector.get_model_vars_dataframe()["moves"].sum() == 0


def test_moves_leave_memberships_and_lower_ties_inside():
    """Moving ends no membership; the group keeps the mover, with fewer ties inside."""
    scenario = Scenario.model_validate(
        {
            "population": {"size": 1500},
            "days": 30,
            "groups": {"friends": {"driver": "relationship", "count": 60, "size": [8, 12]}},
        }
    )
    model = GroupModel(scenario=scenario, rng=7)
    for _ in range(3):
        model.step()
    roster, ties = model.roster, model.world.ties
    rows = model.active_memberships()
    before = roster.table.ties_in[rows].copy()
    now = strengths_today(ties, model.day)
    moved, lost = ties.move(model.rng, days=28, per_year=EVERYONE, now=now)
    roster.recount(model.day)
    assert moved == model.n and lost > 0
    assert np.array_equal(model.active_memberships(), rows)  # no one left a group
    after = roster.table.ties_in[rows]
    assert after.sum() < before.sum() and np.all(after <= before + 1e-6)
    model.check_invariants()


# --------------------------------------------------------------------------- reference


def expected_loss(ties: TieStore, day: int, chance: float) -> float:
    """Expected ties lost when each person moves with ``chance``: non-kin, by weakness."""
    ids = ties.alive_ids()
    touched = 1.0 - (1.0 - chance) ** 2  # either end moves; the tie is drawn once
    loss = (1.0 - ties.strength(ids, day)) * (ties.kind[ids] != KIN)
    return float(touched * loss.sum())


def test_reference_and_fast_lose_the_expected_ties():
    """Both implementations of a move lose, on average, the ties the rules say.

    The generated world of 800 people, everyone moving with chance 1 - 1/e: over 12
    replicates each, the mean loss of each model is within 4 standard errors of the
    expectation computed from the world's strengths and kinds.
    """
    scenario = world_scenario(800, 10, moves_per_year=1.0, sweep_days=365)
    chance = -np.expm1(-1.0)
    losses = {"fast": [], "reference": [], "expected": []}
    for seed in range(12):
        fast = GroupModel(scenario=scenario, rng=100 + seed)
        t = fast.world.ties
        losses["expected"].append(expected_loss(t, 0, chance))
        before = t.n_ties
        t.move(fast.rng, days=365, per_year=1.0, now=strengths_today(t, 0))
        losses["fast"].append(before - t.n_ties)
        ref = ReferenceModel(scenario=scenario, rng=200 + seed)
        ref.today = {"moves": 0}
        before = len(ref.ties)
        ref.move_people()
        losses["reference"].append(before - len(ref.ties))
    expected = np.mean(losses["expected"])
    for name in ("fast", "reference"):
        values = np.asarray(losses[name], float)
        se = values.std(ddof=1) / np.sqrt(len(values))
        assert abs(values.mean() - expected) < 4 * se + 0.005 * expected, (name, values.mean())
