"""The social world: people, their ties and the generators that make them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import KIND_CODES, TIE_KINDS, Scenario
from sim.world.generators import generate, merge_and_cap
from sim.world.population import (
    attention_budgets,
    homophilous_interests,
    super_users,
    talkativeness,
)
from sim.world.spin_up import spin_up, start_day
from sim.world.ties import TieStore

__all__ = ["KIND_CODES", "TieStore", "World", "build_world"]


@dataclass
class World:
    """People as vectors and their ties.

    Attributes:
        interests: Topic bit mask per person (uint64).
        is_super: Super-user flag per person.
        budget: Daily attention budget per person.
        ties: The tie store.
        talk: Multiplier of the post rate per person (float32, mean 1), or ``None`` if
            everyone is alike.
    """

    interests: np.ndarray
    is_super: np.ndarray
    budget: np.ndarray
    ties: TieStore
    talk: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Number of people."""
        return len(self.interests)

    def talkativeness_of(self, persons: np.ndarray | int) -> np.ndarray | float:
        """The post-rate multiplier of ``persons`` (1 when everyone is alike)."""
        return 1.0 if self.talk is None else self.talk[persons]

    def holders_of_topics(self, topics: int) -> list[np.ndarray]:
        """For each topic id below ``topics``, the people who hold it (ascending ids)."""
        return [
            np.flatnonzero((self.interests >> np.uint64(t)) & np.uint64(1)).astype(np.int64)
            for t in range(topics)
        ]


def build_world(scenario: Scenario, rng: np.random.Generator) -> World:
    """Build the world a scenario describes, drawing only from ``rng``.

    Args:
        scenario: The validated scenario.
        rng: The model's generator.

    Returns:
        The world on day 0: as generated, or after the spin-up
        (``network.ties.spin_up_days``, :mod:`sim.world.spin_up`).
    """
    pop, net = scenario.population, scenario.network
    n = pop.size
    batch = merge_and_cap(generate(n, net, pop.interests.topics, rng), n, net.cap)
    half_lives = np.array([net.ties.half_life_days[k] for k in TIE_KINDS])
    ties = TieStore(n, net.cap, half_lives, capacity=int(len(batch.a) * 1.1) + 16)
    ties.add_unchecked(batch.a, batch.b, batch.w, batch.kind, day=0)
    is_super = super_users(n, pop.super_users.share, rng)
    interests = homophilous_interests(pop, ties, batch.pinned_topics, rng)
    budget = attention_budgets(pop, is_super, rng)
    talk = talkativeness(pop, n, rng)
    if start_day(net.ties) < 0:
        # The world is drawn as of its first day, then dated back to it and spun up.
        ties.shift_days(start_day(net.ties))
        spin_up(ties, interests, net.ties, pop.interests, rng)
    return World(interests=interests, is_super=is_super, budget=budget, ties=ties, talk=talk)
