"""Settings that are valid but cannot take effect, said before and after a run.

A scenario can ask for something the run will never show: an ice-breaker or a guide
programme that would start after the horizon, an event that begins after it. And a run can
end with groups whose size was set by their cap rather than by the model. Neither is an
error; both deserve a word to the person who asked.
"""

from __future__ import annotations

import pandas as pd

from sim.config import Scenario


def ineffective_settings(scenario: Scenario) -> list[str]:
    """What in a scenario can never take effect within its horizon (or only for some)."""
    notes, days = [], scenario.days
    icebreaker = scenario.interventions.icebreaker
    for name in icebreaker.cohorts if icebreaker else ():
        first, last = scenario.groups[name].created_range
        if first + icebreaker.day >= days:
            notes.append(
                f"interventions.icebreaker.day: {icebreaker.day} days after creation is after "
                f"the horizon ({days} days) for every group of '{name}': it never runs"
            )
        elif last + icebreaker.day >= days:
            notes.append(
                f"interventions.icebreaker.day: groups of '{name}' created after day "
                f"{days - 1 - icebreaker.day} never get the ice-breaker"
            )
    guides = scenario.interventions.guides
    if guides is not None and guides.from_day >= days:
        notes.append(
            f"interventions.guides.from_day: day {guides.from_day} is at or after the horizon "
            f"({days} days): no newcomer is ever greeted"
        )
    for name, cohort in scenario.groups.items():
        event = cohort.resolved_event
        if event is not None and cohort.created_range[0] + event.start >= days:
            notes.append(
                f"groups.{name}.event.start: the event would begin after the horizon for "
                f"every group of '{name}': no pulse"
            )
        if cohort.count == 0:
            notes.append(f"groups.{name}.count: 0, the cohort is switched off")
    notes += commerce_notes(scenario)
    if scenario.variants:
        notes.append(
            f"variants: {len(scenario.variants)} declared; this run is the scenario as "
            "written, and groupsim compare runs the variants side by side"
        )
    return notes


def commerce_notes(scenario: Scenario) -> list[str]:
    """Commerce settings that cannot take effect (a platform cap, a reward, a push)."""
    notes, net = [], scenario.network
    if net.platform_cap is not None and net.platform_cap >= net.dunbar.cap:
        notes.append(
            f"network.platform_cap: {net.platform_cap} is not below network.dunbar.cap "
            f"({net.dunbar.cap}), so it changes nothing"
        )
    reward = scenario.interventions.referral_reward
    if reward is not None and not scenario.commerce.on:
        notes.append(
            "interventions.referral_reward: the scenario has no products "
            "(commerce.products), so no referral is ever rewarded"
        )
    elif reward is not None and reward.from_day >= scenario.days:
        notes.append(
            f"interventions.referral_reward.from_day: day {reward.from_day} is at or after "
            f"the horizon ({scenario.days} days): no referral is ever rewarded"
        )
    push = scenario.interventions.promotion_push
    for name in push.cohorts if push else ():
        if scenario.groups[name].content.organiser_posts_per_day == 0:
            notes.append(
                f"interventions.promotion_push: the organisers of '{name}' post nothing "
                "(content.organiser_posts_per_day: 0), so there is nothing to push"
            )
    return notes


def capped_groups(groups: pd.DataFrame, scenario: Scenario) -> list[str]:
    """Cohorts with groups that reached their cap: their size was the cap's, not the model's."""
    notes = []
    for name, cohort in scenario.groups.items():
        part = groups[groups["cohort"] == name]
        full = int((part["peak"] >= cohort.cap).sum())
        if full:
            notes.append(
                f"groups.{name}.cap: {full} of {len(part)} groups reached the cap of "
                f"{cohort.cap} members, so the cap, not the model, set their size"
            )
    return notes
