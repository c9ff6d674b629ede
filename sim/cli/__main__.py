"""``python -m sim.cli``: the same as the ``groupsim`` command."""

from sim.cli import main

main()
