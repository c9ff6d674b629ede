"""Every package that ``sim/`` imports is one that installing groupsim brings.

The README's first command installs groupsim without extras, while the tests run with
the ``dev`` extra, which pulls in more (Markdown arrives through the browser page's
packages, for instance). A module that imports such a package works under the tests and
fails for a user: this test reads the imports themselves and checks them against
``pyproject.toml``.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from functools import cache
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent

# Imports that belong to an extra, and the only modules allowed to make them; each of
# these modules says what to install when the package is missing.
OPTIONAL = {
    "pyabc": ("calibrate", {"sim/calibration/fit.py", "sim/cli/calibrate.py"}),
    "solara-ui": ("viz", {"sim/app.py"}),
}


def imported_distributions() -> dict[str, set[str]]:
    """Third-party distributions imported anywhere in ``sim/``, with the files that do."""
    distributions = packages_distributions()
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "sim").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.partition(".")[0]
                if top in sys.stdlib_module_names or top == "sim":
                    continue
                for dist in distributions.get(top, [top]):
                    name = canonicalize_name(dist)
                    found.setdefault(name, set()).add(path.relative_to(ROOT).as_posix())
    return found


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@cache
def requirements_of(dist: str) -> tuple[Requirement, ...]:
    """What the installed ``dist`` declares it needs (none if it is not installed)."""
    try:
        return tuple(Requirement(line) for line in requires(dist) or [])
    except PackageNotFoundError:
        return ()


def extra_requirements(dist: str, extra: str) -> list[Requirement]:
    """What ``dist[extra]`` adds to ``dist``."""
    return [
        r
        for r in requirements_of(dist)
        if r.marker and r.marker.evaluate({"extra": extra}) and not r.marker.evaluate({"extra": ""})
    ]


def provided(lines: list[str], *, depth: int) -> set[str]:
    """Distributions that ``lines`` install: themselves, their extras' and, while
    ``depth`` lasts, what those require in turn."""
    names: set[str] = set()
    todo = [(Requirement(line), depth) for line in lines]
    while todo:
        requirement, left = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in names:
            continue
        names.add(name)
        for extra in requirement.extras:
            todo += [(r, left) for r in extra_requirements(name, extra)]
        if left > 0:
            todo += [(r, left - 1) for r in requirements_of(name) if not r.marker]
    return names


def test_every_import_of_sim_is_a_dependency_of_groupsim():
    meta = project()
    base = provided(meta["dependencies"], depth=0)
    missing = []
    for dist, files in imported_distributions().items():
        if dist in base:
            continue
        extra, allowed = OPTIONAL.get(dist, (None, set()))
        in_extra = extra is not None and dist in provided(
            meta["optional-dependencies"][extra], depth=2
        )
        if not in_extra or not files <= allowed:
            missing.append(f"{dist}: imported by {sorted(files)}")
    assert not missing, "imported but not installed by `pip install groupsim`: " + "; ".join(
        missing
    )


def test_the_check_sees_the_imports_it_is_about():
    found = imported_distributions()
    # The core of the model, the tables, an optional extra, and a package that only a
    # command-line report uses: if these go unseen, the check above proves nothing.
    for dist in ("numpy", "pyarrow", "pyabc", "typer"):
        assert dist in found
    assert "sim/tables.py" in found["pyarrow"]
