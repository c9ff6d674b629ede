"""The typed scenario configuration: every field, its default and what it allows.

A scenario YAML is validated against :class:`Scenario`. Every model here forbids
unknown keys, so a typo is reported with the allowed names rather than ignored.
The JSON Schema that editors use for completion is generated from these classes
(``groupsim schema``). Each section has its own module; every name is handed on here.
"""

from sim.config.behaviour import Behaviour
from sim.config.commerce import Brand, Commerce, Product, ReferralReward
from sim.config.groups import (
    Cohort,
    Content,
    Event,
    Guides,
    Icebreaker,
    Interventions,
    PromotionPush,
)
from sim.config.names import NAME_LENGTH, NAME_PUNCTUATION, check_name, name_from_stem, name_problem
from sim.config.network import (
    DEFAULT_HALF_LIVES,
    Circles,
    Dunbar,
    EdgeList,
    HolmeKim,
    Network,
    TieDynamics,
    WattsStrogatz,
)
from sim.config.population import Attention, Interests, Population, SuperUsers
from sim.config.scenario import Output, Scenario
from sim.config.section import (
    CIRCLE_KINDS,
    KIND_CODES,
    TIE_KINDS,
    CircleKind,
    CircleSize,
    Day,
    Multiplier,
    NonNegative,
    Positive,
    Probability,
    Scale,
    Section,
    Seed,
    SizeRange,
    Strength,
    TieKind,
    Weight,
)

__all__ = [
    "CIRCLE_KINDS",
    "DEFAULT_HALF_LIVES",
    "KIND_CODES",
    "NAME_LENGTH",
    "NAME_PUNCTUATION",
    "TIE_KINDS",
    "Attention",
    "Behaviour",
    "Brand",
    "CircleKind",
    "CircleSize",
    "Circles",
    "Cohort",
    "Commerce",
    "Content",
    "Day",
    "Dunbar",
    "EdgeList",
    "Event",
    "Guides",
    "HolmeKim",
    "Icebreaker",
    "Interests",
    "Interventions",
    "Multiplier",
    "Network",
    "NonNegative",
    "Output",
    "Population",
    "Positive",
    "Probability",
    "Product",
    "PromotionPush",
    "ReferralReward",
    "Scale",
    "Scenario",
    "Section",
    "Seed",
    "SizeRange",
    "Strength",
    "SuperUsers",
    "TieDynamics",
    "TieKind",
    "WattsStrogatz",
    "Weight",
    "check_name",
    "name_from_stem",
    "name_problem",
]
