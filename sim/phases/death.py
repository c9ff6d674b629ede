"""Phase 8, death: silence or desertion kills a group; it stays in the record.

Rules: :func:`sim.rules.silent_for` and :func:`sim.rules.dies`.
"""

from __future__ import annotations

import numpy as np

from sim import rules
from sim.groups import CAUSES
from sim.phases.today import Today
from sim.simulation import Simulation


def run(model: Simulation, today: Today) -> None:
    """Close the living groups (created before today) that fell silent or were deserted."""
    g, m, roster = model.groups, model.memberships, model.roster
    alive = np.flatnonzero(g.alive & (g.created < today.day))
    current = roster.current()
    unmuted = np.bincount(m.group[current[~m.muted[current]]], minlength=g.n)
    dying, silent = rules.dies(
        rules.silent_for(g.last_post[alive], today.day),
        unmuted[alive],
        silence_days=model.config.behaviour.silence_days,
    )
    cause = np.where(silent, CAUSES.index("silence"), CAUSES.index("deserted"))
    roster.close(alive[dying], today.day, cause[dying])
    today.counts["deaths"] = int(dying.sum())
