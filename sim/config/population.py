"""The ``population`` section: who lives in the world (docs/ODD.md §2.1, §7.2, §7.3)."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from sim.config.section import Multiplier, Probability, Section


class Interests(Section):
    """Topics people care about: the connection points of C5, homophilous along ties."""

    topics: Annotated[int, Field(ge=2, le=64)] = Field(
        40, description="Number of distinct topics (at most 64: stored as a bit mask)."
    )
    per_person: Annotated[int, Field(ge=1, le=64)] = Field(
        5, description="Topics each person holds."
    )
    homophily: Probability = Field(
        0.6,
        description="Share of a person's topics taken from the circles it belongs to "
        "(the rest are drawn at random): the strength of homophily along ties.",
    )
    turnover_per_year: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        0.1,
        description="Rate per year at which each topic a person holds is given up for "
        "another (taken from a tie with the chance `homophily`, else at random), at each "
        "sweep of ties; 0: interests never change.",
    )

    @model_validator(mode="after")
    def _fits(self) -> Self:
        if self.per_person > self.topics:
            raise ValueError(f"per_person ({self.per_person}) cannot exceed topics ({self.topics})")
        return self


class Attention(Section):
    """Each person's daily attention budget (log-normal across people)."""

    mean: Annotated[float, Field(gt=0.0, le=1000.0)] = Field(
        1.0, description="Mean daily budget, in units of membership cost."
    )
    cv: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        0.4, description="Coefficient of variation across people."
    )


class Talkativeness(Section):
    """How much people differ in how often they speak (log-normal, mean 1, F13)."""

    cv: Annotated[float, Field(ge=0.0, le=20.0)] = Field(
        7.07,
        description="Coefficient of variation across people of a multiplier of the post "
        "rate (0: everyone alike).",
    )


class SuperUsers(Section):
    """Super users: a small share of people with higher propensities (C12)."""

    share: Probability = Field(0.01, description="Share of people who are super users.")
    post: Multiplier = Field(2.0, description="Multiplier on posting propensity.")
    invite: Multiplier = Field(3.0, description="Multiplier on invitation (share) propensity.")
    attention: Multiplier = Field(2.0, description="Multiplier on the attention budget.")
    recommend: Multiplier = Field(
        3.0, description="Multiplier on recommending a product bought (sharing, C12)."
    )
    convert: Multiplier = Field(
        2.0, description="Multiplier on the purchase hazard of an exposure (conversion, C12)."
    )
    repurchase: Multiplier = Field(
        2.0, description="Multiplier on how fast a satisfied buyer's need returns (C12)."
    )
    refer: Multiplier = Field(3.0, description="Multiplier on sending referral invitations (C12).")


class Population(Section):
    """Who lives in the world."""

    size: Annotated[int, Field(ge=10, le=10_000_000)] = Field(
        10_000,
        description="Number of people (at most 10 million: the world builder sorts pairs "
        "of people on one 64-bit key).",
    )
    interests: Interests = Interests()
    attention: Attention = Attention()
    talkativeness: Talkativeness = Talkativeness()
    super_users: SuperUsers = SuperUsers()
