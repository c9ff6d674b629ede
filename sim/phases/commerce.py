"""Phase 7, commerce: reserved for purchases and referrals (scenarios with a product)."""

from __future__ import annotations

from sim.phases.today import Today
from sim.simulation import Simulation


def run(model: Simulation, today: Today) -> None:
    """Nothing yet: no scenario has a product."""
