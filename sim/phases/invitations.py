"""Phase 5, invitations: active members invite outside ties; invitees accept or not.

Rules: :func:`sim.rules.invite_rate` (fading with tenure) with
:func:`sim.rules.role_multiplier` (C3, C12), the choice of invitee in proportion to tie
strength (the tie store's ``pick_by_strength``), :func:`sim.rules.free_attention` and
:func:`sim.rules.accept_probability` (C7, F8, F12), :func:`sim.rules.first_of_each` and
:func:`sim.rules.within_group_cap`. Groups grow by fission this way: invitees bring their
own ties next.
"""

from __future__ import annotations

import numpy as np

from sim import rules
from sim.phases.today import Today
from sim.simulation import Simulation


def run(model: Simulation, today: Today) -> None:
    """Send today's invitations, decide them, and let the accepted invitees join."""
    m, g, b = model.memberships, model.groups, model.config.behaviour
    ties, rng, roster = model.world.ties, model.rng, model.roster
    today.counts["invites"] = today.counts["accepted"] = 0
    posted = today.posted
    if len(posted) == 0:
        return
    person = m.person[posted]
    role = rules.role_multiplier(
        model.world.is_super[person], model.config.population.super_users.invite
    )
    tenure = today.day - m.joined[posted]
    count = rng.poisson(
        rules.invite_rate(
            m.value[posted], role, tenure, base_rate=b.invite_rate, half_life=b.invite_half_life
        )
    )
    count = np.where(ties.deg[person] > 0, count, 0)
    senders = np.repeat(posted, count)
    if len(senders) == 0:
        return
    inviter = m.person[senders]
    group = m.group[senders].astype(np.int64)
    # Each invitation goes to one tie of the inviter, chosen in proportion to strength.
    invitee, _, strength = ties.pick_by_strength(inviter, today.day, rng)
    outside = roster.row_of(invitee, group) < 0
    inviter, invitee, group, strength = (
        inviter[outside],
        invitee[outside],
        group[outside],
        strength[outside],
    )
    if len(invitee) == 0:
        return
    # The inviter is inside and tied to the invitee: its pull is the tie's strength, so it
    # is not counted again among the ties inside.
    inside = np.maximum(roster.ties_inside(invitee, group, today.day).count - 1, 0)
    free = rules.free_attention(today.load[invitee], model.world.budget[invitee])
    p = rules.accept_probability(
        strength,
        inside,
        free,
        tie_weight=b.accept_tie,
        friends_weight=b.accept_friends,
        friends_scale=b.accept_friends_scale,
    )
    accept = rng.random(len(invitee)) < p
    # One join per (group, invitee), and never past the group's cap.
    accept = rules.first_of_each(group * model.n + invitee, accept)
    accept = rules.within_group_cap(accept, group, g.members, g.cap)
    model.invites.append(
        day=np.full(len(invitee), today.day),
        group=group,
        inviter=inviter,
        invitee=invitee,
        strength=strength,
        ties_inside=inside,
        accepted=accept,
    )
    np.add.at(g.invites_sent, group, 1)
    np.add.at(g.invites_accepted, group[accept], 1)
    roster.join(group[accept].astype(np.int32), invitee[accept], inviter[accept], today.day)
    today.counts["invites"] = len(invitee)
    today.counts["accepted"] = int(accept.sum())
