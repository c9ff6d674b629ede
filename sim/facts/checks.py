"""The checks, declared as data: fact, measure, scenario, published figure, source, rule.

Each rule was written from the published figure alone (see docs/ODD.md and the sources
below), before any run, and is not tuned to the model's output. The scenarios are the
shipped ones in ``scenarios/``, scaled down by overrides (:data:`SCALES`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sim.facts import measures as m
from sim.facts.rules import Above, Below, Overlaps, Rule


@dataclass(frozen=True)
class Check:
    """One published fact made into a test of the model.

    Attributes:
        fact: The fact's id (F1 ... F19).
        measure: What is measured in the model, in words (with units).
        scenario: Key of :data:`SCENARIOS` the measure is taken on.
        published: The published figure or shape.
        source: Author, year, venue.
        rule: The pre-declared agreement rule.
        why: What in the model makes this happen (generic, honest).
        compute: The measure of one replicate.
        figure: The figure the check is drawn in (besides the overview of all checks).
    """

    fact: str
    measure: str
    scenario: str
    published: str
    source: str
    rule: Rule
    why: str
    compute: Callable[[m.Run], float]
    figure: str


SCENARIOS: dict[str, str] = {
    "baseline": "scenarios/baseline.yaml",
    "year": "scenarios/baseline.yaml",
    "group_size": "scenarios/group_size.yaml",
    "fission": "scenarios/fission.yaml",
    "event_vs_relationship": "scenarios/event_vs_relationship.yaml",
    "guides": "scenarios/guides.yaml",
    "commerce": "scenarios/super_users.yaml",
    "world": "scenarios/baseline.yaml",
}
"""The scenario file each check's runs start from."""

YEAR = m.YEAR_DAYS
"""Days of the ``year`` runs (F6: bridges a year later)."""
WORLD_YEARS = 3
"""Years of the ``world`` runs: the network alone, for its stationarity (F1, F2)."""
WORLD_GROUPS = ["groups.lecture.count=0", "groups.family.count=0", "groups.friends.count=0"]
"""Overrides that leave the baseline town without groups."""

GUIDES_POWER = ["population.size=100000", "groups.plain.count=600", "groups.guided.count=600"]
"""The guide programme ten times over: at the shipped scale a cohort greets 16-43
newcomers, too few for a difference of the published size (+0.12) to be told from none."""

FISSION_POWER = ["population.size=100000", "groups.core.count=600"]
"""The fission scenario ten times over: at the shipped scale a run makes about 80
invitations, of which a handful reach people with two or more ties inside, too few for
the shape of acceptance (F8) to be seen."""

SCALES: dict[str, dict[str, list[str]]] = {
    # The shipped scenarios (each run takes seconds), two of them ten times over for
    # power, a year of baseline and three years of its world without groups.
    "full": {
        "baseline": [],
        "year": [f"days={YEAR}"],
        "group_size": [],
        "fission": FISSION_POWER,
        "event_vs_relationship": [],
        "guides": GUIDES_POWER,
        "commerce": [],
        "world": [*WORLD_GROUPS, f"days={WORLD_YEARS * 364}"],
    },
    "quick": {
        "baseline": [
            "population.size=1200",
            "days=120",
            "groups.lecture.count=5",
            "groups.family.count=20",
            "groups.friends.count=20",
        ],
        "year": [
            "population.size=500",
            f"days={YEAR}",
            "groups.lecture.count=2",
            "groups.family.count=6",
            "groups.friends.count=6",
        ],
        "group_size": [
            "population.size=2500",
            "days=60",
            "groups.size_15.count=6",
            "groups.size_50.count=6",
            "groups.size_150.count=4",
            "groups.size_500.count=2",
        ],
        "fission": ["population.size=1200", "days=60", "groups.core.count=12"],
        "event_vs_relationship": [
            "population.size=1200",
            "days=100",
            "groups.lecture.count=12",
            "groups.relationship.count=12",
        ],
        "guides": [
            "population.size=1200",
            "days=60",
            "groups.plain.count=12",
            "groups.guided.count=12",
        ],
        "commerce": [
            "population.size=3000",
            "days=150",
            "groups.brand_club.count=4",
            "groups.friends.count=45",
            "groups.friends.created=[0, 60]",
        ],
        "world": ["population.size=800", *WORLD_GROUPS, f"days={WORLD_YEARS * 364}"],
    },
}
"""Overrides of each scenario for the default report and the (smaller) ``--quick`` one."""

ZHOU = "Zhou, Sornette, Hill & Dunbar 2005, Proc. R. Soc. B 272:439"
DUNBAR15 = "Dunbar, Arnaboldi, Conti & Passarella 2015, Social Networks 43:39"
SUTCLIFFE = "Sutcliffe, Dunbar, Binder & Arrow 2012, Br. J. Psychol. 103:149"
DUNBAR18 = "Dunbar 2018, Trends Cogn. Sci. 22:32"
BURT = "Burt 2002, Social Networks 24:333"
SARAMAKI = "Saramäki et al. 2014, PNAS 111:942"
BACKSTROM = "Backstrom, Huttenlocher, Kleinberg & Lan 2006, KDD"
JOYCE = "Joyce & Kraut 2006, J. Computer-Mediated Communication 11(3)"
QIU = "Qiu et al. 2016, WWW"
BAKSHY = "Bakshy, Rosenn, Marlow & Adamic 2012, WWW"
NIELSEN = 'Nielsen 2006, "Participation inequality" (nngroup.com)'
KRAUT = "Kraut & Fiore 2014, CSCW"
DUCHENEAUT = "Ducheneaut, Yee, Nickell & Moore 2007, CHI"
MARKEY = "Markey 2000, Computers in Human Behavior 16:183"
JONES = "Jones, Ravid & Rafaeli 2004, Information Systems Research 15:194"
SHARP = "Sharp 2010, How Brands Grow; Kim, Singh & Winer 2017, Marketing Letters 28:491"
SCHMITT = "Schmitt, Skiera & Van den Bulte 2011, J. Marketing 75(1):46"

SALES_WHY = (
    "Need returns on the product's cycle, faster for heavy users (how fast people use "
    "up what they buy differs between them, for good); people buy from promotions, from "
    "earlier buyers' recommendations and referrals (trusted as much as the tie to them, "
    "which then sets how well the buyer knows the brand) and, once they know the brand, "
    "by themselves (docs/ODD.md, §7.18)."
)
TIES_WHY = (
    "The world's generator draws ties in circles of kin, friends, work and acquaintances "
    "under a cap; background contact goes to ties in proportion to strength to a power "
    "and restores them towards their peak, and unattended ties decay; group encounters "
    "strengthen and form ties "
    "(docs/ODD.md, §7.1, §7.4–§7.7, §7.14)."
)
STATIONARY_WHY = (
    "Ties decay without contact and are dropped below a floor, background contact "
    "restores those one gives time to towards the closest they have been (not beyond), "
    "people who move away lose their weak ties, and new acquaintances are made through "
    "friends and by chance (docs/ODD.md, §7.4–§7.6)."
)
BRIDGES_FACT = (
    "about nine in ten gone a year later (~10% kept)",
    f"{BURT}; Burt 2000, Social Networks 22:1",
    Overlaps(0.05, 0.20),
)
"""What F6 says, its sources and the range that agrees with it."""
BRIDGES_WHY = (
    "Ties decay without contact and are dropped below a floor; weak ties get little "
    "background contact and are the ones lost when people move away (docs/ODD.md, "
    "§7.4–§7.6)."
)
INVITE_WHY = (
    "An invitee's chance to accept rises with its tie to the inviter and with its other "
    "ties inside the group (docs/ODD.md, §7.15)."
)
LIFE_WHY = (
    "A group dies when it has been silent for a while; members post and stay while "
    "belonging (ties inside, activity) outweighs the cost of reading "
    "(docs/ODD.md, §7.10, §7.11, §7.17, §7.19)."
)
POST_WHY = (
    "An unmuted member posts at a rate proportional to its belonging, its role "
    "(super users post more) and its talkativeness (a log-normal trait of each person); "
    "members with negative belonging are silent (docs/ODD.md, §7.3, §7.10, §7.13)."
)
SIZE_WHY = (
    "Attention is finite: reading costs grow with the posts of a group, mostly "
    "strangers' in large groups, and belonging rests on ties inside; overloaded members "
    "mute (docs/ODD.md, §7.10–§7.12)."
)

CHECKS: tuple[Check, ...] = (
    Check(
        "F1",
        "scaling ratio of successive cumulative layer sizes (1-D k-means on log time "
        "share, 4 layers, people with 8+ ties, end of run)",
        "baseline",
        "ratio close to 3 (cumulative ~5, 15, 50, 150)",
        f"{ZHOU}; MacCarron, Kaski & Dunbar 2016, Social Networks",
        Overlaps(2.5, 3.5),
        TIES_WHY,
        m.layer_ratio,
        "layers",
    ),
    Check(
        "F1",
        "the same scaling ratio on day 0: the generated world, before any group",
        "baseline",
        "ratio close to 3 (cumulative ~5, 15, 50, 150)",
        f"{ZHOU}; MacCarron, Kaski & Dunbar 2016, Social Networks",
        Overlaps(2.5, 3.5),
        TIES_WHY,
        m.start_layer_ratio,
        "layers",
    ),
    Check(
        "F1",
        "cumulative size of the innermost layer (ties)",
        "baseline",
        "~5 (phone data ~4)",
        f"{ZHOU}; MacCarron, Kaski & Dunbar 2016, Social Networks",
        Overlaps(3, 6),
        TIES_WHY,
        m.layer_size(0),
        "layers",
    ),
    Check(
        "F1",
        "cumulative size of the outermost (fourth) layer (ties)",
        "baseline",
        "~150 (phone data ~129)",
        f"{ZHOU}; MacCarron, Kaski & Dunbar 2016, Social Networks",
        Overlaps(100, 200),
        TIES_WHY,
        m.layer_size(m.LAYERS - 1),
        "layers",
    ),
    Check(
        "F2",
        "mean ties per person at the end of the run",
        "baseline",
        "~100–200 stable relationships",
        f"{DUNBAR15}; Gonçalves et al. 2011, PLoS ONE",
        Overlaps(100, 200),
        TIES_WHY,
        m.mean_degree,
        "overview",
    ),
    *(
        Check(
            "F2",
            f"relative change of the {which} layer's size over {WORLD_YEARS} years, the "
            "network alone (no groups)",
            "world",
            "stable: layer sizes persist while their members turn over (within ±10%)",
            f"{SARAMAKI}; {DUNBAR15}",
            Overlaps(-0.10, 0.10),
            STATIONARY_WHY,
            m.layer_change(layer),
            "overview",
        )
        for which, layer in (
            ("outermost", m.LAYERS - 1),
            ("third", 2),
            ("second", 1),
            ("innermost", 0),
        )
    ),
    Check(
        "F3",
        "mean share of social time to the 5 strongest ties (people with 15+ ties)",
        "baseline",
        "~40%",
        SUTCLIFFE,
        Overlaps(0.30, 0.50),
        TIES_WHY,
        m.top_share(5),
        "overview",
    ),
    Check(
        "F3",
        "mean share of social time to the 15 strongest ties (people with 15+ ties)",
        "baseline",
        "~60%",
        SUTCLIFFE,
        Overlaps(0.50, 0.70),
        TIES_WHY,
        m.top_share(15),
        "overview",
    ),
    Check(
        "F4",
        "median contacts per day outside groups to the 5th strongest tie (own side only)",
        "baseline",
        "inner 5: at least weekly (≥ 1/7 per day)",
        DUNBAR18,
        Above(1 / 7),
        TIES_WHY,
        m.contacts_at_rank(5),
        "overview",
    ),
    Check(
        "F4",
        "median contacts per day outside groups to the 15th strongest tie (own side only)",
        "baseline",
        "15: at least monthly (≥ 1/30 per day)",
        DUNBAR18,
        Above(1 / 30),
        TIES_WHY,
        m.contacts_at_rank(15),
        "overview",
    ),
    Check(
        "F4",
        "median contacts per day outside groups to the weakest tie (people with 50+ ties)",
        "baseline",
        "150: at least yearly (≥ 1/365 per day)",
        DUNBAR18,
        Above(1 / 365),
        TIES_WHY,
        m.contacts_at_rank(None),
        "overview",
    ),
    Check(
        "F6",
        f"share of day-0 weak bridging ties (below-median strength, lowest quarter of "
        f"neighbourhood overlap) still tied on day {YEAR}",
        "year",
        *BRIDGES_FACT,
        BRIDGES_WHY,
        m.bridges_kept,
        "overview",
    ),
    Check(
        "F6",
        f"the same a year later: share of the weak bridging ties of day {YEAR} still tied "
        f"on day {2 * YEAR}, the network alone (no groups)",
        "world",
        *BRIDGES_FACT,
        BRIDGES_WHY,
        m.bridges_kept_second_year,
        "overview",
    ),
    Check(
        "F8",
        "acceptance with 1 other tie inside minus with 0",
        "fission",
        "joining rises with friends inside",
        BACKSTROM,
        Above(0.0),
        INVITE_WHY,
        m.first_step_gain,
        "acceptance",
    ),
    Check(
        "F8",
        "concavity: first step of acceptance by ties inside (0→1) minus the mean of the "
        "next two (1→2, 2→3+)",
        "fission",
        "concave, saturating",
        BACKSTROM,
        Above(0.0),
        INVITE_WHY,
        m.concavity,
        "acceptance",
    ),
    Check(
        "F9",
        "share of greeted newcomers who ever posted minus that of the others",
        "guides",
        "56% vs 44% came back to post (difference +0.12)",
        JOYCE,
        Above(0.0),
        "A guide greets a newcomer and so gives it a tie inside, which raises its "
        "belonging (docs/ODD.md, §7.16).",
        m.guided_minus_plain_posters,
        "overview",
    ),
    Check(
        "F11",
        "share of relationship groups alive 90 days after creation minus that of event groups",
        "event_vs_relationship",
        "short-lived vs long-lived split follows the group's social role",
        QIU,
        Above(0.0),
        LIFE_WHY,
        m.long_lived_by_driver,
        "overview",
    ),
    Check(
        "F12",
        "acceptance on the strongest quarter of inviter ties minus the weakest quarter",
        "fission",
        "strong ties are more influential one to one",
        f"{BAKSHY}; Granovetter 1973, AJS",
        Above(0.0),
        INVITE_WHY,
        m.strong_minus_weak,
        "acceptance",
    ),
    Check(
        "F13",
        "share of memberships that never posted",
        "baseline",
        "~90% never post",
        NIELSEN,
        Overlaps(0.85, 0.95),
        POST_WHY,
        m.never_posted,
        "overview",
    ),
    Check(
        "F13",
        "share of all posts by the top 1% of memberships",
        "baseline",
        "~1% post most (> 50%)",
        NIELSEN,
        Above(0.5),
        POST_WHY,
        m.top_posters_share(0.01),
        "overview",
    ),
    Check(
        "F13",
        "slope of the share of members who ever posted on log group size",
        "group_size",
        "the share who post falls as groups grow (slope < 0)",
        NIELSEN,
        Below(0.0),
        SIZE_WHY,
        m.size_slope("share who posted", log_value=False),
        "group_size",
    ),
    Check(
        "F14",
        "share of groups dead (silent) within 90 days of creation",
        "baseline",
        "57% stopped posting within 3 months",
        KRAUT,
        Overlaps(0.47, 0.67),
        LIFE_WHY,
        m.share_gone_within(90),
        "overview",
    ),
    Check(
        "F14",
        "share alive at 90 days: organiser with more ties inside than the median minus the "
        "rest, within cohorts (groups created alike)",
        "baseline",
        "founders with more friends: groups survived more",
        KRAUT,
        Above(0.0),
        LIFE_WHY,
        m.organiser_ties_gain,
        "overview",
    ),
    Check(
        "F15",
        "share of groups dead within 30 days of creation",
        "baseline",
        "~1 in 5 gone a month later (924 of 4,259)",
        f"{DUCHENEAUT}; PARC PlayOn 2006",
        Overlaps(0.10, 0.30),
        LIFE_WHY,
        m.share_gone_within(30),
        "overview",
    ),
    Check(
        "M1",
        "share of sales made by the top 20% of buyers (of a brand's product, over the run)",
        "commerce",
        "the Pareto share of packaged goods: about 50–70%, well short of 80%",
        SHARP,
        Overlaps(0.5, 0.73),
        SALES_WHY,
        m.pareto_share,
        "overview",
    ),
    Check(
        "M2",
        "share of buyers who buy again within 90 days of their first purchase: those "
        "brought by word of mouth minus the others (buyers with 90 days of follow-up)",
        "commerce",
        "referred customers are more loyal: churn about 18% lower (difference > 0)",
        SCHMITT,
        Above(0.0),
        SALES_WHY,
        m.referred_repeat_gain,
        "overview",
    ),
    Check(
        "F16",
        "elasticity of posts per member-day with initial group size (log-log slope; a "
        "proxy: the model has no response times)",
        "group_size",
        "responsibility diffuses with more people present (slope < 0)",
        MARKEY,
        Below(0.0),
        SIZE_WHY,
        m.size_slope("posts per member-day"),
        "group_size",
    ),
    Check(
        "F18",
        "elasticity of a group's posts per day with size, between the two largest sizes",
        "group_size",
        "volume bounds an active group (saturating: elasticity < 0.5)",
        JONES,
        Below(0.5),
        SIZE_WHY,
        m.size_slope("group posts per day", largest=True),
        "group_size",
    ),
)
"""Every check, in the order of the report."""

NOT_COVERED: dict[str, str] = {
    "F5": "Kin ties barely decaying is an input of the model (half-lives by kind), so "
    "measuring it would only read the setting back.",
    "F7": "Liking rising with shared traits is an input (the chance to form a tie rises "
    "linearly with shared visible interests); measuring it would read the setting back.",
    "F10": "Bond vs identity groups suffering when key members leave needs removing key "
    "members, which no shipped scenario does.",
    "F17": "What people say to a large audience: the model has posts, not their content.",
    "F19": "Resources a community offers grow with size: the model sells products but a "
    "community offers its members no resources.",
}
"""Facts the model cannot speak to, and why."""
