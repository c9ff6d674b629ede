"""Mesa agents: a Person is a view onto the model's arrays.

The daily step never loops over agents: it works on the model's arrays. A ``Person``
reads (and, where it makes sense, writes) those arrays, so that Mesa's ``AgentSet``,
``DataCollector`` and visualisation see ordinary agents with ordinary attributes.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.config import TIE_KINDS
from sim.simulation import Simulation


class Person(mesa.Agent):
    """One person of the world.

    Args:
        model: The model whose arrays hold this person's state.
        index: Row of this person in the model's arrays.
    """

    model: Simulation

    def __init__(self, model: Simulation, index: int):
        super().__init__(model)
        self.index = int(index)

    @property
    def interests(self) -> list[int]:
        """Topic ids this person holds."""
        mask = int(self.model.world.interests[self.index])
        return [t for t in range(64) if mask >> t & 1]

    @property
    def is_super(self) -> bool:
        """Whether this person is a super user."""
        return bool(self.model.world.is_super[self.index])

    @property
    def budget(self) -> float:
        """Daily attention budget."""
        return float(self.model.world.budget[self.index])

    @budget.setter
    def budget(self, value: float) -> None:
        self.model.world.budget[self.index] = value

    @property
    def talkativeness(self) -> float:
        """Multiplier of this person's post rate (1 when everyone is alike)."""
        return float(self.model.world.talkativeness_of(self.index))

    @property
    def degree(self) -> int:
        """Number of ties."""
        return int(self.model.world.ties.deg[self.index])

    def ties(self) -> list[tuple[int, float, str]]:
        """This person's ties as ``(other person, strength today, kind)``, strongest first."""
        store = self.model.world.ties
        _, other, eid = store.neighbours(np.array([self.index]))
        strength = store.strength(eid, self.model.day)
        order = np.argsort(-strength, kind="stable")
        return [
            (int(other[i]), float(strength[i]), TIE_KINDS[int(store.kind[eid[i]])]) for i in order
        ]

    @property
    def groups(self) -> list[int]:
        """Groups this person is a current member of."""
        m = self.model.memberships
        active = self.model.active_memberships()
        return sorted(int(g) for g in m.group[active[m.person[active] == self.index]])

    @property
    def n_groups(self) -> int:
        """How many groups this person is a current member of."""
        return int(self.model.person_counts()["groups"][self.index])

    @property
    def posts(self) -> int:
        """Posts this person has made in all its groups, past and current."""
        return int(self.model.person_counts()["posts"][self.index])

    @property
    def muted_groups(self) -> int:
        """How many of its current memberships are muted."""
        return int(self.model.person_counts()["muted"][self.index])

    @property
    def brand_relationship(self) -> float:
        """This person's relationship with the brand (0..1; 0 without products)."""
        market = self.model.market
        return 0.0 if market is None else float(market.relationship[self.index])

    @brand_relationship.setter
    def brand_relationship(self, value: float) -> None:
        if self.model.market is None:
            raise AttributeError("this scenario has no products, so no brand relationship")
        self.model.market.relationship[self.index] = min(max(float(value), 0.0), 1.0)

    @property
    def purchases(self) -> int:
        """Purchases this person has made (0 without products)."""
        market = self.model.market
        if market is None:
            return 0
        return int(np.count_nonzero(market.purchases.view("person") == self.index))
