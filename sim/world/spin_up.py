"""The spin-up: background social life before day 0, so that a run starts in steady state.

The generators draw a plausible network, but not the one that the tie dynamics keep up:
left alone, the generated world drifts for years (its outer layer swells and then
thins, its closest ties take a growing share of social time) before it settles
(docs/ODD.md, "Initialisation"). Measured during that drift, stationarity (F2) and the
shares of social time (F3, F4) describe the generator, not the model. The spin-up runs
``network.ties.spin_up_sweeps`` periods of background life (contact, decay, dropping,
moves, new acquaintances and changes of interests, as the ties phase sweeps them; there
are no groups yet) on days ``-S + sweep_days, ..., 0``, the world's ties having been
dated back to day ``-S`` (they are drawn as of day 0).
"""

from __future__ import annotations

import numpy as np

from sim.config import Interests
from sim.config.network import TieDynamics
from sim.world.population import drift_interests
from sim.world.ties import TieStore


def start_day(dynamics: TieDynamics) -> int:
    """The day the generated world's ties are made: 0, or earlier by the spin-up."""
    return -dynamics.spin_up_sweeps * dynamics.sweep_days


def spin_up(
    ties: TieStore,
    interests: np.ndarray,
    dynamics: TieDynamics,
    topics: Interests,
    rng: np.random.Generator,
) -> int:
    """Run the spin-up's periods of background life, ending with one on day 0.

    Each period is what the ties phase does on a sweep day without groups: the tie
    store's background period, then the period's changes of interests.

    Args:
        ties: The generated world's ties, dated back to :func:`start_day`.
        interests: Each person's interests (bit masks, updated in place).
        dynamics: The scenario's ``network.ties``.
        topics: The scenario's ``population.interests``.
        rng: The model's generator (every draw comes from it).

    Returns:
        The number of new acquaintance ties made during the spin-up.
    """
    made = 0
    for day in range(start_day(dynamics) + dynamics.sweep_days, 1, dynamics.sweep_days):
        made += ties.background_period(day, rng, dynamics).made
        drift_interests(interests, ties, topics, day, dynamics.sweep_days, rng)
    return made
