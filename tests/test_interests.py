"""Interests that change: the rules, the world's drift, the daily count, belonging.

Each topic a person holds is given up at ``population.interests.turnover_per_year`` for
another, taken from a tie with the chance ``homophily`` (docs/ODD.md §7.2; F10, F11).
"""

from __future__ import annotations

import copy

import numpy as np

from benchmarks.reference import ReferenceModel
from sim import rules
from sim.config import Scenario
from sim.model import GroupModel
from sim.phases import attention
from sim.phases.today import Today
from sim.world import build_world
from sim.world.population import drift_interests, random_interests, random_topic_among
from sim.world.ties import TieStore

ONE = np.uint64(1)


def scenario(people: int = 2000, days: int = 60, **interests) -> Scenario:
    """The default world without groups, with ``population.interests`` overrides."""
    return Scenario.model_validate(
        {"population": {"size": people, "interests": interests}, "days": days}
    )


def popcount(masks: np.ndarray) -> np.ndarray:
    return np.bitwise_count(np.asarray(masks, np.uint64)).astype(np.int64)


# --------------------------------------------------------------------------- rules


def test_interest_changers_follow_a_constant_hazard_per_held_topic():
    rng = np.random.default_rng(1)
    n, held, rate, days = 200_000, 5, 0.1, 28
    changers = rules.interest_changers(n, held, rate, days, rng)
    expected = n * -np.expm1(-held * rate * days / 365)
    assert abs(len(changers) - expected) < 4 * np.sqrt(expected)
    assert np.all(np.diff(changers) > 0)
    assert len(rules.interest_changers(1000, held, 0.0, days, rng)) == 0


def test_a_new_interest_comes_from_a_tie_only_for_people_with_ties():
    rng = np.random.default_rng(2)
    has_ties = np.arange(100_000) % 2 == 0
    from_tie = rules.interest_from_tie(has_ties, 0.6, rng)
    assert not from_tie[~has_ties].any()
    assert abs(from_tie[has_ties].mean() - 0.6) < 0.01


def test_random_topic_among_is_uniform_over_the_set_bits():
    rng = np.random.default_rng(3)
    masks = np.full(60_000, (ONE << np.uint64(2)) | (ONE << np.uint64(7)), np.uint64)
    picks = random_topic_among(np.concatenate([masks, [np.uint64(0)]]), 10, rng)
    assert picks[-1] == -1 and set(picks[:-1].tolist()) == {2, 7}
    assert abs((picks[:-1] == 2).mean() - 0.5) < 0.01


# --------------------------------------------------------------------------- the world


def drifted(homophily: float, seed: int = 4, rate: float = 2.0):
    """The generated world's interests before and after one period of fast turnover."""
    sc = scenario(homophily=homophily, turnover_per_year=rate)
    world = build_world(sc, np.random.default_rng(seed))
    before = world.interests.copy()
    changed = drift_interests(
        world.interests, world.ties, sc.population.interests, 28, 28, np.random.default_rng(5)
    )
    return world, before, changed


def test_a_changer_swaps_exactly_one_topic_and_nobody_else_changes():
    world, before, changed = drifted(0.6)
    after = world.interests
    assert len(changed) > 100
    assert np.all(popcount(after) == 5) and np.all(popcount(before) == 5)
    assert np.all(popcount(before[changed] ^ after[changed]) == 2)
    others = np.setdiff1d(np.arange(world.n), changed)
    assert np.array_equal(before[others], after[others])


def test_new_topics_come_from_ties_as_often_as_homophily_says():
    """In a world of couples (one tie each), a new topic is the partner's as homophily says.

    With homophily 1 every changer takes a topic its partner holds (a partner always
    holds some it lacks: 5 of 40 topics each); with 0 it takes any topic it lacked, which
    is the partner's only by chance (about 5 in 35).
    """
    n, cfg = 20_000, scenario().population.interests
    ties = TieStore(n, 150, np.full(5, 100.0), capacity=n)
    ties.add_unchecked(np.arange(0, n, 2), np.arange(1, n, 2), np.float32(0.5), 2, 0)
    partner = np.arange(n) ^ 1
    shares = []
    for homophily in (1.0, 0.6, 0.0):
        mask = random_interests(n, cfg.topics, cfg.per_person, np.random.default_rng(10))
        before = mask.copy()
        rules_cfg = cfg.model_copy(update={"homophily": homophily, "turnover_per_year": 3.0})
        changed = drift_interests(mask, ties, rules_cfg, 0, 28, np.random.default_rng(11))
        gained = mask[changed] & ~before[changed]
        shares.append(float(np.mean((gained & before[partner[changed]]) != 0)))
    chance = shares[2]
    assert shares[0] == 1.0 and abs(chance - 5 / 35) < 0.03, shares
    assert abs(shares[1] - (0.6 + 0.4 * chance)) < 0.03, shares


def test_no_turnover_draws_nothing_and_changes_nothing():
    sc = scenario(turnover_per_year=0.0)
    world = build_world(sc, np.random.default_rng(6))
    before = world.interests.copy()
    rng = np.random.default_rng(7)
    state = copy.deepcopy(rng.bit_generator.state)
    changed = drift_interests(world.interests, world.ties, sc.population.interests, 28, 28, rng)
    assert len(changed) == 0 and rng.bit_generator.state == state
    assert np.array_equal(before, world.interests)


# --------------------------------------------------------------------------- the model


def test_changes_are_counted_on_sweep_days_and_topic_holders_follow():
    model = GroupModel(scenario=scenario(people=3000, days=90, turnover_per_year=1.0), rng=8)
    before = model.world.interests.copy()
    model.run()
    series = model.datacollector.get_model_vars_dataframe()["interest_changes"].to_numpy()
    days = np.flatnonzero(series)
    assert days.tolist() == [28, 56, 84]
    expected = 3000 * -np.expm1(-5 * 1.0 * 28 / 365)
    assert np.all(np.abs(series[days] - expected) < 4 * np.sqrt(expected))
    # Changed at least once, some of them more than once (one may change back).
    once = 3000 * (1 - np.exp(-5 * 1.0 * 28 / 365 * 3))
    assert abs((model.world.interests != before).sum() - once) < 0.05 * once
    for topic, holders in enumerate(model.topic_holders):
        held = (model.world.interests >> np.uint64(topic)) & ONE
        assert np.array_equal(holders, np.flatnonzero(held))


def test_giving_up_a_group_s_topic_takes_away_the_belonging_it_gave():
    """Belonging falls by exactly ``topic_belonging`` for a member who drops the topic."""
    sc = Scenario.model_validate(
        {
            "population": {"size": 1500},
            "days": 20,
            "groups": {"talk": {"driver": "event", "count": 4, "size": 60, "topic": 3}},
        }
    )
    model = GroupModel(scenario=sc, rng=9)
    for _ in range(3):
        model.step()
    today = Today(model.day)
    attention.run(model, today)
    m, rows = model.memberships, today.present
    holds = (model.world.interests[m.person[rows]] >> np.uint64(3)) & ONE
    member = rows[np.flatnonzero(holds)[0]]
    before = float(m.value[member])
    person = m.person[member]
    model.world.interests[person] &= ~(ONE << np.uint64(3))
    attention.run(model, Today(model.day))
    topic_weight = sc.behaviour.topic_belonging
    assert abs(float(m.value[member]) - (before - topic_weight)) < 1e-5


def test_reference_changes_interests_at_the_same_rate():
    """The reference's changers per sweep are within 4 standard errors of the rule's."""
    sc = scenario(people=600, days=57, turnover_per_year=1.0)
    counts = []
    for seed in range(4):
        ref = ReferenceModel(scenario=sc, rng=300 + seed)
        before = [p.interests for p in ref.people]
        ref.run()
        series = ref.datacollector.get_model_vars_dataframe()["interest_changes"].to_numpy()
        assert np.flatnonzero(series).tolist() == [28, 56]
        counts.extend(series[[28, 56]].tolist())
        after = [p.interests for p in ref.people]
        assert all(int(a).bit_count() == 5 for a in after)
        assert sum(a != b for a, b in zip(after, before, strict=True)) > 0
    expected = 600 * -np.expm1(-5 * 1.0 * 28 / 365)
    assert abs(np.mean(counts) - expected) < 4 * np.sqrt(expected / len(counts))
