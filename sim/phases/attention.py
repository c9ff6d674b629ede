"""Phase 2, attention: members value their groups; overloaded people mute the least valued.

Rules: :func:`sim.rules.belonging`, :func:`sim.rules.reading_cost`,
:func:`sim.rules.looks_again` and :func:`sim.rules.mute_overloaded` (compiled as
``sim/kernels/attention.py``), C17.
"""

from __future__ import annotations

import numpy as np

from sim import rules
from sim.kernels.attention import mute_overloaded
from sim.phases.today import Today
from sim.simulation import Simulation


def run(model: Simulation, today: Today) -> None:
    """Value every current membership, price its reading, and mute what does not fit."""
    m, g, b = model.memberships, model.groups, model.config.behaviour
    present = today.present = model.roster.current().copy()
    group, person = m.group[present], m.person[present]
    pulse = g.pulse(today.day)[group]
    holds = (model.world.interests[person] >> g.topic[group].astype(np.uint64)) & np.uint64(1)
    others = np.maximum(g.members[group] - 1, 1)
    known_share = np.minimum(m.ties_in[present] / others, 1.0)
    organic = g.organic_yesterday[group]
    value = rules.belonging(
        m.tie_in[present],
        others,
        holds,
        pulse,
        organic * known_share,
        g.promo_yesterday[group],
        tie_weight=b.tie_belonging,
        tie_saturation=b.tie_saturation,
        topic_weight=b.topic_belonging,
        content_weight=b.content_belonging,
        promotion_cost=b.promotion_cost,
    )
    m.value[present] = value
    cost = rules.reading_cost(
        organic * (1.0 - known_share) + g.promo_yesterday[group],
        membership_cost=b.membership_cost,
        overload_cost=b.overload_cost,
        overload_posts=b.overload_posts,
    )
    muted = m.muted[present]
    deciding = ~muted | rules.looks_again(muted, pulse, b.unmute_rate, model.rng)
    # The rule of rules.mute_overloaded, compiled: no sort over everyone deciding.
    m.muted[present[deciding]] = mute_overloaded(
        person[deciding],
        value[deciding],
        cost[deciding],
        model.world.budget[person[deciding]],
        np.full(model.n, -1, np.int64),
    )
    reading = ~m.muted[present]
    today.cost = cost
    today.load = np.bincount(person[reading], cost[reading], minlength=model.n).astype(np.float32)
