"""The ``commerce`` section: products, the brand, and how people come to buy (docs/ODD.md §7.18).

A scenario without products has no commerce: the phase does nothing and no purchases are
written. Every rate here is a propensity per exposure or per day (a mechanism), never an
outcome: how many sales come through referrals, or who the heavy buyers are, is measured.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from sim.config.names import check_name
from sim.config.section import Probability, Scale, Section, Weight

Rate = Annotated[float, Field(ge=0.0, le=10.0)]


class Product(Section):
    """A product the brand sells."""

    name: str = Field(..., description="Name of the product (letters, digits, . _ - ...).")
    price: Annotated[float, Field(ge=0.0, le=1e9)] = Field(
        ..., description="Price of one purchase, in the scenario's currency."
    )
    topic: Annotated[int, Field(ge=0, le=63)] = Field(
        ..., description="The interest (topic number) whose holders may need the product."
    )
    appeal: Probability = Field(
        0.5, description="Need of a person who holds the topic and has not bought it yet."
    )
    off_topic_appeal: Probability = Field(
        0.0, description="Need of a person who does not hold the topic."
    )
    cycle: Annotated[int, Field(ge=1, le=36_500)] = Field(
        30, description="Days after a purchase until a satisfied buyer needs the product again."
    )
    quality: Probability = Field(
        0.8, description="Chance that one purchase is a good experience (a satisfied buyer)."
    )

    @model_validator(mode="after")
    def _named(self) -> Product:
        check_name(self.name)
        return self


class Brand(Section):
    """The brand's relationship with each person: grows with good experiences and contact."""

    initial_relationship: Probability = Field(
        0.0, description="Everyone's relationship with the brand on day 0 (0..1)."
    )
    half_life: Scale = Field(
        60.0,
        description="Days for a person's relationship with the brand to halve without "
        "contact or purchases (as for a tie, F5).",
    )
    contact_gain: Probability = Field(
        0.03,
        description="Share of the gap to 1 closed by a day on which the person reads the "
        "brand's own (non-promotion) posts in a group.",
    )
    experience_gain: Probability = Field(
        0.2, description="Share of the gap to 1 closed by a good experience (a satisfied purchase)."
    )
    disappointment: Probability = Field(
        0.3, description="Share of the relationship lost by a bad experience."
    )


class Commerce(Section):
    """Products, the brand, and the propensities of exposure, purchase and word of mouth."""

    products: list[Product] = Field(
        default_factory=list, description="Products on sale (none: no commerce)."
    )
    brand: Brand = Brand()
    trust_baseline: Probability = Field(
        0.05,
        description="Trust in a source one has no relationship with (a stranger, an "
        "unknown brand); trust rises linearly from it to 1 with the tie's strength.",
    )
    conversion: Rate = Field(
        0.3,
        description="Purchase hazard of one exposure (a promotion read, a recommendation, "
        "a referral) at full need and full trust.",
    )
    organic_rate: Rate = Field(
        0.1,
        description="Daily purchase hazard without any exposure, at full need and a full "
        "relationship with the brand (people who know the brand buy by themselves).",
    )
    recommend_rate: Rate = Field(
        0.3,
        description="Recommendations a satisfied buyer makes per day right after buying, "
        "each to a tie chosen in proportion to its strength (word of mouth).",
    )
    refer_rate: Rate = Field(
        0.05,
        description="Referral invitations (a link or code) a satisfied buyer sends per day "
        "right after buying, each to a tie chosen in proportion to its strength.",
    )
    talk_half_life: Scale = Field(
        7.0,
        description="Days after a satisfied purchase at which a buyer recommends and "
        "refers half as much.",
    )
    usage_cv: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        1.0,
        description="Coefficient of variation across people of how fast they use up what "
        "they buy (gamma, mean 1; heavy and light buyers); it multiplies how fast need "
        "returns after a purchase. 0: everyone alike (M1).",
    )
    mention_share: Probability = Field(
        0.5,
        description="Chance that a satisfied buyer's posts in a group on a day it talks "
        "about the product mention it to the members who read them.",
    )

    @model_validator(mode="after")
    def _distinct(self) -> Commerce:
        names = [p.name for p in self.products]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"product names must differ; repeated: {', '.join(repeated)}")
        return self

    @property
    def on(self) -> bool:
        """Whether the scenario has commerce (at least one product)."""
        return bool(self.products)


class ReferralReward(Section):
    """A referral reward: the brand pays buyers for each purchase they refer (C14)."""

    from_day: Annotated[int, Field(ge=0, le=36_500)] = Field(0, description="First day.")
    amount: Annotated[float, Field(ge=0.0, le=1e9)] = Field(
        5.0, description="Paid to the referrer per referred purchase."
    )
    uplift: Weight = Field(
        2.0,
        description="Factor on the referral invitations buyers send while the reward runs "
        "(the assumed response to the reward).",
    )
