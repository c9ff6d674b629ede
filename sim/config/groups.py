"""The ``groups`` and ``interventions`` sections: cohorts of groups and what acts on them.

See docs/ODD.md §2.3, §5 and §7.8–§7.9, §7.16.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from sim.config.commerce import ReferralReward
from sim.config.section import CIRCLE_KINDS, Day, Probability, Section, Strength, Weight


class Event(Section):
    """An event that pulls attention to a group for a while (the pulse)."""

    start: Day = Field(0, description="Days after the group's creation.")
    duration: Annotated[int, Field(ge=1, le=36_500)] = Field(2, description="Days the event lasts.")
    intensity: Weight = Field(
        1.0, description="Belonging added to every member while the event runs (0: no pulse)."
    )


class Content(Section):
    """What the organiser posts."""

    organiser_posts_per_day: Annotated[float, Field(ge=0.0, le=1000.0)] = Field(
        0.3,
        description="Posts per day of the organiser's own work: a brand's whatever happens; "
        "a person's only while it reads the group, times its belonging up to 1.",
    )
    promotion_share: Probability = Field(
        0.0, description="Share of the organiser's posts that are promotions."
    )


class Cohort(Section):
    """A cohort of groups created alike."""

    driver: Literal["event", "relationship", "hybrid"] = Field(
        ...,
        description="event: broadcast recruitment of strangers by topic, with a pulse; "
        "relationship: the organiser's own ties, no pulse; hybrid: recruited along ties, "
        "with a pulse (C6).",
    )
    count: Annotated[int, Field(ge=0, le=10_000_000)] = Field(
        ..., description="Groups in the cohort (0 switches the cohort off)."
    )
    size: int | tuple[int, int] = Field(
        ..., description="Initial members, or [low, high] drawn uniformly per group."
    )
    created: int | tuple[int, int] = Field(
        0, description="Creation day, or [first, last] spread uniformly."
    )
    cap: Annotated[int, Field(ge=2, le=10_000_000)] = Field(
        500, description="Most members a group can have."
    )
    organiser: Literal["person", "brand"] = Field(
        "person",
        description="A member who organises, or the brand (posts but is not a member; "
        "event groups only).",
    )
    circle: Literal[("any", *CIRCLE_KINDS)] = Field(
        "any",
        description="For relationship and hybrid groups: the kind of the organiser's ties "
        "its first round of founders is recruited from (any kind if it has none of this "
        "kind); later rounds go along ties of any kind.",
    )
    topic: Annotated[int, Field(ge=0, le=63)] | None = Field(
        None,
        description="The topic every group of the cohort is about (a product's topic, for "
        "a brand's groups); none: a random topic per group.",
    )
    event: Event | None = Field(
        None, description="The event; event and hybrid groups get a default one if omitted."
    )
    content: Content = Content()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        lo, hi = (self.size, self.size) if isinstance(self.size, int) else self.size
        if lo < 1:
            raise ValueError(f"size must be at least 1, got {lo}")
        if lo > hi:
            raise ValueError(f"size: low ({lo}) exceeds high ({hi})")
        if hi > self.cap:
            raise ValueError(f"size ({hi}) exceeds the group's cap ({self.cap})")
        if not isinstance(self.created, int):
            if self.created[0] > self.created[1]:
                raise ValueError(
                    f"created: first day {self.created[0]} after last {self.created[1]}"
                )
            if self.created[0] < 0:
                raise ValueError("created: days start at 0")
        elif self.created < 0:
            raise ValueError("created: days start at 0")
        return self

    @property
    def size_range(self) -> tuple[int, int]:
        """Initial size as an inclusive range."""
        return (self.size, self.size) if isinstance(self.size, int) else tuple(self.size)

    @property
    def created_range(self) -> tuple[int, int]:
        """Creation day as an inclusive range."""
        if isinstance(self.created, int):
            return (self.created, self.created)
        return tuple(self.created)

    @property
    def resolved_event(self) -> Event | None:
        """The event, with the default for event and hybrid groups."""
        if self.event is not None:
            return self.event
        return Event() if self.driver in ("event", "hybrid") else None


class Icebreaker(Section):
    """Makes members' interests visible to each other at once (C5)."""

    cohorts: list[str] = Field(..., description="Cohorts it applies to.")
    day: Day = Field(0, description="Days after each group's creation.")


class Guides(Section):
    """Super users (or veterans) greet newcomers and tie to them (C15)."""

    cohorts: list[str] = Field(..., description="Cohorts it applies to.")
    from_day: Day = Field(0, description="First day of the programme.")
    tie_strength: Strength = Field(0.3, description="Strength of the greeting tie.")


class PromotionPush(Section):
    """From some day of each group's life, a share of its organiser's posts are promotions."""

    cohorts: list[str] = Field(..., description="Cohorts it applies to.")
    day: Annotated[int, Field(ge=0, le=36_500)] = Field(
        0, description="Days after each group's creation."
    )
    share: Probability = Field(
        0.9, description="Share of the organiser's posts that are promotions."
    )


class Interventions(Section):
    """Interventions that change who can see what, who meets whom, and what is posted."""

    icebreaker: Icebreaker | None = None
    guides: Guides | None = None
    promotion_push: PromotionPush | None = None
    referral_reward: ReferralReward | None = None
