"""Metrics computed from hand-built tables, where the right answer is known."""

from __future__ import annotations

import pandas as pd

from sim.metrics import cascade_depths


def memberships(rows: list[tuple[int, int, int, int, int, bool]]) -> pd.DataFrame:
    """A memberships table from (group, person, joined, left, inviter, founder) rows."""
    return pd.DataFrame(rows, columns=["group", "person", "joined", "left", "inviter", "founder"])


def test_the_inviter_membership_is_the_one_current_when_the_invitee_joined():
    # Founder 0 invites 1 (depth 1); 1 invites 2 on day 5 (depth 2); 1 leaves on day 8
    # and is re-invited by 2 on day 10 (depth 3). That later membership began after 2
    # joined and must not be taken for the one that invited 2.
    frame = memberships(
        [
            (7, 0, 0, -1, -1, True),
            (7, 1, 1, 8, 0, False),
            (7, 2, 5, -1, 1, False),
            (7, 1, 10, -1, 2, False),
        ]
    )
    assert cascade_depths(frame).tolist() == [0, 1, 2, 3]


def test_an_inviter_who_had_left_before_the_join_links_nothing():
    # 1 left on day 3; the join of 2 on day 5 names 1, who was not a member then.
    frame = memberships(
        [
            (0, 0, 0, -1, -1, True),
            (0, 1, 1, 3, 0, False),
            (0, 2, 5, -1, 1, False),
        ]
    )
    assert cascade_depths(frame).tolist() == [0, 1, 0]


def test_chains_across_groups_are_kept_apart():
    frame = memberships(
        [
            (0, 0, 0, -1, -1, True),
            (0, 1, 2, -1, 0, False),
            (1, 1, 0, -1, -1, True),
            (1, 0, 3, -1, 1, False),
            (1, 2, 4, -1, 0, False),
        ]
    )
    assert cascade_depths(frame).tolist() == [0, 1, 0, 1, 2]
