"""The one error of bad input: a scenario, experiment or edge list file, or a ``--set``.

Every problem with what a person wrote is a :class:`ScenarioError` that names the file,
the line, the field's dotted path and what is allowed, so that the command line can
print one message and exit with status 2.
"""

from __future__ import annotations

import difflib


class ScenarioError(ValueError):
    """A scenario or experiment file that cannot be used, with where and why.

    Attributes:
        file: The file the problem is in (or ``"--set"`` for an override).
        line: 1-based line of the offending key or value, if known.
        field: Dotted path of the field, if known.
        problem: What is wrong and what is allowed.
    """

    def __init__(self, file: str, problem: str, line: int | None = None, field: str = ""):
        self.file, self.line, self.field, self.problem = file, line, field, problem
        where = file if line is None else f"{file}:{line}"
        super().__init__(f"{where}: {field + ': ' if field else ''}{problem}")


def did_you_mean(word: str, known: list[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``known`` to ``word``, or ``""``."""
    guess = difflib.get_close_matches(word, known, n=1)
    return f"; did you mean '{guess[0]}'?" if guess else ""
