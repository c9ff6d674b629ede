"""Scenario files: loading, overrides, the JSON Schema and one clear error per bad file.

Each bad scenario is a small YAML file; the error must name the file, the 1-based line of
the offending key (found in the text itself, so the expectation cannot drift from the
file), the dotted field and what is wrong.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.config import KIND_CODES, Scenario
from sim.scenario import ScenarioError, json_schema, load_scenario, scenario_from_dict
from sim.world import build_world

# A cohort that is valid on its own, for files that need one.
COHORT = "    driver: relationship\n    count: 3\n    size: 5\n"


def write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, marker: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line of ``text`` that starts with ``marker``."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if line.startswith(marker)]
    assert len(hits) >= occurrence, f"{marker!r} not in the test's own YAML"
    return hits[occurrence - 1]


def load_error(path: Path, overrides: tuple[str, ...] = ()) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, list(overrides))
    return info.value


# --------------------------------------------------------------------------- bad files

# (id, YAML text, marker of the offending line, dotted field, key phrase of the problem)
BAD_FILES = [
    (
        "unknown top-level key",
        "seed: 3\ndays: 20\npopulaton:\n  size: 100\n",
        "populaton:",
        "populaton",
        "did you mean 'population'",
    ),
    (
        "unknown nested key",
        "days: 20\npopulation:\n  interests:\n    topics: 10\n  sise: 100\n",
        "  sise:",
        "population.sise",
        "did you mean 'size'",
    ),
    (
        "wrong type",
        "days: 20\npopulation:\n  size: many\n",
        "  size:",
        "population.size",
        "valid integer",
    ),
    (
        "out of range",
        "days: 20\nnetwork:\n  generator: circles\n  dunbar:\n    layers: [5, 15]\n    cap: 0\n",
        "    cap:",
        "network.dunbar.cap",
        "greater than or equal to 1",
    ),
    (
        "bad literal",
        "days: 20\nnetwork:\n  dunbar:\n    cap: 100\n  generator: smallworld\n",
        "  generator:",
        "network.generator",
        "'smallworld' is not allowed",
    ),
    (
        "duplicate key",
        "days: 20\npopulation:\n  size: 100\n  interests:\n    topics: 10\n  size: 200\n",
        "  size:",
        "population.size",
        "duplicate key 'size'",
    ),
    (
        "cohort without driver",
        "days: 20\ngroups:\n  fam:\n" + COHORT + "  pals:\n    count: 3\n    size: 5\n",
        "  pals:",
        "groups.pals.driver",
        "required",
    ),
    (
        "cohort size above its cap",
        "days: 20\ngroups:\n  fam:\n" + COHORT + "  big:\n    driver: event\n"
        "    count: 1\n    size: [10, 80]\n    cap: 50\n",
        "  big:",
        "groups.big",
        "exceeds the group's cap (50)",
    ),
    (
        "cohort created at the horizon",
        "days: 20\ngroups:\n  fam:\n" + COHORT + "    created: [0, 20]\n",
        "    created:",
        "groups.fam.created",
        "at or after the horizon",
    ),
    (
        "cohort bigger than the population",
        "days: 20\npopulation:\n  size: 100\ngroups:\n  big:\n    driver: event\n"
        "    count: 1\n    size: 200\n",
        "    size:",
        "groups.big.size",
        "exceed the population (100)",
    ),
    (
        "intervention naming an unknown cohort",
        "days: 20\ngroups:\n  family:\n" + COHORT + "interventions:\n  icebreaker:\n"
        "    cohorts:\n      - family\n      - famly\n",
        "      - famly",
        "interventions.icebreaker.cohorts.1",
        "did you mean 'family'",
    ),
    (
        "edgelist generator without an edgelist section",
        "days: 20\npopulation:\n  size: 100\nnetwork:\n  generator: edgelist\n",
        "network:",
        "network",
        "edgelist section",
    ),
    (
        "edge list file missing",
        "days: 20\nnetwork:\n  generator: edgelist\n  edgelist:\n    path: nowhere.csv\n",
        "    path:",
        "network.edgelist.path",
        "not found",
    ),
    (
        "per_person above topics",
        "days: 20\npopulation:\n  size: 100\n  interests:\n    topics: 4\n    per_person: 5\n",
        "  interests:",
        "population.interests",
        "per_person (5) cannot exceed topics (4)",
    ),
    (
        "layers not increasing",
        "network:\n  dunbar:\n    layers: [5, 50, 15]\n",
        "  dunbar:",
        "network.dunbar",
        "layers must increase",
    ),
    (
        "brand organiser of a relationship cohort",
        "days: 20\ngroups:\n  fam:\n" + COHORT + "    organiser: brand\n",
        "    organiser:",
        "groups.fam.organiser",
        "'brand' organises only event groups",
    ),
    (
        "circle of an event cohort",
        "days: 20\ngroups:\n  talk:\n    driver: event\n    count: 1\n    size: 5\n"
        "    circle: kin\n",
        "    circle:",
        "groups.talk.circle",
        "this cohort's driver is 'event'",
    ),
    (
        "size range reversed",
        "groups:\n  g:\n    driver: event\n    count: 1\n    size: [10, 5]\n",
        "  g:",
        "groups.g",
        "low (10) exceeds high (5)",
    ),
]


@pytest.mark.parametrize(
    ("text", "marker", "field", "phrase"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_bad_file_is_reported_with_place(tmp_path, text, marker, field, phrase):
    path = write(tmp_path, text)
    error = load_error(path)
    occurrence = 2 if "duplicate" in phrase else 1
    assert error.file == str(path)
    assert error.line == line_of(text, marker, occurrence)
    assert error.field == field
    assert phrase in error.problem
    # The message itself carries file:line and the field, for the command line.
    assert str(error).startswith(f"{path}:{error.line}: {field}: ")


def test_bad_literal_lists_allowed_values(tmp_path):
    error = load_error(write(tmp_path, "network:\n  generator: smallworld\n"))
    for allowed in ("circles", "watts_strogatz", "holme_kim", "edgelist"):
        assert allowed in error.problem


def test_unknown_key_lists_allowed_names(tmp_path):
    error = load_error(write(tmp_path, "population:\n  sise: 100\n"))
    assert "Allowed here: size, interests, attention, talkativeness, super_users" in error.problem


def test_duplicate_key_names_first_line(tmp_path):
    text = "seed: 1\ndays: 10\nseed: 2\n"
    error = load_error(write(tmp_path, text))
    assert (error.line, error.field) == (3, "seed")
    assert "first at line 1" in error.problem


def test_unknown_cohort_without_close_match_lists_known(tmp_path):
    text = "groups:\n  family:\n" + COHORT + "interventions:\n  guides:\n    cohorts: [zzz]\n"
    error = load_error(write(tmp_path, text))
    assert error.field == "interventions.guides.cohorts.0"
    assert error.line == line_of(text, "    cohorts:")
    assert "did you mean" not in error.problem
    assert "Known cohorts: family" in error.problem


def test_missing_file(tmp_path):
    path = tmp_path / "absent.yaml"
    error = load_error(path)
    assert error.file == str(path)
    assert error.line is None
    assert "no such file" in error.problem


def test_folder_instead_of_file(tmp_path):
    error = load_error(tmp_path)
    assert error.file == str(tmp_path)
    assert "folder" in error.problem


@pytest.mark.parametrize(
    ("text", "bad_line"),
    [
        ("days: 10\npopulation:\n  size: 100\n   extra: 1\n", 4),
        ("days: 10\nseed: 1\ndescription: a: b\nname: x\n", 3),
        ("days: 10\n\tseed: 1\n", 2),
    ],
    ids=["bad indentation", "colon in a plain value", "tab"],
)
def test_yaml_syntax_error_reports_line(tmp_path, text, bad_line):
    path = write(tmp_path, text)
    error = load_error(path)
    assert error.file == str(path)
    assert error.line == bad_line
    assert error.problem.startswith("YAML syntax error")


@pytest.mark.parametrize("text", ["- population\n- network\n", "just words\n", "42\n"])
def test_top_level_must_be_a_mapping(tmp_path, text):
    path = write(tmp_path, text)
    error = load_error(path)
    assert (error.file, error.line) == (str(path), 1)
    assert "top level must be a mapping" in error.problem


# --------------------------------------------------------------------------- overrides


def test_override_without_equals(tmp_path):
    error = load_error(write(tmp_path, "days: 10\n"), ("population.size",))
    assert error.file == "--set"
    assert error.line is None
    assert "path.to.field=value" in error.problem


def test_override_with_empty_path_segment(tmp_path):
    error = load_error(write(tmp_path, "days: 10\n"), ("population..size=3",))
    assert error.file == "--set"
    assert "dotted path" in error.problem


def test_override_with_invalid_value_is_blamed_on_set(tmp_path):
    text = "days: 10\npopulation:\n  size: 100\n"
    error = load_error(write(tmp_path, text), ("population.size=many",))
    assert error.file == "--set"
    assert error.line is None
    assert error.field == "population.size"
    assert "valid integer" in error.problem
    assert "[from --set population.size=many]" in error.problem


def test_override_out_of_range_is_blamed_on_set(tmp_path):
    error = load_error(write(tmp_path, "days: 10\n"), ("network.dunbar.cap=0",))
    assert (error.file, error.field) == ("--set", "network.dunbar.cap")
    assert "greater than or equal to 1" in error.problem


def test_override_with_unknown_key_suggests(tmp_path):
    error = load_error(write(tmp_path, "days: 10\n"), ("population.sise=3",))
    assert (error.file, error.field) == ("--set", "population.sise")
    assert "did you mean 'size'" in error.problem


def test_override_through_a_value(tmp_path):
    error = load_error(write(tmp_path, "days: 10\n"), ("days.first=3",))
    assert error.file == "--set"
    assert "days" in error.field


def test_override_with_invalid_yaml_value(tmp_path):
    error = load_error(write(tmp_path, "days: 10\n"), ("population.size=[1",))
    assert (error.file, error.field) == ("--set", "population.size")
    assert "not valid YAML" in error.problem


def test_file_error_not_blamed_on_unrelated_override(tmp_path):
    text = "days: 10\npopulation:\n  sise: 100\n"
    path = write(tmp_path, text)
    error = load_error(path, ("seed=7",))
    assert (error.file, error.line, error.field) == (str(path), 3, "population.sise")


# --------------------------------------------------------------------------- good files

GOOD = """\
# A small but complete scenario.
description: two kinds of group
seed: 7
days: 60
population:
  size: 300
  interests: {topics: 12, per_person: 3}
network:
  generator: watts_strogatz
  watts_strogatz: {k: 6, p: 0.2}
groups:
  family:
    driver: relationship
    count: 4
    size: [3, 6]
    circle: kin
    created: [0, 10]
  talks:
    driver: event
    count: 2
    size: 40
interventions:
  icebreaker:
    cohorts: [talks]
"""


def test_valid_file_loads_with_name_from_stem(tmp_path):
    path = write(tmp_path, GOOD, "my_town.yaml")
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    assert scenario.name == "my_town"
    assert scenario.seed == 7
    assert scenario.days == 60
    assert scenario.population.size == 300
    assert scenario.population.interests.topics == 12
    assert scenario.network.generator == "watts_strogatz"
    assert scenario.network.watts_strogatz.k == 6
    assert set(scenario.groups) == {"family", "talks"}
    assert scenario.groups["family"].size_range == (3, 6)
    assert scenario.groups["family"].created_range == (0, 10)
    assert scenario.groups["talks"].resolved_event is not None  # event groups get one
    assert scenario.groups["family"].resolved_event is None
    assert scenario.interventions.icebreaker.cohorts == ["talks"]


def test_explicit_name_is_kept(tmp_path):
    scenario = load_scenario(write(tmp_path, "name: river\ndays: 5\n", "x.yaml"))
    assert scenario.name == "river"


def test_empty_file_is_an_error_and_an_empty_mapping_gives_defaults(tmp_path):
    with pytest.raises(ScenarioError, match="the file is empty"):
        load_scenario(write(tmp_path, "# nothing yet\n", "blank.yaml"))
    scenario = load_scenario(write(tmp_path, "# nothing yet\n{}\n", "blank.yaml"))
    assert scenario.name == "blank"
    assert scenario.population.size == Scenario().population.size
    assert scenario.groups == {}


def test_override_changes_value(tmp_path):
    path = write(tmp_path, GOOD)
    scenario = load_scenario(path, ["population.size=500"])
    assert scenario.population.size == 500
    assert load_scenario(path).population.size == 300


def test_overrides_apply_in_order_and_parse_yaml(tmp_path):
    path = write(tmp_path, GOOD)
    scenario = load_scenario(
        path,
        [
            "days=90",
            "days=100",
            "groups.family.size=[2, 4]",
            "network.dunbar.layers=[3, 10, 30]",
            "output.figures=false",
        ],
    )
    assert scenario.days == 100
    assert scenario.groups["family"].size_range == (2, 4)
    assert scenario.network.dunbar.layers == [3, 10, 30]
    assert scenario.output.figures is False


def test_override_creates_missing_sections(tmp_path):
    scenario = load_scenario(write(tmp_path, "days: 10\n"), ["network.holme_kim.m=4"])
    assert scenario.network.holme_kim.m == 4


def test_edgelist_path_is_relative_to_scenario(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "ties.csv").write_text("0,1\n", encoding="utf-8")
    text = (
        "population:\n  size: 10\n"
        "network:\n  generator: edgelist\n  edgelist:\n    path: ties.csv\n"
    )
    scenario = load_scenario(write(folder, text))
    assert Path(scenario.network.edgelist.path) == folder / "ties.csv"


def test_scenario_from_dict():
    scenario = scenario_from_dict({"days": 30, "population": {"size": 50}}, name="nb")
    assert (scenario.name, scenario.days, scenario.population.size) == ("nb", 30, 50)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({"population": {"sise": 50}}, name="nb")
    assert info.value.file == "<nb>"
    assert info.value.field == "population.sise"


def test_json_schema_is_json_with_sections():
    schema = json.loads(json_schema())
    assert "population" in schema["properties"]
    assert "network" in schema["properties"]
    assert schema["title"] == "groupsim scenario"
    # Strict keys are visible to editors too.
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("path", sorted(Path(__file__).parent.parent.glob("scenarios/*.yaml")))
def test_shipped_scenarios_are_valid(path):
    assert load_scenario(path).name == path.stem


# --------------------------------------------------------------------------- command line


def groupsim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "groupsim"
    command = [str(exe)] if exe.exists() else [shutil.which("groupsim") or "groupsim"]
    return subprocess.run(
        [*command, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("days: 20\npopulation:\n  sise: 100\n", "bad.yaml:3"),
        ("days: 20\ngroups:\n  fam:\n" + COHORT + "    created: 25\n", "bad.yaml:7"),
        (
            "days: 20\ngroups:\n  fam:\n" + COHORT + "    organiser: brand\n",
            "bad.yaml:7: groups.fam.organiser: ",
        ),
    ],
    ids=["unknown key", "after horizon", "brand organiser without event driver"],
)
def test_cli_validate_bad_file(tmp_path, text, where):
    write(tmp_path, text)
    result = groupsim("validate", "bad.yaml", cwd=tmp_path)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 2, output
    assert "Traceback" not in output
    assert len(output.splitlines()) == 1, output
    assert where in output


def test_cli_validate_missing_file(tmp_path):
    result = groupsim("validate", "absent.yaml", cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    assert "absent.yaml" in output


def test_cli_validate_good_file(tmp_path):
    write(tmp_path, GOOD, "good.yaml")
    result = groupsim("validate", "good.yaml", "--set", "population.size=400", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "good" in result.stdout


def test_cli_schema_prints_json(tmp_path):
    result = groupsim("schema", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "population" in json.loads(result.stdout)["properties"]


# --------------------------------------------------------------------------- regressions


def test_cross_check_caused_by_set_is_blamed_on_set(tmp_path):
    path = write(tmp_path, "days: 50\ngroups:\n  fam:\n" + COHORT)
    error = load_error(path, ("groups.fam.created=60",))
    assert error.file == "--set" and error.field == "groups.fam.created"
    error = load_error(path, ("days=5", "groups.fam.created=7"))
    assert error.file == "--set" and "horizon" in error.problem


def test_cohort_named_like_a_type_keeps_its_name_in_the_path(tmp_path):
    text = "days: 50\ngroups:\n  str:\n    count: 3\n    size: 5\n"
    error = load_error(write(tmp_path, text))
    assert error.field == "groups.str.driver"
    assert error.line == line_of(text, "  str:")


def test_cohort_named_like_a_field_gets_the_cohort_suggestion(tmp_path):
    text = "groups:\n  event: {driver: event, count: 3, sise: 5}\n"
    error = load_error(write(tmp_path, text))
    assert error.field == "groups.event.sise"
    assert "did you mean 'size'" in error.problem


# --------------------------------------------------------------------------- brand organiser


def test_brand_organiser_needs_an_event_driver(tmp_path):
    text = "days: 20\ngroups:\n  fam:\n" + COHORT + "    organiser: brand\n"
    path = write(tmp_path, text)
    error = load_error(path)
    assert (error.file, error.line, error.field) == (
        str(path),
        line_of(text, "    organiser:"),
        "groups.fam.organiser",
    )
    assert "driver is 'relationship'" in error.problem
    assert "allowed here: 'person'" in error.problem
    assert str(error).startswith(f"{path}:{error.line}: groups.fam.organiser: ")
    hybrid = load_error(write(tmp_path, text.replace("relationship", "hybrid")))
    assert "driver is 'hybrid'" in hybrid.problem
    scenario = load_scenario(path, ["groups.fam.driver=event"])
    assert scenario.groups["fam"].organiser == "brand"


def test_brand_organiser_broken_by_set_is_blamed_on_set(tmp_path):
    text = "days: 20\ngroups:\n  ads:\n    driver: event\n    count: 2\n    size: 5\n"
    path = write(tmp_path, text + "    organiser: brand\n")
    assert load_scenario(path).groups["ads"].organiser == "brand"
    error = load_error(path, ("groups.ads.driver=hybrid",))
    assert (error.file, error.field) == ("--set", "groups.ads.organiser")
    assert "[from --set groups.ads.driver=hybrid]" in error.problem


def test_half_lives_given_for_some_kinds_keep_the_others(tmp_path):
    text = (
        "days: 10\npopulation:\n  size: 200\n"
        "network:\n  ties:\n    half_life_days:\n      friend: 90\n"
    )
    scenario = load_scenario(write(tmp_path, text, "half.yaml"))
    half_lives = scenario.network.ties.half_life_days
    assert half_lives["friend"] == 90.0
    assert half_lives["kin"] == Scenario().network.ties.half_life_days["kin"]
    assert set(half_lives) == {"kin", "work", "friend", "acquaintance", "group"}
    # The world is built with them (a kind missing from the mapping used to fail here).
    world = build_world(scenario, np.random.default_rng(1))
    assert world.ties.half_life[KIND_CODES["friend"]] == np.float32(90.0)


# --------------------------------------------------------------------------- empty sections


def test_empty_section_means_its_defaults(tmp_path):
    text = (
        "days: 10\npopulation:\nnetwork:\n  dunbar:\n  ties:\n    half_life_days:\n"
        "groups:\ninterventions:\n  icebreaker:\n"
    )
    scenario = load_scenario(write(tmp_path, text, "empty.yaml"))
    defaults = Scenario()
    assert scenario.population == defaults.population
    assert scenario.network == defaults.network
    assert scenario.network.ties.half_life_days["kin"] == 3650.0
    assert scenario.groups == {}
    assert scenario.interventions.icebreaker is None  # an optional section stays absent
    given = load_scenario(write(tmp_path, "days: 10\npopulation:\n  size: 50\n", "given.yaml"))
    assert given.population.size == 50


def test_empty_nested_section_keeps_its_siblings(tmp_path):
    text = "days: 10\npopulation:\n  size: 300\n  interests:\n  attention: {mean: 2.0}\n"
    scenario = load_scenario(write(tmp_path, text))
    assert scenario.population.size == 300
    assert scenario.population.interests == Scenario().population.interests
    assert scenario.population.attention.mean == 2.0


@pytest.mark.parametrize(
    ("text", "marker", "field", "phrase"),
    [
        ("days: 10\npopulation:\n  size:\n", "  size:", "population.size", "valid integer"),
        ("days:\n", "days:", "days", "valid integer"),
        (
            "network:\n  dunbar:\n    layers:\n",
            "    layers:",
            "network.dunbar.layers",
            "valid list",
        ),
        ("days: 10\ngroups:\n  fam:\n", "  fam:", "groups.fam.driver", "required"),
    ],
    ids=["number", "top-level number", "list", "cohort"],
)
def test_empty_value_is_still_an_error(tmp_path, text, marker, field, phrase):
    path = write(tmp_path, text)
    error = load_error(path)
    assert (error.file, error.line, error.field) == (str(path), line_of(text, marker), field)
    assert phrase in error.problem


# --------------------------------------------------------------------------- merge keys

MERGED = """\
days: 30
population: {size: 200}
groups:
  family: &family
    driver: relationship
    count: 3
    size: 5
    circle: kin
    created: [0, 4]
  friends:
    <<: *family
    circle: friend
    size: 4
  talks:
    <<: [{count: 7, cap: 60, circle: any}, *family]
    driver: event
"""


def test_merge_key_brings_anchored_values_and_local_keys_win(tmp_path):
    scenario = load_scenario(write(tmp_path, MERGED))
    family, friends, talks = (scenario.groups[n] for n in ("family", "friends", "talks"))
    assert (friends.driver, friends.count, friends.created_range) == ("relationship", 3, (0, 4))
    assert (friends.circle, friends.size) == ("friend", 4)
    assert (family.circle, family.size) == ("kin", 5)  # the anchored mapping is unchanged
    # Of a list of merged mappings the earlier wins; local keys win over both.
    assert (talks.driver, talks.count, talks.cap, talks.size) == ("event", 7, 60, 5)
    assert talks.circle == "any"


def test_invalid_value_in_anchored_mapping_is_reported_where_written(tmp_path):
    text = MERGED.replace("    size: 5\n", "    size: 5\n    organiser: brand\n", 1)
    text = text.replace("driver: relationship", "driver: event", 1)
    text = text.replace("    circle: kin\n", "    circle: any\n", 1)
    text = text.replace("    circle: friend\n", "    circle: friend\n    driver: hybrid\n")
    path = write(tmp_path, text)
    error = load_error(path)
    # Only the merging cohort is wrong, but the value is written in the anchored one.
    assert error.field == "groups.friends.organiser"
    assert (error.file, error.line) == (str(path), line_of(text, "    organiser: brand"))
    assert str(error).startswith(f"{path}:{error.line}: groups.friends.organiser: ")


def test_merged_key_not_allowed_in_its_new_place_points_at_the_anchor(tmp_path):
    text = (
        "network:\n  generator: holme_kim\n  watts_strogatz: &ring\n    k: 6\n    p: 0.2\n"
        "  holme_kim:\n    <<: *ring\n    m: 3\n"
    )
    path = write(tmp_path, text)
    error = load_error(path)
    assert (error.field, error.line) == ("network.holme_kim.k", line_of(text, "    k:"))
    assert "unknown field 'k'" in error.problem


@pytest.mark.parametrize(
    ("text", "occurrence", "phrase"),
    [
        ("seed: &s 3\npopulation:\n  <<: *s\n", 1, "takes a mapping"),
        ("a: &a {size: 100}\npopulation:\n  <<: *a\n  <<: *a\n", 2, "duplicate merge key"),
    ],
    ids=["scalar", "twice"],
)
def test_misused_merge_key_is_reported_at_its_line(tmp_path, text, occurrence, phrase):
    path = write(tmp_path, text)
    error = load_error(path)
    assert (error.file, error.field) == (str(path), "population.<<")
    assert error.line == line_of(text, "  <<:", occurrence)
    assert phrase in error.problem


def test_alias_inside_itself_is_an_error_not_a_traceback(tmp_path):
    path = write(tmp_path, "population: &p\n  interests: *p\n")
    error = load_error(path)
    assert error.file == str(path)
    assert "contains it" in error.problem
