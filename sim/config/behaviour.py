"""The ``behaviour`` section: propensities of members in groups (docs/ODD.md §7.10–§7.19)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.config.section import Probability, Scale, Section, Weight


class Behaviour(Section):
    """Propensities of members in groups: the knobs of the daily step.

    ``post_rate``, ``initiative``, ``crowd_scale``, ``topic_belonging``, ``overload_cost``
    and ``leave_rate`` default to the best point of the calibration to published facts
    (``experiments/calibration/facts.yaml``, docs/calibration.md).
    """

    topic_pull: Probability = Field(
        0.8,
        description="Share of an event group's founders drawn from people who hold its "
        "topic; the rest are anyone (broadcast recruitment).",
    )
    tie_belonging: Weight = Field(
        1.5, description="Belonging from ties inside the group, at saturation (F8, F10)."
    )
    tie_saturation: Scale = Field(
        0.15,
        description="Mean tie strength to the other members (summed strength over their "
        "number) at which that belonging is 63% reached.",
    )
    topic_belonging: Weight = Field(
        0.811, description="Belonging from holding the group's topic (common identity, F10)."
    )
    content_belonging: Weight = Field(
        0.5,
        description="Belonging from yesterday's organic posts by people one is tied to "
        "(saturating).",
    )
    promotion_cost: Weight = Field(
        0.4, description="Belonging lost per promotion post seen yesterday (C16)."
    )
    membership_cost: Weight = Field(
        0.05, description="Attention a membership costs per day, posts aside."
    )
    overload_cost: Weight = Field(
        0.132,
        description="Attention that overload_posts strangers' posts in one group cost per "
        "day; the cost grows in proportion to their volume, without a ceiling (F18).",
    )
    overload_posts: Scale = Field(
        20.0, description="Strangers' posts per day that cost overload_cost."
    )
    unmute_rate: Probability = Field(
        0.05, description="Daily chance a muted member looks again (a mention, a notice)."
    )
    post_rate: Annotated[float, Field(gt=0.0, le=100.0)] = Field(
        0.197, description="Posts per day of an unmuted member at belonging 1."
    )
    crowd_scale: Scale = Field(
        3.29,
        description="Co-members one has no tie to at which a member's chance to post is "
        "halved (diffused responsibility, audience of strangers: F16, F17).",
    )
    initiative: Probability = Field(
        0.421,
        description="Share of a member's posting that needs no prompt; the rest answers "
        "yesterday's posts (conversation).",
    )
    reply_posts: Scale = Field(
        2.0,
        description="Organic posts in the group yesterday at which 63% of the answering "
        "part of posting is reached.",
    )
    encounters: Annotated[int, Field(ge=0, le=50)] = Field(
        3, description="Co-members an active member talks with per day."
    )
    reveal_rate: Probability = Field(
        0.3,
        description="Chance, drawn once per member and day on which it posted in a group "
        "(not per post), that one of its interests becomes visible in that group.",
    )
    invite_rate: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        0.04, description="Invitations per active day of a member at belonging 1."
    )
    invite_half_life: Scale = Field(
        30.0,
        description="Days of tenure in a group after which a member invites half as much "
        "(the novelty passes; the ties who would come are used up).",
    )
    accept_tie: Weight = Field(
        0.6, description="Acceptance gained from tie strength to the inviter (C7)."
    )
    accept_friends: Weight = Field(
        0.3, description="Acceptance gained from ties already inside, at saturation (F8)."
    )
    accept_friends_scale: Scale = Field(
        1.5,
        description="Ties inside, the inviter not counted, at which that gain is 63% "
        "reached (concave, F8).",
    )
    leave_rate: Probability = Field(
        0.00839,
        description="Daily leave hazard of a member whose group gives it nothing net of "
        "its cost (C4, F18).",
    )
    leave_belonging_scale: Scale = Field(
        0.5, description="Belonging net of cost that cuts the leave hazard by a factor e."
    )
    silence_days: Annotated[int, Field(ge=1, le=36_500)] = Field(
        7,
        description="Days without an organic post by anyone (a member, the organiser or "
        "the brand; promotions do not count) after which a group dies.",
    )
