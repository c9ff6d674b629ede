"""Behaviour rules: pure, vectorised functions, each citing the claim or fact it encodes.

Every rule takes arrays (or scalars, for the plain reference implementation) and returns
arrays; none draws random numbers itself unless it is given a generator, and none knows
about drivers, sizes or claims. Outcomes such as "event groups die first" must emerge from
these mechanisms; no rule may set them.
"""

from __future__ import annotations

import numpy as np

from sim import libm
from sim.arrays import rank_in_runs, run_starts

# --------------------------------------------------------------------------- ties


def decay(strength, days_since_contact, half_life):
    """Exponential decay of a tie's strength without contact.

    ``w(t) = w0 * 2 ** (-t / half_life)``, the half-life depending on the tie's kind:
    kin barely decay, friends slowly, acquaintances and ties made in groups fastest.
    Encodes F5 (kin ties hardly decay; friendships lose closeness without contact,
    Roberts & Dunbar 2011) and F6 (bridging and new ties decay fastest, Burt 2000, 2002).
    """
    return strength * decay_factor(np.maximum(days_since_contact, 0), half_life)


def decay_factor(days_since_contact, half_life):
    """The share of its strength a tie keeps after ``days_since_contact >= 0`` days alone.

    ``2 ** (-t / half_life)``: the factor of :func:`decay`, written so that the compiled
    kernels (``sim/kernels/``) use it as it is, in the precision they are given.
    """
    return libm.exp2(-days_since_contact / half_life)


def strengthen(strength, gain, contacts=1, ceiling=1.0):
    """Raise strength towards a ceiling with diminishing increments.

    Each contact closes a share ``gain`` of the gap to ``ceiling``, so ``k`` contacts
    give ``c - (c - w) * (1 - gain) ** k``. Shared activity in a group builds closeness
    (ceiling 1): repeated co-activity strengthens ties, less and less as they approach
    it (docs/ODD.md, §7.14). Everyday contact outside groups keeps a relationship up
    rather than building it: it restores the closeness lost to absence, up to the
    closest the two have been (``ceiling`` = the tie's peak strength, §7.6). Closeness
    follows contact, falling when contact stops and kept up by it (F5: Roberts & Dunbar
    2011, 2015), and a tie that is given too little time for its kind's decay fades and
    is dropped (F6). That background contact cannot lift a tie above its peak is an
    assumption: without it, any tie whose decay is slow (kin) would be drawn towards
    1 by the time given to it, and the layers of personal networks would not hold
    (F1, F2).
    """
    return ceiling - (ceiling - strength) * libm.power(1.0 - gain, contacts)


def time_allocation(strength, exponent, owner, n_people):
    """Share of a person's social time given to each of its ties.

    Time to a tie is proportional to ``strength ** exponent``, normalised over the
    person's ties. With the default exponent about 40% of time goes to the 5 strongest
    ties and 60% to the 15 strongest (C9; F3, Sutcliffe et al. 2012), and contact
    frequency falls by layer (F4, Dunbar 2018).

    Args:
        strength: Strength of each tie, as seen from ``owner``.
        exponent: Concentration of time on strong ties.
        owner: Person owning each entry.
        n_people: Number of people.

    Returns:
        The share of the owner's time, per entry.
    """
    weight = libm.exp(np.float32(exponent) * libm.log(np.asarray(strength, np.float32)))
    total = np.bincount(owner, weight, minlength=n_people)
    return weight / np.where(total[owner] > 0, total[owner], 1.0)


def contact_rate(strength, u, v, n_people, exponent, contacts_per_day):
    """Expected background contacts per day on each undirected tie.

    Each person makes ``contacts_per_day`` contacts and spreads them over its ties by
    :func:`time_allocation`; a tie gets the contacts of both its ends (C9, F3, F4).
    ``strength``, ``u`` and ``v`` describe each tie once; a strength of 0 (no tie) gets
    no contacts.
    """
    strength = np.asarray(strength, np.float32)
    with np.errstate(divide="ignore"):
        weight = libm.exp(np.float32(exponent) * libm.log(strength))
    total = np.bincount(u, weight, minlength=n_people) + np.bincount(v, weight, minlength=n_people)
    inverse = np.divide(1.0, total, out=np.zeros_like(total), where=total > 0).astype(np.float32)
    return tie_contact_rate(weight, inverse[u], inverse[v], np.float32(contacts_per_day))


def tie_contact_rate(weight, inverse_u, inverse_v, contacts_per_day):
    """Expected background contacts per day of one tie, from its time weight.

    Each end gives the tie the share ``weight * inverse`` of its ``contacts_per_day``
    (``inverse`` is one over the summed weights of that end's ties; see
    :func:`contact_rate`), C9, F3, F4. Written for the compiled sweep as well.
    """
    return contacts_per_day * weight * (inverse_u + inverse_v)


def formation_probability(shared_visible, base, per_interest):
    """Chance that two co-active members form a tie in one encounter.

    Rises *linearly* with the number of shared interests that are visible to both:
    liking between strangers grows linearly with shared traits (F7, Launay & Dunbar
    2015; Curry & Dunbar 2013). An ice-breaker makes interests visible at once (C5).
    """
    return np.clip(base + per_interest * np.asarray(shared_visible, np.float64), 0.0, 1.0)


def admit_under_cap(new_strength, weakest_strength, at_cap):
    """Whether a new tie may be made, holding Dunbar's cap.

    Below the cap every tie is admitted; at the cap a new tie replaces the weakest one
    only if it is stronger, otherwise it is not made (F1, F2: about 150 stable ties).
    """
    return ~np.asarray(at_cap) | (np.asarray(new_strength) > np.asarray(weakest_strength))


def room_under_cap(strengths, new_strength, cap):
    """How many new ties of ``new_strength`` a person can take at once, holding the cap.

    A person keeps every tie at least as strong as the newcomers and may give up any
    weaker one, so its room is the cap minus its ties of ``strengths >= new_strength``
    (free slots included). A period's new acquaintances, all equally weak, are admitted
    together with it (:meth:`sim.world.ties.TieStore.add_together`): in a random order,
    each is made if both ends still have room, and then each end over the cap gives up
    its weakest ties, as a new tie at the cap replaces the weakest one
    (:func:`admit_under_cap`; F1, F2: about 150 stable ties; F6: weak ties turn over).

    Args:
        strengths: Today's strength of each of the person's ties (1-D).
        new_strength: Strength of the new ties.
        cap: Most ties a person may hold.
    """
    return cap - np.sum(strengths >= new_strength)


def background_meetings(n_people, per_year, days, closure_share, rng):
    """Who meets someone new outside groups over ``days`` days, and how (F1, F2, F6).

    Everyday life keeps bringing new people into one's network, mostly through people
    one already knows: two people with a friend in common are far more likely to become
    tied than two strangers (triadic closure; Kossinets & Watts 2006, Science 311:88),
    the rest by chance or a shared place (focal closure, same source). Each meeting
    gives *both* people a new acquaintance, so each person starts a Poisson number of
    meetings with mean ``per_year / 2 * days / 365``; people take their turns in a
    random order, so that at the cap no one's meetings come first because of its id
    (a person's meetings follow one another). Each meeting goes through a
    friend with probability ``closure_share`` (else it is a chance meeting, see
    :func:`stranger`); through a friend, a tie and then one of that friend's ties are
    chosen in proportion to strength (:meth:`sim.world.ties.TieStore.introduce`).
    The new ties are weak and must then survive decay and the cap like any other
    (:func:`admit_under_cap`): this turnover of weak ties (F6: about nine in ten bridges
    are gone a year later, Burt 2002) is what keeps the outer layers of personal
    networks filled (F1, F2) instead of thinning with decay. The default rate is fitted
    with the rest of the network's dynamics to published facts on personal networks
    (docs/calibration_network.md); the closure share (0.7) is a guess (docs/ODD.md §7.6).

    Args:
        n_people: Number of people who may start a meeting (ids ``0 .. n_people - 1``).
        per_year: New acquaintances per person and year, both ends counted.
        days: Length of the period.
        closure_share: Share of meetings made through a common friend.
        rng: The model's generator: one Poisson draw per person, a permutation of the
            people, then one uniform per meeting.

    Returns:
        ``(starter, through_friend)``: the person who starts each meeting, in the
        people's random order, and whether it goes through a friend.
    """
    counts = rng.poisson(0.5 * per_year * days / 365.0, size=n_people)
    turns = rng.permutation(n_people).astype(np.int64)
    starter = np.repeat(turns, counts[turns])
    return starter, rng.random(len(starter)) < closure_share


def stranger(starter, n_people, rng):
    """Whom a chance meeting is with: anyone but oneself, uniformly (F1, F6).

    The population has no places in common to draw from (the circles generator does not
    keep its neighbourhoods), so a chance meeting is with a random person.

    Args:
        starter: The person who starts each meeting.
        n_people: Number of people (at least 2).
        rng: The model's generator: one integer per meeting.

    Returns:
        The other person of each meeting.
    """
    starter = np.asarray(starter, np.int64)
    draw = rng.integers(0, n_people - 1, size=len(starter))
    return np.where(draw >= starter, draw + 1, draw)  # skip oneself


def at_constant_hazard(n_people, per_year, days, rng):
    """Who, of ``n_people``, has an event of rate ``per_year`` within ``days`` days.

    Each person independently, with probability ``1 - exp(-per_year * days / 365)``:
    the chance of at least one event of a constant hazard over the period. One uniform
    per person from ``rng``; the ids, ascending. Shared by :func:`movers` and
    :func:`interest_changers`.
    """
    chance = -libm.expm1(-per_year * days / 365.0)
    return np.flatnonzero(rng.random(n_people) < chance).astype(np.int64)


def interest_changers(n_people, held, per_year, days, rng):
    """Who gives up one of its interests for another over ``days`` days (F10, F11).

    People's interests are not fixed: over months and years they start, give up and
    replace leisure activities (Iso-Ahola, Jackson & Dunn 1994, J. Leisure Research
    26:227, on starting, ceasing and replacing activities within a year). When a
    person gives up the topic of a group it joined for that topic, the group's shared
    purpose no longer holds it (the common identity of F10 fades; F11: groups whose
    role in people's lives passes die), and it leaves or falls silent like anyone else
    whose belonging is low. Each of the ``held`` topics a person holds is given up at
    rate ``per_year``, so a person changes one with probability ``1 - exp(-held *
    per_year * days / 365)`` per period (at most one: the periods are short); the new
    topic is chosen by :func:`interest_from_tie`. The default rate (0.1 a year, an
    interest held for ten years on average) is an assumption, not fitted.

    Args:
        n_people: Number of people (ids ``0 .. n_people - 1``).
        held: Topics each person holds.
        per_year: Rate at which each held topic is given up.
        days: Length of the period.
        rng: The model's generator: one uniform per person.

    Returns:
        The ids of the people who change an interest, ascending.
    """
    return at_constant_hazard(n_people, held * per_year, days, rng)


def interest_from_tie(has_ties, homophily, rng):
    """Whether a person's new interest is taken from one of its ties (F7, F10).

    Interests spread along ties: with probability ``homophily`` (the share of a person's
    topics that come from its circles, as in the generated world) the new topic is one
    held by a tie chosen in proportion to strength, otherwise one at random; a person
    with no ties, or whose chosen tie holds nothing new to it, takes one at random.
    Keeping the same share as the generator keeps homophily along ties from fading as
    interests turn over.

    Args:
        has_ties: Whether each changer has any tie.
        homophily: ``population.interests.homophily``.
        rng: The model's generator: one uniform per changer.
    """
    return (rng.random(len(has_ties)) < homophily) & np.asarray(has_ties, bool)


def movers(n_people, per_year, days, rng):
    """Who moves away from their local circles over ``days`` days (F2, F5, F6).

    People move house to another town, or take a job elsewhere, and with it lose the
    everyday contact that kept many of their ties alive: the drift from old ties that,
    with new acquaintances, keeps personal networks turning over while their layers keep
    their size (F2). Each person moves with probability ``1 - exp(-per_year * days /
    365)``, a constant hazard; about 4% of people a year move to another county in the
    United States (US Census Bureau, Current Population Survey 2019: 9.8% moved, about
    four in ten of them across a county line). What a move does to each tie is
    :func:`survives_move`. Moving does not end a membership: a mover stays in its chat
    groups, whose pull on it falls only through the ties it loses there.

    Args:
        n_people: Number of people (ids ``0 .. n_people - 1``).
        per_year: Moves per person and year.
        days: Length of the period.
        rng: The model's generator: one uniform per person.

    Returns:
        The ids of the people who move, ascending.
    """
    return at_constant_hazard(n_people, per_year, days, rng)


def survives_move(strength, is_kin, uniforms):
    """Whether a tie of someone who moves away survives the move (F5, F6).

    Kin keep in touch across any distance: emotional closeness to kin does not fall
    after a move, while closeness to friends does (Roberts & Dunbar 2011, Evol. Hum.
    Behav. 32:186, on students leaving home). Any other tie survives with a
    probability equal to its strength today: close friends keep calling, the weak ties
    of a neighbourhood or a workplace, kept up by meeting there, end with the move
    (Mok, Wellman & Carrasco 2010, Urban Studies 47:2747: contact falls with distance,
    least for the closest ties). The form, "survival = strength", is an assumption.

    Args:
        strength: Each tie's strength today, in (0, 1].
        is_kin: Whether each tie is between kin.
        uniforms: One uniform in [0, 1) per tie.

    Returns:
        A boolean per tie: kept.
    """
    return np.asarray(is_kin) | (np.asarray(uniforms) < np.asarray(strength))


# --------------------------------------------------------------------------- groups


def belonging(
    tie_strength_inside,
    others,
    holds_topic,
    pulse,
    known_posts_seen,
    promotions_seen,
    *,
    tie_weight,
    tie_saturation,
    topic_weight,
    content_weight,
    promotion_cost,
):
    """How much a member values a group today.

    ``b = tie_weight * (1 - exp(-(S / others) / tie_saturation))``: the bond (common bond,
    F10; concave like F8) comes from the summed strength ``S`` of its ties to co-members
    *relative to* the ``others`` in the group, i.e. its mean closeness to them. Knowing
    three people in a group of five is a bond; knowing three in a group of 500 is not,
    though a large random group holds more of one's acquaintances (F13, F19). Plus
    ``topic_weight`` if it holds the group's topic (common identity, F10), plus the
    event pulse, plus ``content_weight * (1 - exp(-P))`` for the organic posts ``P``
    seen yesterday from people one is tied to (conversation with people one knows is
    valued; strangers' posts are a cost, see :func:`reading_cost`), minus
    ``promotion_cost`` per promotion seen (C16). No term depends on the driver of the
    group, and size enters only through whom one knows among those inside.
    """
    closeness = np.asarray(tie_strength_inside, np.float64) / np.maximum(others, 1)
    bond = tie_weight * -libm.expm1(-closeness / tie_saturation)
    identity = topic_weight * np.asarray(holds_topic, np.float64)
    content = content_weight * -libm.expm1(-np.asarray(known_posts_seen, np.float64))
    return bond + identity + pulse + content - promotion_cost * np.asarray(promotions_seen)


def reading_cost(stranger_posts, *, membership_cost, overload_cost, overload_posts):
    """Attention a membership costs today: a fixed part plus the strangers' volume.

    ``c = membership_cost + overload_cost * V / overload_posts`` where ``V`` is the volume
    of posts (and promotions) by people one has no tie to. The cost keeps rising with
    volume, with no ceiling below the attention budget: as volume grows, members cope by
    reading less of it, muting or leaving, which bounds the size of an active group
    (F18, Jones, Ravid & Rafaeli 2004; C2, C17).
    """
    volume = np.asarray(stranger_posts, np.float64)
    return membership_cost + overload_cost * volume / overload_posts


def mute_overloaded(person, value, cost, budget):
    """Which memberships a person mutes when they cost more than its budget.

    Each person keeps its memberships in order of value per unit of cost until the
    budget is spent; the rest are muted. A membership worth less than it costs is muted
    whatever the budget. Encodes C17 (people in many groups mute most of them).

    Args:
        person: Person of each candidate membership.
        value: Belonging of each membership.
        cost: Reading cost of each membership.
        budget: Attention budget of each membership's person.

    Returns:
        Boolean mask: muted.
    """
    person = np.asarray(person)
    if len(person) == 0:
        return np.zeros(0, bool)
    ratio = np.asarray(value) / np.maximum(np.asarray(cost), 1e-12)
    order = np.lexsort((-ratio, person))
    sorted_person = person[order]
    spent = np.cumsum(np.asarray(cost, np.float64)[order])
    first = run_starts(sorted_person)
    before = np.where(first > 0, spent[np.maximum(first - 1, 0)], 0.0)
    within = spent - before
    muted = np.empty(len(person), bool)
    muted[order] = within > np.asarray(budget)[order]
    return muted | (np.asarray(value) < np.asarray(cost))


def post_rate(
    value,
    role_multiplier,
    talkativeness,
    strangers,
    posts_yesterday,
    *,
    base_rate,
    crowd_scale,
    initiative,
    reply_posts,
):
    """Expected posts per day of an unmuted member.

    ``r = base_rate * max(b, 0) * role * talk * crowd * conversation``: proportional to
    belonging (members who value a group talk in it), to the role multiplier of super
    users (C12) and to the person's talkativeness ``talk`` (people differ in how much
    they speak wherever they are: posting per person is heavy-tailed, F13), and

    - ``crowd = 1 / (1 + strangers / crowd_scale)``: speaking to an audience of people one
      does not know is costly and responsibility to answer is diffused among many, so the
      chance to post falls as the unknown part of the audience grows (F16, Markey 2000;
      F17, Barasch & Berger 2014; participation inequality, F13);
    - ``conversation = initiative + (1 - initiative) * (1 - exp(-posts_yesterday /
      reply_posts))``: most posts answer posts, so a talking group keeps talking and
      silence spreads; ``initiative`` is the share of a member's posting that needs no
      prompt.

    Negative belonging means silence.
    """
    crowd = 1.0 / (1.0 + np.asarray(strangers, np.float64) / crowd_scale)
    prompt = -libm.expm1(-np.asarray(posts_yesterday, np.float64) / reply_posts)
    conversation = initiative + (1.0 - initiative) * prompt
    value = np.maximum(np.asarray(value, np.float64), 0.0)
    return base_rate * value * role_multiplier * talkativeness * crowd * conversation


def invite_rate(value, role_multiplier, tenure, *, base_rate, half_life):
    """Expected invitations per day of an active member (C3, C12).

    From belonging and role, fading with the member's tenure in the group:
    ``base_rate * max(b, 0) * role * 2 ** (-tenure / half_life)``. People bring in their
    ties while a group is new to them (founders: while the group is new); the pool of
    ties who would come is used up, and the novelty passes.
    """
    fade = libm.exp2(-np.asarray(tenure, np.float64) / half_life)
    return base_rate * np.maximum(np.asarray(value, np.float64), 0.0) * role_multiplier * fade


def accept_probability(
    strength_to_inviter, ties_inside, free_attention, *, tie_weight, friends_weight, friends_scale
):
    """Chance that an invitee joins.

    Rises with the strength of its tie to the inviter (C7; strong ties persuade, F12)
    and concavely, saturating, with the number of its ties already inside (F8,
    Backstrom et al. 2006), scaled by the share of its attention still free.
    """
    pull = tie_weight * np.asarray(strength_to_inviter, np.float64) + friends_weight * -libm.expm1(
        -np.asarray(ties_inside, np.float64) / friends_scale
    )
    return np.clip(pull * np.clip(free_attention, 0.0, 1.0), 0.0, 1.0)


def free_attention(load, budget):
    """Share of a person's attention budget not spent reading its groups today (C17).

    An invitee whose attention is taken up by the groups it reads has little room to join
    another (see :func:`accept_probability`).
    """
    return 1.0 - np.asarray(load) / np.maximum(budget, 1e-9)


def leave_probability(net_value, *, max_rate, scale):
    """Daily chance that a member leaves: highest when a group gives it nothing net.

    ``p = max_rate * exp(-max(v, 0) / scale)`` with ``v`` the membership's belonging less
    what it costs to keep (:func:`net_value`). A newcomer who knows no one inside has the
    least belonging and so the highest hazard (C4; a reply or a guide's greeting keeps
    newcomers, F9, C15); a member swamped by strangers' posts it reads leaves too (F18).
    """
    return max_rate * libm.exp(-np.maximum(np.asarray(net_value, np.float64), 0.0) / scale)


def net_value(value, cost, reading, membership_cost):
    """Belonging less the attention a membership takes (F18, C17).

    Its reading cost if the member reads the group; else only the fixed cost of staying
    in it, since a muted member no longer reads the posts.
    """
    return np.asarray(value) - np.where(reading, cost, membership_cost)


def silent_for(last_post_day, today):
    """Days since a group's last organic post (docs/ODD.md, §7.19).

    An organic post is one by a member or by the organiser, a brand included; the
    organiser's promotions do not count, so promotions alone do not keep a group alive.
    """
    return np.asarray(today) - np.asarray(last_post_day)


# --------------------------------------------------------------------------- who does what


def role_multiplier(is_super, multiplier):
    """How much more a super user does of something than an ordinary member (C12).

    Super users are an input trait (about 1% of people); whether they drive outcomes is
    left to emerge.
    """
    return np.where(is_super, multiplier, 1.0)


def looks_again(muted, pulse, unmute_rate, rng):
    """Which muted members look at a group again today and reconsider muting it.

    Each muted member looks again with a small daily chance, and every one of them does
    while the group's event is on (a lecture, a launch: C17 muting is not for ever).
    """
    return muted & ((rng.random(len(muted)) < unmute_rate) | (pulse > 0))


def organiser_posts(rate, promotion_share, engagement, rng):
    """Posts of each group's organiser today and how many of them are promotions.

    A brand organises from outside: it posts a Poisson number of times a day at its
    cohort's rate whatever happens inside (``engagement`` 1). A person organiser is a
    member like the others: it does its organiser's work only while it reads the group,
    in proportion to its belonging up to 1 (``engagement = clip(b, 0, 1)``, 0 once it has
    muted or left), so a group is not kept alive by someone who has lost interest (F14:
    founders matter through what they do). Each post is a promotion with the cohort's
    share (C16: promotions cost belonging, see :func:`belonging`).

    Returns:
        ``(posts, promotions)`` per group.
    """
    posts = rng.poisson(np.asarray(rate, np.float64) * np.clip(engagement, 0.0, 1.0))
    return posts, rng.binomial(posts, promotion_share)


def revealers(posted, reveal_rate, rng):
    """Of the members who posted today, those whose post shows one of their interests (C5)."""
    return posted[rng.random(len(posted)) < reveal_rate]


def held_topic(mask, uniform, topics):
    """Which of its held topics a person picks with one uniform draw: each equally likely.

    The ``floor(uniform * held)``-th set bit of ``mask`` below ``topics``, counted from
    the lowest (``held`` is the number of them); -1 if it holds none. This is every
    uniform choice among a person's topics: the interest a post reveals (C5, F10), the
    topic taken up from the ones a person lacks and the one given up when interests
    drift (F10, F11). Written for one person, so that the compiled kernel
    (``sim/kernels/topics.py``) and the reference apply it as it is.

    Args:
        mask: The person's topics as a bit mask (an integer).
        uniform: One uniform draw in ``[0, 1)``.
        topics: Number of topics (bits looked at).

    Returns:
        The chosen topic id, or -1.
    """
    held = 0
    for t in range(topics):
        if (mask >> t) & 1:
            held += 1
    if held == 0:
        return -1
    j = min(int(uniform * held), held - 1)
    for t in range(topics):
        if (mask >> t) & 1:
            if j == 0:
                return t
            j -= 1
    return -1


def encounter_partners(start, span, encounters, rng):
    """Whom each co-active member meets: ``encounters`` others of the same group (F7).

    Members who posted today are sorted by group; member ``i`` meets members drawn
    uniformly among the other posters of its group (never itself), ``encounters`` times.

    Args:
        start: Where each member's group run starts, in the sorted order.
        span: Length of each member's group run.
        encounters: Encounters per co-active member and day.
        rng: The model's generator.

    Returns:
        ``(me, partner)``: positions, in the sorted order, of the two sides of each meeting.
    """
    can = np.flatnonzero(span > 1)
    me = np.repeat(can, encounters)
    offset = (rng.random(len(me)) * (span[me] - 1)).astype(np.int64)
    partner = start[me] + offset
    return me, np.where(partner >= me, partner + 1, partner)  # skip oneself


def first_of_each(keys, mask):
    """Of the entries where ``mask`` holds, the first of each key (the others are dropped).

    An invitee who accepts several invitations to the same group on one day joins once
    (docs/ODD.md §7.15).
    """
    chosen = np.flatnonzero(mask)
    first = np.zeros(len(keys), bool)
    first[chosen[np.unique(keys[chosen], return_index=True)[1]]] = True
    return mask & first


def within_group_cap(accept, group, members, cap):
    """Acceptances that fit under each group's cap, first come first served.

    A platform caps a group's size (C11); the acceptances of one day are admitted in
    order until the group is full (docs/ODD.md §7.15).
    """
    accept = accept.copy()
    rank = np.zeros(len(group), np.int64)
    acc = np.flatnonzero(accept)
    if len(acc):
        order = acc[np.argsort(group[acc], kind="stable")]
        rank[order] = rank_in_runs(group[order])
        accept[acc] &= (members[group[acc]] + rank[acc]) < cap[group[acc]]
    return accept


def guide_order(is_super, group):
    """Order of a group's veterans as guides: by group, super users first (C15, C12).

    A newcomer is greeted by the first veteran of its group in this order.
    """
    return np.lexsort((~is_super, group))


def dies(silent_days, unmuted_members, *, silence_days):
    """Which living groups die today, and of what (docs/ODD.md, §7.19).

    A group dies of silence after ``silence_days`` without an organic post, or deserted
    when fewer than two members still read it (a conversation needs two). Groups that
    stop posting are the common end of real groups (F14, F15).

    Returns:
        ``(dying, silent)``: masks of the groups that die and of those silent.
    """
    silent = silent_days >= silence_days
    return silent | (unmuted_members < 2), silent


# --------------------------------------------------------------------------- commerce


def need(
    holds_topic,
    bought_before,
    satisfied,
    days_since,
    *,
    appeal,
    off_topic_appeal,
    cycle,
    repurchase=1.0,
):
    """How much a person needs a product today (0..1): interest first, then the cycle.

    Someone who never bought it needs it as much as the product appeals to its interests
    (``appeal`` for a holder of the product's topic, ``off_topic_appeal`` otherwise). After
    a purchase the need starts again from 0: a satisfied buyer's need returns linearly to
    1 over the product's ``cycle`` (``repurchase`` times faster for super users, C12); a
    disappointed buyer's need returns only to what the product's appeal gives anyone.
    Repeat buying on a cycle is the standard description of frequently bought goods
    (Ehrenberg 1988); ``repurchase`` also carries the person's usage rate
    (:func:`usage_rates`), so heavy users need the product again sooner. Whether heavy
    buyers make most of the sales is then measured (C13, M1).
    """
    first = np.where(holds_topic, appeal, off_topic_appeal)
    back = np.clip(np.asarray(days_since, np.float64) * repurchase / cycle, 0.0, 1.0)
    again = np.where(satisfied, back, first * back)
    return np.where(bought_before, again, first)


def usage_rates(n_people, cv, rng):
    """How fast each person uses up what it buys: gamma across people, mean 1 (M1).

    Buyers of a category differ lastingly in how much of it they use: the purchase
    rates of a population are well described as gamma-distributed across people, each
    buying at its own steady rate (the negative binomial model of repeat buying,
    Ehrenberg 1988), and this mixture, not luck alone, is why a minority of heavy
    buyers makes a large share of a brand's sales (M1: about 50-70% by the top 20%,
    Sharp 2010; Kim, Singh & Winer 2017). A person's rate multiplies how fast its need
    returns after a purchase (:func:`need`). Shape ``1 / cv ** 2``, scale ``cv ** 2``.

    Args:
        n_people: Number of people.
        cv: Coefficient of variation across people (0: everyone alike).
        rng: The model's generator: one gamma draw per person, none when ``cv`` is 0.

    Returns:
        The rates (float64, mean 1), or ``None`` when ``cv`` is 0.
    """
    if cv == 0:
        return None
    return rng.gamma(1.0 / cv**2, cv**2, size=n_people)


def trust(strength, baseline):
    """Trust in a source, from the strength of one's relationship with it (C11).

    ``baseline + (1 - baseline) * s``: a stranger or an unknown brand earns the baseline;
    a close tie or a brand one is intimate with, nearly full trust. Recommendations from
    strong ties are more influential than from weak ones (Brown & Reingen 1987; F12 for
    invitations), and the same rule serves the brand, whose relationship is a tie to it.
    """
    return baseline + (1.0 - baseline) * np.asarray(strength, np.float64)


def purchase_hazard(conversion, need_today, trust_in_source, convert=1.0):
    """Hazard of buying from one exposure: ``conversion * convert * need * trust`` (C11).

    Summed over a person's exposures of a day, the chance to buy that day is
    ``1 - exp(-sum)`` (:func:`buy_probability`); the exposure that led to the purchase is
    drawn in proportion to its hazard, so channels compete and none is favoured by rule.
    ``convert`` is the super users' conversion trait (C12).
    """
    return conversion * convert * need_today * trust_in_source


def buy_probability(total_hazard):
    """Chance of at least one purchase in a day from the summed hazard of its exposures."""
    return -libm.expm1(-np.asarray(total_hazard, np.float64))


def talk_rate(base_rate, trait, days_since_good_purchase, half_life):
    """Recommendations (or referral invitations) a satisfied buyer makes per day.

    ``base_rate * trait * 2 ** (-days / half_life)``: buyers talk about a good purchase
    most right after it, then less (word of mouth follows the experience, Anderson 1998);
    only satisfied buyers talk. ``trait`` is the super users' sharing or referring trait
    (C12); the receiving tie is chosen in proportion to its strength, since strong ties
    are the ones activated for referrals (Brown & Reingen 1987).
    """
    return (
        base_rate * trait * libm.exp2(-np.asarray(days_since_good_purchase, np.float64) / half_life)
    )


def brand_relationship(
    relationship,
    read_brand_content,
    good,
    bad,
    days,
    *,
    half_life,
    contact_gain,
    experience_gain,
    disappointment,
):
    """A person's relationship with the brand after one day (0..1; C10, C18).

    It decays like a tie without contact (half-life ``half_life``, F5), grows towards 1
    on a day the person reads the brand's own posts (contact) and more with a good
    experience, and loses a share with a bad one. Where it ranks among the person's ties
    (inside the intimate 15 or not, C10) is measured, never set.
    """
    r = np.asarray(relationship, np.float64) * libm.exp2(-days / half_life)
    r = np.where(read_brand_content, r + contact_gain * (1.0 - r), r)
    r = np.where(good, r + experience_gain * (1.0 - r), r)
    r = np.where(bad, r * (1.0 - disappointment), r)
    return np.clip(r, 0.0, 1.0)


def introduced_relationship(relationship, tie_to_source):
    """A word-of-mouth buyer's relationship with the brand on its purchase (0..1; M2, C14).

    Who buys on a friend's recommendation or referral first knows the brand through that
    friend: its relationship is raised to the strength of its tie to the friend, never
    lowered (social enrichment: referred customers are more loyal, and part of the
    reason is the bond with the person who brought them; Schmitt, Skiera & Van den
    Bulte 2011). It then decays and follows experience as any relationship does
    (:func:`brand_relationship`).
    """
    return np.maximum(np.asarray(relationship, np.float64), np.asarray(tie_to_source, np.float64))


def pick_in_proportion(keys, weights, uniforms):
    """For each run of equal ``keys`` (sorted), the index of one entry drawn by weight.

    ``uniforms`` holds one U(0, 1) per run. Used to name the exposure that led to a
    purchase: each is chosen in proportion to its hazard (:func:`purchase_hazard`).
    """
    keys = np.asarray(keys)
    if len(keys) == 0:
        return np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.append(starts[1:], len(keys))
    cum = np.cumsum(np.asarray(weights, np.float64))
    before = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
    target = before + np.asarray(uniforms) * (cum[ends - 1] - before)
    index = np.searchsorted(cum, target, side="right")
    return np.clip(index, starts, ends - 1)
