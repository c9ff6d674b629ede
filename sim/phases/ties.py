"""Phase 4, ties: co-active members meet, strengthen or form ties; the periodic sweep.

Rules: :func:`sim.rules.encounter_partners`, :func:`sim.rules.strengthen` (through the
tie store's ``contact``), :func:`sim.rules.formation_probability` (F7, C5), and in the
sweep every ``sweep_days`` the background contact, decay and dropping of the tie store
(:func:`sim.rules.contact_rate`, :func:`sim.rules.decay`; C9, F3–F6) and the new
acquaintances made outside groups (:func:`sim.rules.background_meetings`,
:func:`sim.rules.stranger`, :func:`sim.rules.room_under_cap`; F1, F2, F6) after the
period's moves (:func:`sim.rules.movers`, :func:`sim.rules.survives_move`; F2, F6); then
the period's changes of interests (:func:`sim.rules.interest_changers`,
:func:`sim.rules.interest_from_tie`; F10, F11), so that a member who gives up a group's
topic loses the belonging it gave there from the next day on.
"""

from __future__ import annotations

import numpy as np

from sim import rules
from sim.arrays import run_starts
from sim.phases.today import Today
from sim.simulation import Simulation
from sim.world import KIND_CODES
from sim.world.background import Period
from sim.world.population import drift_interests

GROUP_KIND = KIND_CODES["group"]


def run(model: Simulation, today: Today) -> None:
    """Encounters among today's posters, then the sweep or the recount when they are due."""
    cfg = model.config.network.ties
    formed = meet(model, today) if model.config.behaviour.encounters > 0 else 0
    if today.day > 0 and today.day % cfg.sweep_days == 0:
        period = sweep(model, today.day)
        today.counts["acquaintances_made"] = period.made
        today.counts["moves"] = period.moved
        today.counts["interest_changes"] = change_interests(model, today.day)
    elif today.day > 0 and today.day % cfg.recount_days == 0:
        model.roster.recount(today.day)
    today.counts["ties_formed"] = formed


def meet(model: Simulation, today: Today) -> int:
    """Posters of a group meet others who posted there.

    Known pairs strengthen their tie; strangers may form one.

    Returns:
        The number of ties formed.
    """
    m, ties, rng = model.memberships, model.world.ties, model.rng
    cfg = model.config.network.ties
    posted = today.posted
    if len(posted) <= 1:
        return 0
    order = posted[np.argsort(m.group[posted], kind="stable")]
    group = m.group[order]
    start = run_starts(group)
    span = np.searchsorted(group, group, side="right") - start
    if not (span > 1).any():
        return 0
    me, partner = rules.encounter_partners(start, span, model.config.behaviour.encounters, rng)
    a_row, b_row = order[me], order[partner]
    pa, pb = m.person[a_row], m.person[b_row]
    eid = ties.find(pa, pb)
    known = eid >= 0
    ties.contact(eid[known], today.day, cfg.strengthen)
    stranger = np.flatnonzero(~known)
    if len(stranger) == 0:
        return 0
    ia, ib = model.world.interests[pa[stranger]], model.world.interests[pb[stranger]]
    va, vb = m.visible[a_row[stranger]], m.visible[b_row[stranger]]
    # Interests both hold today that either has shown in the group (one shown earlier
    # may since have been given up).
    shared = np.bitwise_count(ia & ib & (va | vb))
    p = rules.formation_probability(shared, cfg.formation_base, cfg.formation_per_interest)
    make = stranger[rng.random(len(stranger)) < p]
    new = ties.add(pa[make], pb[make], cfg.new_tie_strength, GROUP_KIND, today.day)
    if len(new):
        # Credit the group where they met with each new tie once, both ways (a pair may
        # have met more than once today).
        lo = np.minimum(pa[make], pb[make])
        hi = np.maximum(pa[make], pb[make])
        once = np.zeros(len(make), bool)
        once[np.unique(lo * model.n + hi, return_index=True)[1]] = True
        once &= ties.find(lo, hi) >= 0
        for rows in (a_row[make][once], b_row[make][once]):
            model.roster.credit_ties(rows, cfg.new_tie_strength)
    return len(new)


def sweep(model: Simulation, day: int) -> Period:
    """Background social life since the last sweep: contact, decay, dropping, moves, new ties.

    Each tie receives a Poisson number of contacts over the sweep period, at the rate its
    ends give it; a contacted tie is strengthened once per contact, the others keep
    decaying and are dropped once below the floor (C9, F3–F6). The period's movers lose
    their non-kin ties by strength (F2, F6); moving ends no membership, it weakens the
    mover's bond to its groups through the ties lost there. Then the period's new
    acquaintances outside groups are made, mostly friends of friends (F1, F2, F6). Ties
    inside groups are then recounted.

    Returns:
        What the period did: acquaintances made, people moved, ties lost.
    """
    period = model.world.ties.background_period(day, model.rng, model.config.network.ties)
    model.roster.recount(day)
    return period


def change_interests(model: Simulation, day: int) -> int:
    """The period's changes of interests; the holders of each topic follow (F10, F11).

    Returns:
        The number of people who gave up an interest for another.
    """
    cfg = model.config.population.interests
    world = model.world
    days = model.config.network.ties.sweep_days
    changed = drift_interests(world.interests, world.ties, cfg, day, days, model.rng)
    if len(changed):
        model.topic_holders = world.holders_of_topics(cfg.topics)
    return len(changed)
