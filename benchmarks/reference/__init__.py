"""A plain, agent-by-agent reference implementation of groupsim's daily model.

:class:`ReferenceModel` runs the same eight phases as :class:`sim.model.GroupModel`, on
the same kind of world (built by :func:`sim.world.build_world`), with the same behaviour
rules (:mod:`sim.rules`, called on scalars), but keeps every piece of state in plain
Python objects and loops over people, their memberships and their ties one at a time.
It is the executable specification of the model: slow, short and meant to be read.
``tests/test_differential.py`` checks that the fast model's outcomes follow the same
distributions.
"""

from benchmarks.reference.agents import Membership, Person, Tie
from benchmarks.reference.model import Group, ReferenceModel, reference_tables

__all__ = ["Group", "Membership", "Person", "ReferenceModel", "Tie", "reference_tables"]
