"""Phase 6, leaving: guides greet newcomers; members leave with a hazard falling with belonging.

Rules: :func:`sim.rules.guide_order` (C15, C12), :func:`sim.rules.net_value` and
:func:`sim.rules.leave_probability` (C4, F9, F18). Organisers are members like the others
and may leave too (F14).
"""

from __future__ import annotations

import numpy as np

from sim import rules
from sim.phases.today import Today
from sim.simulation import Simulation
from sim.world import KIND_CODES

GROUP_KIND = KIND_CODES["group"]


def run(model: Simulation, today: Today) -> None:
    """Greet today's newcomers in guided groups, then let members leave."""
    m, g, b, roster = model.memberships, model.groups, model.config.behaviour, model.roster
    current = roster.current()
    newcomers = current[(m.joined[current] == today.day) & ~m.guided[current] & ~m.founder[current]]
    guided_groups = (g.guides_from >= 0) & (g.guides_from <= today.day)
    newcomers = newcomers[guided_groups[m.group[newcomers]]]
    if len(newcomers):
        greet(model, newcomers, current, today.day)
    present = today.present
    net = rules.net_value(m.value[present], today.cost, ~m.muted[present], b.membership_cost)
    leave = rules.leave_probability(net, max_rate=b.leave_rate, scale=b.leave_belonging_scale)
    leavers = present[model.rng.random(len(present)) < leave]
    roster.leave(leavers, today.day)
    today.counts["leaves"] = len(leavers)


def greet(model: Simulation, newcomers: np.ndarray, current: np.ndarray, day: int) -> None:
    """A guide of the group (a super user member if any, else a veteran) ties to a newcomer."""
    m, g, ties = model.memberships, model.groups, model.world.ties
    # Founders and earlier joiners can guide; today's other newcomers cannot.
    veteran = current[(m.joined[current] < day) | m.founder[current]]
    if len(veteran) == 0:
        return
    veteran = veteran[rules.guide_order(model.world.is_super[m.person[veteran]], m.group[veteran])]
    vg = m.group[veteran]
    first = np.searchsorted(vg, m.group[newcomers], side="left")
    has = (first < len(vg)) & (vg[np.minimum(first, len(vg) - 1)] == m.group[newcomers])
    newcomers, guide = newcomers[has], veteran[first[has]]
    pa, pb = m.person[guide], m.person[newcomers]
    existing = ties.find(pa, pb)
    strength = g.guide_strength[m.group[newcomers]]
    ties.add(pa[existing < 0], pb[existing < 0], strength[existing < 0], GROUP_KIND, day)
    made = (existing < 0) & (ties.find(pa, pb) >= 0)
    model.roster.credit_ties(guide[made], strength[made])
    model.roster.credit_ties(newcomers[made], strength[made])
    m.guided[newcomers] = True
