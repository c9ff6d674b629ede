"""docs/ODD.md's parameter tables say what the code does: every default and meaning."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from sim.config import Scenario
from sim.config.groups import Cohort

ODD = (Path(__file__).parent.parent / "docs" / "ODD.md").read_text(encoding="utf-8")
APPENDIX = ODD[ODD.index("## Appendix: all parameters and defaults") :]
APPENDIX = APPENDIX[: APPENDIX.index("\n## ", 5)]
ROOT_SECTIONS = {"Top level": Scenario, "groups.<cohort>": Cohort}


def section_model(path: str) -> type[BaseModel] | None:
    """The configuration class at a dotted section path, e.g. ``network.ties``."""
    if path in ROOT_SECTIONS:
        return ROOT_SECTIONS[path]
    head, *rest = path.split(".")
    model: type[BaseModel] = Cohort if head == "groups" else Scenario
    parts = rest[1:] if head == "groups" else [head, *rest]
    for part in parts:
        annotation = model.model_fields[part].annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        model = next(c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel))
    return model


def shown(default: object) -> str:
    """A default as the tables write it, for plain numbers and names."""
    if isinstance(default, str):
        return f"`{default}`" if default else "(empty)"
    if default is None:
        return "none"
    return str(default).replace("(", "[").replace(")", "]")


def appendix_rows() -> list[tuple[str, str, str, str]]:
    """(section, field, default, meaning) of every row of the appendix's tables."""
    rows, section = [], None
    for line in APPENDIX.splitlines():
        header = re.match(r"^\*\*(?:`([^`]+)`|(Top level))\*\* — ", line)
        if header:
            section = header.group(1) or header.group(2)
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if section and len(cells) == 4 and cells[0].startswith("`"):
            rows.append((section, cells[0].strip("`"), cells[1], cells[3]))
    return rows


ROWS = appendix_rows()


def test_the_appendix_lists_every_field_of_every_section():
    sections = {section for section, *_ in ROWS}
    assert {"Top level", "behaviour", "network.ties", "groups.<cohort>"} <= sections
    for section in sections:
        model = section_model(section)
        listed = {name for s, name, *_ in ROWS if s == section}
        # A section of its own is listed under its own heading instead.
        prefix = "" if section == "Top level" else f"{section}."
        own = {name for name in model.model_fields if f"{prefix}{name}" in sections}
        assert listed | own == set(model.model_fields), section


@pytest.mark.parametrize(
    "section, name, default, meaning", ROWS, ids=[f"{r[0]}.{r[1]}" for r in ROWS]
)
def test_an_appendix_row_shows_the_code_s_default_and_meaning(section, name, default, meaning):
    field = section_model(section).model_fields[name]
    # An optional section without a description of its own is described by its class.
    inner = section_model(f"{section}.{name}") if field.description is None else None
    assert meaning == (field.description or inner.__doc__.splitlines()[0])
    if field.is_required():
        assert default == "*required*"
    elif isinstance(field.default, int | float | str) and not isinstance(field.default, bool):
        assert default == shown(field.default)


SUBMODEL_ROWS = re.findall(
    r"^\| `((?:behaviour|population|network|commerce)\.[a-z_.]+(?:\[\]\.[a-z_]+)?)` "
    r"\| [^|]+ \| ([^|]+) \| [^|]+ \| ([^|]+) \|$",
    ODD,
    flags=re.MULTILINE,
)


@pytest.mark.parametrize("path, default, meaning", SUBMODEL_ROWS, ids=[r[0] for r in SUBMODEL_ROWS])
def test_a_submodel_table_shows_the_code_s_default_and_meaning(path, default, meaning):
    section, _, name = path.rpartition(".")
    field = section_model(section.replace("[]", "")).model_fields[name]
    assert meaning.strip() == field.description
    if isinstance(field.default, int | float) and not isinstance(field.default, bool):
        assert default.strip() == shown(field.default)


def test_the_submodel_tables_name_the_new_mechanisms():
    named = {path for path, *_ in SUBMODEL_ROWS}
    assert len(SUBMODEL_ROWS) > 30
    assert {"behaviour.crowd_scale", "behaviour.initiative", "behaviour.invite_half_life"} <= named
    assert {"commerce.conversion", "commerce.products[].cycle", "commerce.brand.half_life"} <= named
