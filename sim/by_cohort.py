"""Daily series by cohort, recorded while a model steps.

The model's DataCollector records daily counts pooled over every group. A question such
as "which groups are still talking after six months?" needs them per cohort, and the
size of a *typical* group rather than a sum that the cohort with the biggest groups
dominates. :class:`CohortDays` reads the model's public tables after each day and keeps
one row per cohort and day; ``groupsim run`` writes it as ``cohort_days.parquet`` and
draws its figures from it, and the browser page draws it live.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

QUARTILES = (0.25, 0.5, 0.75)
COLUMNS = (
    "day",
    "cohort",
    "groups_alive",
    "members",
    "active",
    "posts",
    "members_q25",
    "members_median",
    "members_q75",
)
"""The columns of :meth:`CohortDays.frame`: members and active (unmuted) members are
summed over the cohort's living groups; the quartiles are of members per living group."""


def _quartiles(cohort: np.ndarray, members: np.ndarray, cohorts: int) -> np.ndarray:
    """Quartiles of ``members`` within each cohort (NaN for a cohort with no group).

    Returns:
        An array of shape ``(cohorts, 3)``, interpolated linearly as ``np.quantile`` does.
    """
    order = np.lexsort((members, cohort))
    values = members[order].astype(np.float64)
    counts = np.bincount(cohort, minlength=cohorts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    out = np.full((cohorts, len(QUARTILES)), np.nan)
    some = counts > 0
    for column, q in enumerate(QUARTILES):
        position = starts[some] + q * (counts[some] - 1)
        low = np.floor(position).astype(np.int64)
        high = np.ceil(position).astype(np.int64)
        out[some, column] = values[low] + (values[high] - values[low]) * (position - low)
    return out


class CohortDays:
    """Records, after each day of a model, its cohorts' groups, members and posts.

    Call it after every step (``model.run(progress=recorder)`` does). It reads only the
    model's public state: ``groups``, ``memberships``, ``active_memberships()`` and
    ``cohort_names``.

    Args:
        model: A :class:`~sim.model.GroupModel` before its first step.
    """

    def __init__(self, model) -> None:
        self.model = model
        self.names = list(model.cohort_names) or ["none"]
        self._posts_before = np.zeros(len(self.names), np.int64)
        self._days: list[np.ndarray] = []

    def __call__(self, day: int | None = None) -> None:
        """Record the day just finished (``day`` is ignored: progress callbacks pass it)."""
        model, k = self.model, len(self.names)
        g, m = model.groups, model.memberships
        alive = g.alive
        cohort = g.cohort.astype(np.int64)
        posts = np.bincount(cohort, g.posts, minlength=k).astype(np.int64)
        rows = model.active_memberships()  # current members of living groups
        member_cohort = cohort[m.group[rows]]
        unmuted = ~m.muted[rows]
        block = np.empty((k, len(COLUMNS) - 2))
        block[:, 0] = np.bincount(cohort[alive], minlength=k)
        block[:, 1] = np.bincount(member_cohort, minlength=k)
        block[:, 2] = np.bincount(member_cohort[unmuted], minlength=k)
        block[:, 3] = posts - self._posts_before
        block[:, 4:] = _quartiles(cohort[alive], g.members[alive], k)
        self._posts_before = posts
        self._days.append(block)

    def frame(self) -> pd.DataFrame:
        """One row per recorded day and cohort (see :data:`COLUMNS`)."""
        k = len(self.names)
        days = len(self._days)
        data = np.concatenate(self._days) if days else np.zeros((0, len(COLUMNS) - 2))
        frame = pd.DataFrame(data, columns=list(COLUMNS[2:]))
        frame.insert(0, "cohort", pd.Series(np.tile(np.array(self.names, dtype=object), days)))
        frame.insert(0, "day", np.repeat(np.arange(days), k))
        counts = ["groups_alive", "members", "active", "posts"]
        return frame.astype(dict.fromkeys(counts, np.int64))
