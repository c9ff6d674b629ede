"""The ``network`` section: how ties are generated and how they change.

See docs/ODD.md §7.1 (generators) and §7.4–§7.7 (decay, the cap, the periodic sweep, new
acquaintances outside groups).
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator

from sim.config.section import (
    CircleKind,
    Probability,
    Scale,
    Section,
    SizeRange,
    Strength,
    TieKind,
    check_pair,
)


class Dunbar(Section):
    """Dunbar's limits: the nominal layer sizes and the hard cap on ties."""

    layers: list[Annotated[int, Field(ge=1, le=2000)]] = Field(
        [5, 15, 50, 150], description="Nominal cumulative layer sizes, innermost first."
    )
    cap: Annotated[int, Field(ge=1, le=2000)] = Field(
        150, description="Most ties a person can hold."
    )

    @model_validator(mode="after")
    def _increasing(self) -> Self:
        if any(b <= a for a, b in zip(self.layers, self.layers[1:], strict=False)):
            raise ValueError(f"layers must increase, got {self.layers}")
        return self


class Circles(Section):
    """The ``circles`` generator: the social circles people are placed in."""

    household_size_mean: Annotated[float, Field(ge=1.0, le=10.0)] = Field(
        2.6, description="Mean household size (kin, strongest ties)."
    )
    family_households: Annotated[int, Field(ge=1, le=20)] = Field(
        3, description="Households joined into one extended family (kin)."
    )
    friend_circle_size: SizeRange = Field((3, 5), description="Size of a close friend circle.")
    friend_circles: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        1.0, description="Friend circles per person, on average."
    )
    team_size: SizeRange = Field((4, 10), description="Size of a work team or class.")
    employed: Probability = Field(0.85, description="Share of people in a work team or class.")
    neighbourhood_size: Annotated[int, Field(ge=2, le=10_000_000)] = Field(
        400, description="People per neighbourhood."
    )
    neighbour_ties: Annotated[float, Field(ge=0.0, le=2000.0)] = Field(
        135.0, description="Acquaintance ties each person makes in its neighbourhood, on average."
    )
    club_size: SizeRange = Field((15, 40), description="Size of an interest club.")
    clubs: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        1.5, description="Interest clubs per person, on average."
    )
    club_tie_share: Probability = Field(
        0.6, description="Share of fellow club members a member is tied to."
    )

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        for name in ("friend_circle_size", "team_size", "club_size"):
            value = getattr(self, name)
            check_pair(value, name)
            if value[0] < 2:
                raise ValueError(f"{name}: a circle needs at least 2 people, got {value[0]}")
        return self


class WattsStrogatz(Section):
    """The ``watts_strogatz`` generator (small world)."""

    k: Annotated[int, Field(ge=2, le=1000)] = Field(20, description="Neighbours in the ring.")
    p: Probability = Field(0.1, description="Rewiring probability.")


class HolmeKim(Section):
    """The ``holme_kim`` generator (scale-free with tunable clustering)."""

    m: Annotated[int, Field(ge=1, le=500)] = Field(10, description="Ties added per newcomer.")
    p: Probability = Field(0.5, description="Probability of closing a triangle after a tie.")


class EdgeList(Section):
    """The ``edgelist`` generator: a CSV of ``source,target[,weight[,kind]]``."""

    path: str = Field(..., description="CSV file, relative to the scenario file.")
    default_weight: Strength = Field(0.3, description="Strength where the CSV has no weight.")
    default_kind: CircleKind = Field("acquaintance", description="Kind where the CSV has no kind.")


DEFAULT_HALF_LIVES = {
    "kin": 3650.0,
    "friend": 272.0,
    "work": 713.0,
    "acquaintance": 735.0,
    "group": 30.0,
}
"""Days for a tie's strength to halve without contact, by kind (F5: kin barely decay)."""


class TieDynamics(Section):
    """How ties are contacted, strengthened, decay, form and are dropped (F3–F7)."""

    half_life_days: dict[TieKind, Scale] = Field(
        dict(DEFAULT_HALF_LIVES),
        description="Half-life of strength without contact, by kind (F5, F6); kinds "
        "left out keep their defaults.",
    )
    floor: Annotated[float, Field(gt=0.0, lt=1.0)] = Field(
        0.02, description="Ties weaker than this are dropped."
    )
    strengthen: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.08, description="Share of the gap to 1 closed by one encounter in a group."
    )
    contacts_per_day: Annotated[float, Field(gt=0.0, le=100.0)] = Field(
        3.69, description="Contacts a person makes per day outside groups (its social time)."
    )
    contact_gain: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        0.328,
        description="Share of the gap to its peak (the closest the tie has been) closed by "
        "one contact outside groups.",
    )
    allocation_exponent: Annotated[float, Field(gt=0.0, le=10.0)] = Field(
        1.36, description="Time to a tie is proportional to strength ** this exponent (C9, F3)."
    )
    sweep_days: Annotated[int, Field(ge=1, le=365)] = Field(
        28,
        description="Days between sweeps of background contact and dropping over all ties. "
        "Tie strengths decay exactly whatever this is (decay is computed from the day of "
        "last contact); contacts of a period are counted (Poisson) and applied at its end.",
    )
    recount_days: Annotated[int, Field(ge=1, le=365)] = Field(
        7,
        description="Days between recounts of each member's summed tie strength inside its "
        "groups (used for belonging); joins, leaves and new ties update it at once, and "
        "every sweep recounts it too.",
    )
    formation_base: Probability = Field(
        0.002,
        description="Chance that two co-active strangers with nothing visible in "
        "common form a tie in one encounter.",
    )
    formation_per_interest: Probability = Field(
        0.03, description="Increase of that chance per shared visible interest (F7)."
    )
    new_tie_strength: Strength = Field(0.1, description="Strength of a newly formed tie.")
    new_acquaintances_per_year: Annotated[float, Field(ge=0.0, le=3650.0)] = Field(
        275.0,
        description="New acquaintances a person makes per year outside groups (both ends "
        "of a new tie count), formed at each sweep; 0 switches background tie formation "
        "off (F1, F2, F6).",
    )
    closure_share: Probability = Field(
        0.7,
        description="Share of those new acquaintances met through a common friend "
        "(triadic closure); the rest are chance meetings with anyone.",
    )
    new_acquaintance_strength: Strength = Field(
        0.05, description="Strength of a new acquaintance tie made outside groups."
    )
    moves_per_year: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        0.04,
        description="Share of people a year who move away from their local circles (a "
        "new town or a job elsewhere), at each sweep: a mover keeps its kin ties and each "
        "other tie with a probability equal to its strength; 0 switches moves off (F2, F6).",
    )
    spin_up_days: Annotated[int, Field(ge=0, le=20 * 364)] = Field(
        0,
        description="Days of background social life (sweeps only: contact, decay, "
        "dropping, new acquaintances; no groups) run before day 0, so that a run starts "
        "from the network's own steady state rather than from the generator's; rounded "
        "up to whole sweeps. 0: day 0 is the generated world.",
    )

    @property
    def spin_up_sweeps(self) -> int:
        """Sweeps run before day 0: ``spin_up_days`` rounded up to whole sweeps."""
        return -(-self.spin_up_days // self.sweep_days)

    @field_validator("half_life_days", mode="after")
    @classmethod
    def _every_kind_has_a_half_life(cls, given: dict[str, float]) -> dict[str, float]:
        # A scenario that names only the kinds it changes keeps the others' defaults.
        return {**DEFAULT_HALF_LIVES, **given}


class Network(Section):
    """The social network and its dynamics."""

    generator: Literal["circles", "watts_strogatz", "holme_kim", "edgelist"] = Field(
        "circles", description="How ties are generated."
    )
    dunbar: Dunbar = Dunbar()
    circles: Circles = Circles()
    watts_strogatz: WattsStrogatz = WattsStrogatz()
    holme_kim: HolmeKim = HolmeKim()
    edgelist: EdgeList | None = Field(None, description="Required when generator is edgelist.")
    ties: TieDynamics = TieDynamics()
    platform_cap: Annotated[int, Field(ge=1, le=2000)] | None = Field(
        None,
        description="Most friends the platform lets a person keep (Path: 50, C11); the "
        "tie store's cap is the smaller of this and dunbar.cap; none: no platform limit.",
    )

    @property
    def cap(self) -> int:
        """Most ties a person holds: the Dunbar cap, or the platform's if smaller."""
        if self.platform_cap is None:
            return self.dunbar.cap
        return min(self.dunbar.cap, self.platform_cap)

    @model_validator(mode="after")
    def _edgelist_given(self) -> Self:
        if self.generator == "edgelist" and self.edgelist is None:
            raise ValueError("generator is 'edgelist' but the edgelist section (path) is missing")
        return self
