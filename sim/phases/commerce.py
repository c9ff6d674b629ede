"""Phase 7, commerce: reserved for purchases and referrals (scenarios with a product)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.phases.today import Today

if TYPE_CHECKING:
    from sim.model import GroupModel


def run(model: GroupModel, today: Today) -> None:
    """Nothing yet: no scenario has a product."""
