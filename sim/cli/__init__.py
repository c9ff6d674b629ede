"""The ``groupsim`` command line: the only part of groupsim that talks to people.

Bad input (a missing file, YAML syntax, an unknown key, a value out of range) is
reported as one message naming the file, line and field, with exit status 2 and no
traceback. The commands live in the modules of this package; importing it registers
them all on :data:`app`.
"""

from __future__ import annotations

import sys

from sim.cli import (  # noqa: F401 (commands)
    calibrate,
    claims,
    commands,
    compare,
    facts,
    sweep,
    viz,
)
from sim.cli.common import app, err_console, error, out_console, rich_table
from sim.scenario import ScenarioError

__all__ = ["app", "err_console", "main", "out_console", "rich_table"]


def main() -> None:
    """Entry point of the ``groupsim`` console script."""
    try:
        app()
    except ScenarioError as problem:  # raised deeper than a command's own check
        error(problem)
        sys.exit(2)


if __name__ == "__main__":
    main()
