"""How much memory a run needs and how much there is: refuse a run that cannot fit.

A run's memory is dominated by the world (each person's candidate ties while it is
built, then its ties) and by the membership table (every founding member of every
group, allocated twice over up front). :func:`run_bytes` estimates both from the
scenario alone, with per-person and per-member costs measured on this code (the
estimate errs on the high side by about a quarter: 1M people with the default circles
peak at 5.5 GiB and are estimated at 6.8 GiB). :func:`memory_problem` compares that
with what this process may still allocate: its address-space limit (``ulimit -v``), its
control group's memory limit and the memory the system has available.
"""

from __future__ import annotations

import contextlib
import resource
from dataclasses import dataclass
from pathlib import Path

from sim.config import Scenario

GiB = 2**30

BYTES_PER_PERSON = 2048
"""A person's own arrays (budget, interests, tie index, daily state), measured."""

BYTES_PER_CANDIDATE_TIE = 35
"""One candidate tie of a person while the world is built (pairs, keys, sorting)."""

BYTES_PER_EDGELIST_BYTE = 30
"""Memory per byte of an edge list file while it is read as text and parsed."""

BYTES_PER_FOUNDER = 400
"""One planned founding member: two rows of the membership table, tables and copies."""

BYTES_PER_GROUP = 160
"""One group's fixed row of the group table and its share of the output tables."""


def _mean(pair: tuple[int, int]) -> float:
    return (pair[0] + pair[1]) / 2


def ties_per_person(scenario: Scenario) -> float:
    """Candidate ties per person that the network generator makes, on average."""
    net = scenario.network
    if net.generator == "watts_strogatz":
        return float(net.watts_strogatz.k)
    if net.generator == "holme_kim":
        return 2.0 * net.holme_kim.m
    if net.generator == "edgelist":
        return 0.0
    c = net.circles
    return (
        c.household_size_mean * c.family_households
        + c.friend_circles * _mean(c.friend_circle_size)
        + c.employed * _mean(c.team_size)
        + c.neighbour_ties
        + c.clubs * c.club_tie_share * _mean(c.club_size)
    )


@dataclass(frozen=True)
class Need:
    """A run's estimated memory, in bytes, by part."""

    people: int
    groups: int

    @property
    def total(self) -> int:
        """Both parts."""
        return self.people + self.groups


def run_bytes(scenario: Scenario, with_groups: bool = True) -> Need:
    """Estimated memory a run adds to the process, by part (people, groups).

    Args:
        scenario: The scenario.
        with_groups: Count the groups (False for ``groupsim world``, which builds only
            the world).
    """
    n = scenario.population.size
    people = n * (BYTES_PER_PERSON + BYTES_PER_CANDIDATE_TIE * ties_per_person(scenario))
    edgelist = scenario.network.edgelist
    if scenario.network.generator == "edgelist" and edgelist is not None:
        with contextlib.suppress(OSError):  # a missing file is reported elsewhere
            people += Path(edgelist.path).stat().st_size * BYTES_PER_EDGELIST_BYTE
    groups = 0.0
    if with_groups:
        for cohort in scenario.groups.values():
            founders = BYTES_PER_FOUNDER * _mean(cohort.size_range)
            groups += cohort.count * (BYTES_PER_GROUP + founders)
    return Need(int(people), int(groups))


def _status_bytes(field: str) -> int | None:
    """A ``kB`` field of ``/proc/self/status`` in bytes (Linux), or None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _meminfo_available() -> int | None:
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        return (int(fields["MemAvailable"].split()[0]) + int(fields["SwapFree"].split()[0])) * 1024
    except (OSError, ValueError, KeyError, IndexError):
        return None


def _cgroup_available() -> int | None:
    """What the process's control group (v2) may still use, if it is limited."""
    try:
        line = Path("/proc/self/cgroup").read_text().splitlines()[0]
        group = Path("/sys/fs/cgroup") / line.split("::", 1)[1].lstrip("/")
        limit = (group / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return int(limit) - int((group / "memory.current").read_text())
    except (OSError, ValueError, IndexError):
        return None


def available() -> tuple[int, str] | None:
    """What this process may still allocate, and what sets that bound (None: unknown).

    The least of: the address-space limit less what the process has mapped, its control
    group's limit less its use, and the system's available memory and swap.
    """
    bounds: list[tuple[int, str]] = []
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    mapped = _status_bytes("VmSize")
    if soft != resource.RLIM_INFINITY and mapped is not None:
        bounds.append((soft - mapped, "the address-space limit of this process (ulimit -v)"))
    group = _cgroup_available()
    if group is not None:
        bounds.append((group, "the memory limit of this process's control group"))
    system = _meminfo_available()
    if system is not None:
        bounds.append((system, "the memory this machine has available"))
    return min(bounds) if bounds else None


def _gib(value: float) -> str:
    return f"{value / GiB:.1f} GiB"


def memory_problem(
    scenario: Scenario, runs_at_once: int = 1, with_groups: bool = True
) -> tuple[tuple, str] | None:
    """Why a run (or ``runs_at_once`` runs side by side) would not fit in memory.

    Returns:
        None if it fits (or nothing is known of the memory); else the field to blame
        (the population's size, or the count of the cohort with the most founding
        members) and a message that says what would fit.
    """
    room = available()
    if room is None:
        return None
    free, bound = room
    need = run_bytes(scenario, with_groups)
    if need.total * runs_at_once <= free:
        return None
    share = free / runs_at_once
    side = f" each, {runs_at_once} side by side," if runs_at_once > 1 else ""
    per_person = need.people / max(scenario.population.size, 1)
    people_fit = max(int((share - need.groups) / per_person), 0)
    text = (
        f"this run needs about {_gib(need.total)} of memory{side} "
        f"({scenario.population.size:,} people: {_gib(need.people)}; groups: "
        f"{_gib(need.groups)}) and about {_gib(free)} is free ({bound}); "
    )
    if need.people >= need.groups or not scenario.groups:
        fit = f"about {people_fit:,} people would fit" if people_fit else "no size would fit"
        return ("population", "size"), text + fit
    name = max(
        scenario.groups,
        key=lambda key: scenario.groups[key].count * _mean(scenario.groups[key].size_range),
    )
    per_group = need.groups / sum(c.count for c in scenario.groups.values())
    count_fit = max(int((share - need.people) / per_group), 0)
    fit = f"about {count_fit:,} groups of this size in all would fit"
    return ("groups", name, "count"), text + fit
