"""Names of scenarios and experiments: each becomes a folder under the output folder."""

from __future__ import annotations

NAME_PUNCTUATION = "._-+=@, "
"""Characters besides letters and digits that a scenario's or experiment's name may hold."""

NAME_LENGTH = 100
"""Longest name: it becomes a folder's name."""


def name_problem(name: str) -> str | None:
    """What makes ``name`` unfit to be a folder name under the output folder, if anything.

    A name becomes ``<out>/<name>/``, so it must be a single plain file name: no path
    separators, no ``.`` or ``..``, no leading dot (that would hide it, and hidden names
    are the run folders' temporary ones) and no control characters.
    """
    if not name:
        return "a name cannot be empty"
    if len(name) > NAME_LENGTH:
        return f"a name has at most {NAME_LENGTH} characters (this one has {len(name)})"
    bad = sorted({c for c in name if not (c.isalnum() or c in NAME_PUNCTUATION)})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return (
            f"a name becomes a folder, and cannot hold {shown}; use letters, digits and "
            f"{' '.join(NAME_PUNCTUATION.strip())} or spaces"
        )
    if name[0] in ". " or name[-1] == " ":
        return "a name becomes a folder, and cannot start with a dot or a space"
    return None


def name_from_stem(stem: str, fallback: str) -> str:
    """A safe name made from a file's stem (unfit characters become dashes)."""
    cleaned = "".join(c if c.isalnum() or c in NAME_PUNCTUATION else "-" for c in stem)
    cleaned = cleaned[:NAME_LENGTH].lstrip(". ").rstrip(" ")
    return cleaned if cleaned and name_problem(cleaned) is None else fallback


def check_name(name: str | None) -> str | None:
    """Field validator of ``name`` fields: a name that :func:`name_problem` refuses raises."""
    if name is not None and (problem := name_problem(name)) is not None:
        raise ValueError(problem)
    return name
