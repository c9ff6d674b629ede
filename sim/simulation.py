"""What the phases of the day and the ``Person`` agents see of a model.

``GroupModel`` (``sim/model.py``) is the one implementation; the phases and the agents
are written against this description, so that none of them imports the model that
imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from sim.config import Scenario
    from sim.groups import Groups, Invites, Memberships
    from sim.market import Market
    from sim.roster import Roster
    from sim.world import World


class Simulation(Protocol):
    """The state a day is made of, each part with one owner."""

    config: Scenario
    """The validated scenario: every setting of the run."""
    world: World
    """People, their traits and the tie store."""
    groups: Groups
    """The table of groups."""
    roster: Roster
    """Memberships, their index and their ties inside."""
    invites: Invites
    """Every invitation sent."""
    market: Market | None
    """Purchases and the brand relationship (None in a scenario without products)."""
    rng: np.random.Generator
    """The model's generator: every draw comes from it."""
    n: int
    """Number of people."""
    day: int
    """The day being simulated (or, between steps, the next one)."""
    topic_holders: list[np.ndarray]
    """People who hold each topic."""

    @property
    def memberships(self) -> Memberships:
        """The membership table (owned by the roster)."""
        ...

    def active_memberships(self) -> np.ndarray:
        """Rows of the current memberships."""
        ...

    def person_counts(self) -> dict[str, np.ndarray]:
        """Per person today: groups, posts and groups muted."""
        ...
