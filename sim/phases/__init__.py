"""The phases of the day, one module each, run in this order by ``GroupModel.step``.

Each phase is a function ``run(model, today)`` that applies rules of ``sim/rules.py`` to
every membership (or group, or tie) at once, asks the roster and the tie store what it
needs, and tells them what happened. A new phase is one module here, one line below, one
section of the scenario and its rules.
"""

from __future__ import annotations

from collections.abc import Callable

from sim.phases import (
    attention,
    commerce,
    death,
    invitations,
    leaving,
    posting,
    schedule,
    ties,
)
from sim.phases.today import Today

PHASES: tuple[tuple[str, Callable], ...] = (
    ("schedule", schedule.run),
    ("attention", attention.run),
    ("posting", posting.run),
    ("ties", ties.run),
    ("invitations", invitations.run),
    ("leaving", leaving.run),
    ("commerce", commerce.run),
    ("death", death.run),
)
"""Name and function of each phase, in the order of the day."""

__all__ = ["PHASES", "Today"]
