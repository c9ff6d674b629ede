"""The typed scenario configuration: every field, its default and what it allows.

A scenario YAML is validated against :class:`Scenario`. Every model here forbids
unknown keys, so a typo is reported with the allowed names rather than ignored.
The JSON Schema that editors use for completion is generated from these classes
(``groupsim schema``).
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TIE_KINDS = ("kin", "work", "friend", "acquaintance", "group")
"""Kinds of tie, in the order of their integer codes in the tie store."""

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Strength = Annotated[float, Field(gt=0.0, le=1.0)]
# The upper bounds below keep every rate the model draws from (Poisson means, counts of
# posts and invitations) far inside what NumPy can draw and memory can hold, while
# leaving room far beyond any plausible value (each is 10 to 1000 times its default).
Weight = Annotated[float, Field(ge=0.0, le=20.0)]
Multiplier = Annotated[float, Field(gt=0.0, le=20.0)]
Scale = Annotated[float, Field(gt=0.0, le=1e6)]
Day = Annotated[int, Field(ge=0, le=36_500)]
Seed = Annotated[int, Field(ge=0, le=2**63 - 1)]


class Section(BaseModel):
    """Base of every configuration section: strict keys, immutable values."""

    # No inf or nan anywhere: the model computes with every number it is given.
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )


CircleSize = Annotated[int, Field(ge=1, le=1000)]
SizeRange = Annotated[tuple[CircleSize, CircleSize], Field(description="[low, high], inclusive")]


NAME_PUNCTUATION = "._-+=@, "
"""Characters besides letters and digits that a scenario's or experiment's name may hold."""

NAME_LENGTH = 100
"""Longest name: it becomes a folder's name."""


def name_problem(name: str) -> str | None:
    """What makes ``name`` unfit to be a folder name under the output folder, if anything.

    A name becomes ``<out>/<name>/``, so it must be a single plain file name: no path
    separators, no ``.`` or ``..``, no leading dot (that would hide it, and hidden names
    are the run folders' temporary ones) and no control characters.
    """
    if not name:
        return "a name cannot be empty"
    if len(name) > NAME_LENGTH:
        return f"a name has at most {NAME_LENGTH} characters (this one has {len(name)})"
    bad = sorted({c for c in name if not (c.isalnum() or c in NAME_PUNCTUATION)})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return (
            f"a name becomes a folder, and cannot hold {shown}; use letters, digits and "
            f"{' '.join(NAME_PUNCTUATION.strip())} or spaces"
        )
    if name[0] in ". " or name[-1] == " ":
        return "a name becomes a folder, and cannot start with a dot or a space"
    return None


def name_from_stem(stem: str, fallback: str) -> str:
    """A safe name made from a file's stem (unfit characters become dashes)."""
    cleaned = "".join(c if c.isalnum() or c in NAME_PUNCTUATION else "-" for c in stem)
    cleaned = cleaned[:NAME_LENGTH].lstrip(". ").rstrip(" ")
    return cleaned if cleaned and name_problem(cleaned) is None else fallback


def _check_name(name: str | None) -> str | None:
    """Field validator of ``name`` fields."""
    if name is not None and (problem := name_problem(name)) is not None:
        raise ValueError(problem)
    return name


def _check_pair(value: tuple[float, float], name: str) -> None:
    if value[0] > value[1]:
        raise ValueError(f"{name}: the first value ({value[0]}) exceeds the second ({value[1]})")


# --------------------------------------------------------------------------- population


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


class SuperUsers(Section):
    """Super users: a small share of people with higher propensities (C12)."""

    share: Probability = Field(0.01, description="Share of people who are super users.")
    post: Multiplier = Field(2.0, description="Multiplier on posting propensity.")
    invite: Multiplier = Field(3.0, description="Multiplier on invitation (share) propensity.")
    attention: Multiplier = Field(2.0, description="Multiplier on the attention budget.")


class Population(Section):
    """Who lives in the world."""

    size: Annotated[int, Field(ge=10, le=10_000_000)] = Field(
        10_000,
        description="Number of people (at most 10 million: the world builder sorts pairs "
        "of people on one 64-bit key).",
    )
    interests: Interests = Interests()
    attention: Attention = Attention()
    super_users: SuperUsers = SuperUsers()


# --------------------------------------------------------------------------- network


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
        85.0, description="Acquaintance ties each person makes in its neighbourhood, on average."
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
            _check_pair(value, name)
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
    default_kind: Literal["kin", "work", "friend", "acquaintance"] = Field(
        "acquaintance", description="Kind where the CSV has no kind."
    )


DEFAULT_HALF_LIVES = {
    "kin": 3650.0,
    "friend": 400.0,
    "work": 200.0,
    "acquaintance": 200.0,
    "group": 30.0,
}
"""Days for a tie's strength to halve without contact, by kind (F5: kin barely decay)."""


class TieDynamics(Section):
    """How ties are contacted, strengthened, decay, form and are dropped (F3–F7)."""

    half_life_days: dict[Literal["kin", "work", "friend", "acquaintance", "group"], Scale] = Field(
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
        1.0, description="Contacts a person makes per day outside groups (its social time)."
    )
    contact_gain: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        0.04, description="Share of the gap to 1 closed by one contact outside groups."
    )
    allocation_exponent: Annotated[float, Field(gt=0.0, le=10.0)] = Field(
        1.25, description="Time to a tie is proportional to strength ** this exponent (C9, F3)."
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

    @model_validator(mode="after")
    def _edgelist_given(self) -> Self:
        if self.generator == "edgelist" and self.edgelist is None:
            raise ValueError("generator is 'edgelist' but the edgelist section (path) is missing")
        return self


# --------------------------------------------------------------------------- groups


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
        0.3, description="Mean posts per day by the organiser."
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
    count: Annotated[int, Field(ge=1, le=10_000_000)] = Field(
        ..., description="Groups in the cohort."
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
    circle: Literal["any", "kin", "work", "friend", "acquaintance"] = Field(
        "any",
        description="For relationship and hybrid groups: the kind of the organiser's ties "
        "its first round of founders is recruited from (any kind if it has none of this "
        "kind); later rounds go along ties of any kind.",
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


class Interventions(Section):
    """Interventions that change who can see what or who meets whom."""

    icebreaker: Icebreaker | None = None
    guides: Guides | None = None


class Behaviour(Section):
    """Propensities of members in groups: the knobs of the daily step."""

    tie_belonging: Weight = Field(
        1.5, description="Belonging from ties inside the group, at saturation (F8, F10)."
    )
    tie_saturation: Scale = Field(
        0.6, description="Summed tie strength inside at which that belonging is 63% reached."
    )
    topic_belonging: Weight = Field(
        0.15, description="Belonging from holding the group's topic (common identity, F10)."
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
        0.6, description="Most attention that strangers' posts in one group can cost per day."
    )
    overload_posts: Scale = Field(
        20.0, description="Strangers' posts per day at which 63% of that cost is reached."
    )
    unmute_rate: Probability = Field(
        0.05, description="Daily chance a muted member looks again (a mention, a notice)."
    )
    post_rate: Annotated[float, Field(gt=0.0, le=100.0)] = Field(
        0.15, description="Posts per day of an unmuted member at belonging 1."
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
    accept_tie: Weight = Field(
        0.6, description="Acceptance gained from tie strength to the inviter (C7)."
    )
    accept_friends: Weight = Field(
        0.3, description="Acceptance gained from ties already inside, at saturation (F8)."
    )
    accept_friends_scale: Scale = Field(
        1.5, description="Ties inside at which that gain is 63% reached (concave, F8)."
    )
    leave_rate: Probability = Field(
        0.04, description="Daily leave hazard of a member with no belonging at all (C4)."
    )
    leave_belonging_scale: Scale = Field(
        0.5, description="Belonging that cuts the leave hazard by a factor e."
    )
    silence_days: Annotated[int, Field(ge=1, le=36_500)] = Field(
        7,
        description="Days without an organic post by anyone (a member, the organiser or "
        "the brand; promotions do not count) after which a group dies.",
    )


class Output(Section):
    """What a run writes."""

    persons: bool = Field(False, description="Also write persons.parquet.")
    figures: bool = Field(True, description="Write the figures.")


class Scenario(Section):
    """A scenario: a world, its groups, interventions and behaviour, and a horizon."""

    name: str | None = Field(
        None,
        description="Name of the scenario, and of its folder under the output folder "
        "(default: the file name): letters, digits, . _ - + = @ , and spaces, not starting "
        "with a dot.",
    )
    description: str = Field("", description="What question the scenario answers.")
    seed: Seed = Field(42, description="Root seed: fixes every result.")
    days: Annotated[int, Field(ge=1, le=36_500)] = Field(180, description="Horizon in days.")
    population: Population = Population()
    network: Network = Network()
    groups: dict[str, Cohort] = Field(
        default_factory=dict, description="Cohorts of groups by name."
    )
    interventions: Interventions = Interventions()
    behaviour: Behaviour = Behaviour()
    output: Output = Output()

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str | None) -> str | None:
        return _check_name(name)
