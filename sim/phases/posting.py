"""Phase 3, posting: unmuted members and organisers post; posts reveal interests.

Rules: :func:`sim.rules.post_rate` with :func:`sim.rules.role_multiplier` and each
person's talkativeness (C12, F13, F16, F17), :func:`sim.rules.organiser_posts` (C16,
F14), :func:`sim.rules.revealers` and :func:`sim.rules.held_topic` (C5), and what
counts as an organic post for :func:`sim.rules.silent_for`.
"""

from __future__ import annotations

import numpy as np

from sim import rules
from sim.phases.today import Today
from sim.simulation import Simulation
from sim.world.population import bits, random_topic_among


def run(model: Simulation, today: Today) -> None:
    """Post, count the posts per group, and show some interests in the posts."""
    m, g, b, rng = model.memberships, model.groups, model.config.behaviour, model.rng
    present = today.present
    reading = present[~m.muted[present]]
    role = rules.role_multiplier(
        model.world.is_super[m.person[reading]], model.config.population.super_users.post
    )
    group = m.group[reading]
    strangers = np.maximum(g.members[group] - 1 - m.ties_in[reading], 0)
    rate = rules.post_rate(
        m.value[reading],
        role,
        model.world.talkativeness_of(m.person[reading]),
        strangers,
        g.organic_yesterday[group],
        base_rate=b.post_rate,
        crowd_scale=b.crowd_scale,
        initiative=b.initiative,
        reply_posts=b.reply_posts,
    )
    posts = rng.poisson(rate)
    posted = today.posted = reading[posts > 0]
    m.posts[reading] += posts.astype(np.int32)
    m.last_post[posted] = today.day
    member_posts = np.bincount(group, posts, minlength=g.n).astype(np.int64)

    alive = g.alive
    organiser_posts, promos = rules.organiser_posts(
        np.where(alive, g.org_rate, 0.0), g.promo_share, organiser_engagement(model), rng
    )
    today.organiser_posts = organiser_posts
    organic = member_posts + organiser_posts - promos
    g.posts += member_posts + organiser_posts
    g.promotions += promos
    g.organic_yesterday = organic.astype(np.float32)
    g.promo_yesterday = promos.astype(np.float32)
    # A brand's organic posts keep a group alive too; its promotions do not.
    g.last_post[(organic > 0) & alive] = today.day

    reveal = rules.revealers(posted, b.reveal_rate, rng)
    if len(reveal):
        topic = random_topic_among(
            model.world.interests[m.person[reveal]], model.config.population.interests.topics, rng
        )
        m.visible[reveal] |= bits(topic)  # everyone holds per_person >= 1 topics
    today.counts["posts"] = int(member_posts.sum() + organiser_posts.sum())
    today.counts["promotions"] = int(promos.sum())


def organiser_engagement(model: Simulation) -> np.ndarray:
    """Per group, how much of its organiser's work gets done today (see the rule).

    1 for a brand; for a person, its belonging up to 1 while it reads the group, else 0.
    """
    m, g = model.memberships, model.groups
    engagement = np.where(g.brand, 1.0, 0.0)
    led = np.flatnonzero(g.alive & (g.organiser >= 0))
    row = model.roster.row_of(g.organiser[led], led)
    here = row >= 0
    reads = np.zeros(len(led), bool)
    reads[here] = ~m.muted[row[here]]
    engagement[led[reads]] = m.value[row[reads]]
    return engagement
