"""The behavioural rules of ``sim.rules`` and their compiled twins in ``sim.kernels``."""

from __future__ import annotations

import numpy as np
import pytest

from sim import rules
from sim.kernels.attention import mute_overloaded
from sim.kernels.strength import strengthen


def test_mute_keeps_best_value_per_cost_while_the_budget_lasts():
    person = np.array([0, 0, 0, 0, 1, 2])
    value = np.array([1.5, 3.0, 2.0, 0.5, 5.0, 5.0])
    cost = np.array([1.0, 1.0, 1.0, 1.0, 4.0, 1.0])
    budget = np.array([2.0, 2.0, 2.0, 2.0, 3.0, 3.0])
    muted = rules.mute_overloaded(person, value, cost, budget)
    # Person 0 keeps ratios 3 and 2 (cost 2 = budget) and mutes 1.5; 0.5 is worth less
    # than it costs. Person 1's only group costs more than its budget; person 2's fits.
    assert muted.tolist() == [True, False, False, True, True, False]


def dyadic(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """Multiples of 1/8: their sums are exact, whatever the order of summation."""
    return rng.integers(low, high, n) / 8.0


@pytest.mark.parametrize("seed", range(5))
def test_compiled_mute_agrees_with_the_rule(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n, people = int(rng.integers(0, 300)), int(rng.integers(1, 40))
        person = rng.integers(0, people, n)
        value = dyadic(rng, n, -8, 24)  # equal ratios are common: ties keep index order
        cost = dyadic(rng, n, 1, 9)
        budget = dyadic(rng, people, 0, 40)[person]
        head = np.full(people, -1, np.int64)
        compiled = mute_overloaded(person, value, cost, budget, head)
        assert np.array_equal(compiled, rules.mute_overloaded(person, value, cost, budget))
        assert np.all(head == -1), "the scratch must be left as it was found"


def test_compiled_mute_orders_equal_ratios_by_index():
    # Equal ratios: the earlier membership is kept first; only one fits the budget.
    person = np.array([3, 3])
    value, cost, budget = np.array([2.0, 2.0]), np.array([1.0, 1.0]), np.array([1.0, 1.0])
    head = np.full(4, -1, np.int64)
    assert mute_overloaded(person, value, cost, budget, head).tolist() == [False, True]


@pytest.mark.parametrize("contacts", [1, 2, 7])
def test_compiled_strengthen_is_the_rule(contacts):
    strength = np.linspace(0.0, 1.0, 11)
    expected = rules.strengthen(strength, 0.3, contacts)
    got = np.array([strengthen(s, 0.3, contacts) for s in strength])
    assert np.allclose(got, expected, rtol=0, atol=1e-12)
    assert np.all(np.diff(got) > 0)
    # With a ceiling (background contact restores towards a tie's peak), compiled too.
    ceiling = np.float32(0.4)
    low = strength[strength <= ceiling]
    got = np.array([strengthen(s, 0.3, contacts, ceiling) for s in low])
    assert np.allclose(got, rules.strengthen(low, 0.3, contacts, ceiling), rtol=0, atol=1e-7)


def test_contact_restores_towards_the_ceiling_never_past_it():
    """k contacts close 1 - (1 - gain)^k of the gap to the ceiling, as towards 1."""
    s, peak = np.array([0.05, 0.2, 0.39, 0.4]), 0.4
    for k in (1, 3, 50):
        got = rules.strengthen(s, 0.25, k, peak)
        assert np.allclose(peak - got, (peak - s) * 0.75**k)
        assert np.all(got <= peak) and np.all(got >= s)
    # The same rule, with the default ceiling, is the strengthening of co-activity.
    assert rules.strengthen(0.2, 0.25, 2) == pytest.approx(rules.strengthen(0.2, 0.25, 2, 1.0))
    assert rules.strengthen(0.2, 0.25, 2) > rules.strengthen(0.2, 0.25, 2, peak)


def test_post_rate_is_proportional_to_talkativeness():
    """A person twice as talkative posts twice as often wherever it is (F13)."""
    args = dict(base_rate=0.1, crowd_scale=4.0, initiative=0.5, reply_posts=3.0)
    value, strangers, yesterday = np.array([0.3, 0.8, 1.2]), np.array([0, 5, 40]), 2.0
    plain = rules.post_rate(value, 1.0, 1.0, strangers, yesterday, **args)
    talk = np.array([0.2, 1.0, 3.5])
    talkative = rules.post_rate(value, 1.0, talk, strangers, yesterday, **args)
    assert np.allclose(talkative, plain * talk)
    assert np.all(plain > 0)


def test_held_topic_picks_each_held_topic_equally_and_only_those():
    """One uniform picks one of the held topics, each as likely; the kernel applies it."""
    from sim.kernels.topics import nth_set_bits

    rng = np.random.default_rng(2)
    mask = (1 << 3) | (1 << 7) | (1 << 12)
    picks = [rules.held_topic(mask, u, 20) for u in rng.random(30_000)]
    counts = np.bincount(picks, minlength=20)
    assert set(np.flatnonzero(counts).tolist()) == {3, 7, 12}
    assert np.allclose(counts[[3, 7, 12]] / 30_000, 1 / 3, atol=0.01)
    assert rules.held_topic(mask, 0.0, 20) == 3 and rules.held_topic(mask, 0.999, 20) == 12
    assert rules.held_topic(0, 0.5, 20) == -1
    assert rules.held_topic(1 << 25, 0.5, 20) == -1  # bits past ``topics`` are not looked at
    masks = rng.integers(0, 1 << 20, 500).astype(np.uint64)
    uniforms = rng.random(500)
    out = np.empty(500, np.int64)
    nth_set_bits(masks, uniforms, 20, out)
    by_rule = [rules.held_topic(int(m), float(u), 20) for m, u in zip(masks, uniforms, strict=True)]
    assert out.tolist() == by_rule
