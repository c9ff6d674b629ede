"""New acquaintances outside groups: the rule, the store's batch, and a stationary world.

Background tie formation (docs/ODD.md §7.6, "New acquaintances") is what keeps the
outer layers of personal networks filled while weak ties turn over (F1, F2, F6). The
slow tests run a world of 1,500 people with no groups for three years, with the
mechanism at its defaults and switched off.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import rules
from sim.config import KIND_CODES, Scenario
from sim.model import GroupModel
from sim.world import build_world
from sim.world.spin_up import start_day
from sim.world.stats import natural_layers, ranked_time_shares
from sim.world.ties import FREE, TieStore

ACQ = KIND_CODES["acquaintance"]
HALF_LIVES = np.array([3650.0, 200.0, 400.0, 200.0, 30.0])
YEAR = 364  # 13 sweeps of 28 days: every measurement falls on a sweep day
BURN_IN = 2 * YEAR


def world_scenario(people: int, days: int, **ties: float) -> Scenario:
    """The default world (circles, no groups) with ``network.ties`` overrides."""
    return Scenario.model_validate(
        {"population": {"size": people}, "days": days, "network": {"ties": ties}}
    )


# --------------------------------------------------------------------------- the rule


def test_background_meetings_rate_and_closure_share():
    rng = np.random.default_rng(1)
    starter, through = rules.background_meetings(20_000, 36.0, 28, 0.7, rng)
    expected = 20_000 * 0.5 * 36.0 * 28 / 365  # each meeting serves both ends
    assert abs(len(starter) - expected) < 4 * np.sqrt(expected)
    assert starter.min() >= 0 and starter.max() < 20_000
    # Each person starts a Poisson number: the counts' variance equals their mean.
    counts = np.bincount(starter, minlength=20_000)
    assert abs(counts.var() / counts.mean() - 1) < 0.05
    # People in a random order, each one's meetings together.
    turns = starter[np.r_[True, np.diff(starter) != 0]]
    assert len(np.unique(turns)) == len(turns) and np.any(np.diff(turns) < 0)
    assert abs(through.mean() - 0.7) < 0.02
    none, _ = rules.background_meetings(100, 0.0, 28, 0.7, rng)
    assert len(none) == 0


def test_stranger_is_never_oneself_and_reaches_everyone_else():
    rng = np.random.default_rng(2)
    starter = np.full(50_000, 3)
    other = rules.stranger(starter, 10, rng)
    assert not np.any(other == 3)
    counts = np.bincount(other, minlength=10)
    assert counts[3] == 0 and np.all(np.delete(counts, 3) > 50_000 / 9 * 0.9)


# --------------------------------------------------------------------------- the store


def chain_store() -> TieStore:
    """People 0-1-2-...-9 in a line: each person's friends' friends are two steps away."""
    ties = TieStore(10, 4, HALF_LIVES, capacity=4)
    a = np.arange(9)
    ties.add_unchecked(a, a + 1, np.full(9, 0.5, np.float32), KIND_CODES["friend"], 0)
    return ties


def test_introduce_closes_triangles_with_weak_acquaintance_ties():
    ties = chain_store()
    made = ties.introduce(
        28,
        np.random.default_rng(3),
        days=28,
        per_year=2000.0,
        closure_share=1.0,
        strength=0.05,
        kind=ACQ,
    )
    ties.check()
    new = ties.alive_ids()[ties.created[ties.alive_ids()] == 28]
    assert made == len(new) > 0
    assert np.all(ties.kind[new] == ACQ) and np.allclose(ties.w[new], 0.05)
    # Through a friend on a line, only people two steps apart can meet.
    assert np.all(ties.v[new] - ties.u[new] == 2)


def test_introduce_holds_the_cap_and_replaces_only_weaker_ties():
    ties = chain_store()
    before = ties.alive_ids()
    ties.introduce(
        28,
        np.random.default_rng(4),
        days=28,
        per_year=20_000.0,
        closure_share=0.0,
        strength=0.05,
        kind=ACQ,
    )
    ties.check()
    assert ties.deg.max() <= 4
    # The friend ties (0.5 decayed a little) are stronger than any newcomer: all kept.
    assert np.all(ties.kind[before] != FREE)


def test_introduce_switched_off_draws_nothing():
    ties = chain_store()
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    made = ties.introduce(
        28, rng, days=28, per_year=0.0, closure_share=0.7, strength=0.05, kind=ACQ
    )
    assert made == 0 and ties.n_ties == 9 and rng.bit_generator.state == state


def test_introduce_makes_most_of_the_meetings_in_a_generated_world():
    """Meetings are lost only to pairs already tied, to oneself and to the cap."""
    sc = world_scenario(2000, 30)
    world = build_world(sc, np.random.default_rng(6))
    ties = world.ties
    n_before = ties.n_ties
    made = ties.introduce(
        28,
        np.random.default_rng(7),
        days=365,
        per_year=36.0,
        closure_share=0.7,
        strength=0.05,
        kind=ACQ,
    )
    ties.check()
    meetings = 2000 * 36.0 / 2
    assert 0.75 * meetings < made <= meetings * 1.1
    assert ties.n_ties > n_before


# --------------------------------------------------------------------------- models


def ties_of(model: GroupModel) -> tuple[np.ndarray, ...]:
    t = model.world.ties
    ids = t.alive_ids()
    return t.u[ids], t.v[ids], t.w[ids], t.last[ids], t.kind[ids], t.created[ids]


def test_same_seed_same_ties():
    sc = world_scenario(400, 120)
    runs = []
    for seed in (11, 11, 12):
        model = GroupModel(scenario=sc, rng=seed)
        model.run()
        runs.append(ties_of(model))
    assert all(np.array_equal(x, y) for x, y in zip(runs[0], runs[1], strict=True))
    assert not all(
        len(x) == len(y) and np.array_equal(x, y) for x, y in zip(runs[0], runs[2], strict=True)
    )
    # The mechanism ran: acquaintances made after day 0.
    assert np.sum((runs[0][4] == ACQ) & (runs[0][5] > 0)) > 400


def test_the_daily_count_of_new_acquaintances_is_the_ties_made_on_sweep_days():
    model = GroupModel(scenario=world_scenario(400, 60, sweep_days=14), rng=3)
    t = model.world.ties
    made = []
    while model.running:
        model.step()
        day = model.day - 1  # the day just simulated
        ids = t.alive_ids()
        # Ties made by today's sweep are young: none can have been dropped yet (the
        # generated world's acquaintances date from day 0, before any sweep).
        today = int(np.sum((t.kind[ids] == ACQ) & (t.created[ids] == day))) if day else 0
        made.append((day, model.today.get("acquaintances_made", 0), today))
    counted = model.datacollector.get_model_vars_dataframe()["acquaintances_made"].to_numpy()
    assert counted.tolist() == [n for _, n, _ in made]
    assert all(n == actual for _, n, actual in made)
    assert all((n > 0) == (day > 0 and day % 14 == 0) for day, n, _ in made)


def degree_after(people: int, days: int, seed: int, **ties: float) -> float:
    model = GroupModel(scenario=world_scenario(people, days, **ties), rng=seed)
    model.run()
    return float(model.world.ties.deg.mean())


def test_new_acquaintances_slow_the_thinning_of_the_outer_layer():
    """Fast version of the stationarity test: one year of 1,000 people, on and off."""
    with_them = degree_after(1000, YEAR, 21)
    without = degree_after(1000, YEAR, 21, new_acquaintances_per_year=0.0)
    start = float(
        build_world(world_scenario(1000, YEAR), np.random.default_rng(21)).ties.deg.mean()
    )
    # Without them the outer layer thins: moves and decay take ties, nothing replaces
    # them (about -13% in a year with the calibrated half-lives).
    assert without < 0.92 * start
    assert with_them > without + 15  # about 275 new ties each, many of them still there
    assert abs(with_them / start - 1) < 0.1  # and with them the degree holds (F2)


# --------------------------------------------------------------------------- slow


def layer_sizes(model: GroupModel) -> np.ndarray:
    """Mean cumulative natural layer sizes today (docs/ODD.md §7.20), innermost first."""
    cfg = model.config.network
    table = ranked_time_shares(model.world, cfg.ties.allocation_exponent, model.day)
    layers = natural_layers(
        table, model.world.ties.deg, len(cfg.dunbar.layers), np.random.default_rng(0), 2000
    )
    return np.asarray(layers["sizes"])


def three_years(**ties: float) -> dict[str, object]:
    """Layer sizes over three years, and the fate of the weak ties of day 364."""
    model = GroupModel(scenario=world_scenario(1500, 3 * YEAR, **ties), rng=31)
    t = model.world.ties
    sizes, weak = {}, None
    while model.running:
        # Yearly, then at every sweep of the third year.
        if model.day % YEAR == 0 or (model.day >= BURN_IN and model.day % 28 == 0):
            sizes[model.day] = layer_sizes(model)
        if model.day == YEAR:
            ids = t.alive_ids()
            weak = ids[(t.kind[ids] == ACQ) & (t.strength(ids, model.day) < 0.1)]
            weak = (weak, t.u[weak].copy(), t.v[weak].copy(), t.created[weak].copy(), t.n_ties)
        if model.day == 2 * YEAR:
            eids, u, v, created, n_ties = weak
            kept = (t.kind[eids] != FREE) & (t.u[eids] == u) & (t.v[eids] == v)
            kept &= t.created[eids] == created  # not a new tie on a recycled id
            gone = 1.0 - float(kept.mean())
            total_change = t.n_ties / n_ties - 1.0
        model.step()
    sizes[model.day] = layer_sizes(model)
    return {"sizes": sizes, "weak gone": gone, "total change": total_change}


@pytest.fixture(scope="module")
def on() -> dict[str, object]:
    return three_years()


@pytest.fixture(scope="module")
def off() -> dict[str, object]:
    return three_years(new_acquaintances_per_year=0.0)


def third_year_change(run: dict[str, object]) -> np.ndarray:
    """Largest relative change of each layer size over the third year, from day 728."""
    base = run["sizes"][BURN_IN]
    later = np.array([x for day, x in run["sizes"].items() if day > BURN_IN])
    return np.abs(later / base - 1.0).max(axis=0)


@pytest.mark.slow
def test_outer_layer_holds_after_burn_in_and_thins_without_new_ties(on, off):
    """After the burn-in the outer layer stays within 10%; switched off, it thins more.

    The generated world is not the dynamics' steady state: its neighbourhood and club
    acquaintances (0.03-0.14) are hardly contacted and take up to about 300 days to
    decay to the floor, so the burn-in is two years and the third is measured. Measured
    (seed 31): the outer layer falls by 7.5% over the third year with the defaults, by
    32% without new acquaintances.
    """
    assert third_year_change(on)[-1] < 0.10
    base_off = off["sizes"][BURN_IN]
    final_off = off["sizes"][max(off["sizes"])]
    assert final_off[-1] < 0.90 * base_off[-1]


@pytest.mark.slow
def test_weak_ties_turn_over_while_the_total_holds(on):
    """Most weak acquaintance ties of day 364 are gone a year later; the total holds."""
    assert on["weak gone"] > 0.5
    assert abs(on["total change"]) < 0.10


# --------------------------------------------------------------------------- spin-up


def test_spin_up_rounds_up_to_whole_sweeps():
    ties = world_scenario(100, 30, sweep_days=28, spin_up_days=30).network.ties
    assert ties.spin_up_sweeps == 2 and start_day(ties) == -56
    none = world_scenario(100, 30).network.ties
    assert none.spin_up_sweeps == 0 and start_day(none) == 0


def test_spin_up_is_the_world_left_alone_before_day_0():
    """Day 0 after a spin-up of S days is the generated world after S days on its own.

    A model with no groups and no spin-up, run for S days, lives through the same
    sweeps (every ``sweep_days``) with the same draws, so its ties are those of the
    spun-up world on day 0, with every day shifted by S.
    """
    days = 3 * 28
    spun = GroupModel(scenario=world_scenario(300, 30, spin_up_days=days), rng=41)
    alone = GroupModel(scenario=world_scenario(300, days + 1), rng=41)
    for _ in range(days + 1):  # days 0..S: the sweep of day S is the last
        alone.step()
    u, v, w, last, kind, created = ties_of(spun)
    u2, v2, w2, last2, kind2, created2 = ties_of(alone)
    assert np.array_equal(u, u2) and np.array_equal(v, v2) and np.array_equal(kind, kind2)
    assert np.array_equal(w, w2)
    assert np.array_equal(last + days, last2) and np.array_equal(created + days, created2)
    # The spin-up did something: acquaintances made, ties dropped, none touched after 0.
    assert created.min() == -days and np.sum(created > -days) > 300
    assert last.max() <= 0


def outer_layer_by_year(years: int, seed: int, **ties: float) -> list[float]:
    """Outer layer size on day 0 and at the end of each year, 800 people, no groups."""
    model = GroupModel(scenario=world_scenario(800, years * YEAR, **ties), rng=seed)
    sizes = []
    while model.running:
        if model.day % YEAR == 0:
            sizes.append(float(layer_sizes(model)[-1]))
        model.step()
    sizes.append(float(layer_sizes(model)[-1]))
    return sizes


@pytest.mark.slow
def test_a_spun_up_world_starts_in_its_steady_state():
    """After a four-year spin-up the outer layer holds from day 0, closer than without.

    Measured (seeds 1-3, 800 people, the calibrated defaults): the generated world's
    outer layer grows by 4-5% in its first year; spun up for four years it changes by
    under 1% over the next two. (Before the network's calibration the generated world
    grew by about a quarter in its first year.)
    """
    for seed in (1, 2, 3):
        spun = outer_layer_by_year(2, seed, spin_up_days=4 * YEAR)
        spun_change = max(abs(x / spun[0] - 1.0) for x in spun[1:])
        assert spun_change < 0.10
        generated = outer_layer_by_year(1, seed)
        assert abs(generated[1] / generated[0] - 1.0) > 2 * spun_change
