"""Hostile input: names, paths, code, stored records, sizes and output failures.

Every test makes its own small files in a temporary folder and checks one item of the
hardening issue: one clear message (file, line, field), exit status 2, no traceback,
nothing written outside the output folder and no user code run.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sim.runner import run
from sim.scenario import ScenarioError, load_scenario
from sim.sweep import load_experiment, run_sweep

GROUPSIM = [sys.executable, "-m", "sim.cli"]

# A scenario that runs in a fraction of a second.
TINY = """\
days: 6
population: {size: 60}
network: {circles: {neighbourhood_size: 30}}
groups:
  chat: {driver: event, count: 2, size: 5}
output: {figures: false}
"""


def write(folder: Path, text: str, name: str = "tiny.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def experiment(folder: Path, body: str, name: str = "exp.yaml") -> Path:
    """The tiny scenario as ``base.yaml`` and an experiment over it."""
    write(folder, TINY, "base.yaml")
    return write(folder, "scenario: base.yaml\n" + textwrap.dedent(body), name)


@pytest.fixture
def groupsim(capsys, monkeypatch):
    """The command line, run in this process (a new one costs seconds of imports).

    Returns a function of the arguments that returns the exit status and the output as
    a ``CompletedProcess``; an exception the command line lets through fails the test.
    """
    import sim.cli

    def call(*args: str | Path) -> subprocess.CompletedProcess:
        monkeypatch.setattr(sys, "argv", ["groupsim", *map(str, args)])
        capsys.readouterr()
        try:
            sim.cli.main()
            status = 0
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 1
        printed = capsys.readouterr()
        return subprocess.CompletedProcess(args, status, printed.out, printed.err)

    return call


@pytest.fixture
def importable(tmp_path, monkeypatch):
    """A function that writes a module into ``tmp_path`` where ``import`` finds it.

    The modules and the metrics they register are forgotten after the test.
    """
    from sim.sweep import METRICS

    monkeypatch.syspath_prepend(str(tmp_path))
    names: list[str] = []
    metrics = set(METRICS)

    def make(name: str, code: str) -> None:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(code), encoding="utf-8")
        names.append(name)

    yield make
    for name in names:
        sys.modules.pop(name, None)
    for name in set(METRICS) - metrics:
        METRICS.pop(name)


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def refused(done: subprocess.CompletedProcess, *phrases: str) -> str:
    """The one-line message of a command that refused bad input with status 2."""
    message = " ".join(done.stderr.split())
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    for phrase in phrases:
        assert phrase in message, message
    return message


# --------------------------------------------------------------------------- 1, 2: names


def test_fresh_sweep_with_a_climbing_name_deletes_nothing_outside_out(tmp_path, groupsim):
    victim = tmp_path / "other" / "place" / "runs"
    victim.mkdir(parents=True)
    (victim / "precious.json").write_text("{}")
    (victim / "notes.txt").write_text("keep me")
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    path = experiment(
        work,
        "name: ../../other/place\nparameters:\n  days: [5]\nreplicates: 1\nmetrics: [reach]\n",
    )
    done = groupsim("sweep", path, "--fresh", "--out", work / "out")
    refused(done, f"{path}:2: name:", "a name becomes a folder")
    assert sorted(p.name for p in victim.iterdir()) == ["notes.txt", "precious.json"]
    assert not (work / "out").exists()


@pytest.mark.parametrize(
    "name", ["../../x", "/tmp/absolute", "..", "a/b", "nul\\0byte", ".hidden"], ids=repr
)
def test_a_name_that_is_not_a_plain_file_name_is_refused(tmp_path, name):
    path = write(tmp_path, f'name: "{name}"\n' + TINY)
    with pytest.raises(ScenarioError, match="a name becomes a folder") as caught:
        load_scenario(path)
    assert (caught.value.line, caught.value.field) == (1, "name")


def test_run_and_world_with_a_climbing_name_write_nothing(tmp_path, groupsim):
    work = tmp_path / "deep" / "er"
    work.mkdir(parents=True)
    path = write(work, "name: ../../x\n" + TINY)
    for command in ("run", "world"):
        done = groupsim(command, path, "--out", work / "out")
        refused(done, f"{path}:1: name:", "cannot hold '/'")
    assert files_under(tmp_path) == {path}


def test_validate_blames_a_climbing_name_set_on_the_command_line(tmp_path, groupsim):
    path = write(tmp_path, TINY)
    done = groupsim("validate", path, "--set", "name=../../..")
    refused(done, "--set: name:", "a name becomes a folder")


def test_a_file_whose_stem_is_dot_dot_runs_inside_out(tmp_path):
    path = write(tmp_path, TINY, "...yaml")
    scenario = load_scenario(path)
    assert scenario.name == "scenario"
    result = run(scenario, out=tmp_path / "out")
    assert result.out_dir is not None
    assert result.out_dir.parent == tmp_path / "out" / "scenario"


def test_an_output_link_that_leads_outside_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "tiny").symlink_to(elsewhere)
    with pytest.raises(ScenarioError, match="outside the output folder"):
        run(load_scenario(write(tmp_path, TINY)), out=tmp_path / "out")
    assert not list(elsewhere.iterdir())


def test_fresh_keeps_files_a_sweep_did_not_write(tmp_path):
    path = experiment(tmp_path, "parameters:\n  days: [5]\nreplicates: 1\nmetrics: [reach]\n")
    first = run_sweep(path, out=tmp_path / "out")
    (first.folder / "runs" / "mine.txt").write_text("notes")
    again = run_sweep(path, out=tmp_path / "out", fresh=True)
    assert again.ran == 1
    assert (first.folder / "runs" / "mine.txt").read_text() == "notes"
    assert load_experiment(path).name == "exp"


# --------------------------------------------------------------------------- 3: imports


def with_module(folder: Path, name: str, code: str) -> dict[str, str]:
    """A module in ``folder`` and an environment whose Python path finds it."""
    (folder / f"{name}.py").write_text(textwrap.dedent(code), encoding="utf-8")
    return {**os.environ, "PYTHONPATH": str(folder)}


def test_validate_runs_no_code_of_imported_modules(tmp_path):
    touched = tmp_path / "touched"
    env = with_module(tmp_path, "sidefx", f"open({str(touched)!r}, 'w').write('ran')\n")
    with_module(tmp_path, "leaver", "import sys\nsys.exit(0)\n")
    path = experiment(
        tmp_path,
        "imports: [sidefx, this, leaver]\nparameters:\n  days: [5]\nmetrics: [reach, mine]\n",
    )
    done = subprocess.run(
        [*GROUPSIM, "validate", str(path)], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert not touched.exists()
    assert "Zen of Python" not in done.stdout
    assert "valid experiment 'exp'" in done.stdout
    assert f"'sidefx' from {tmp_path / 'sidefx.py'} is not run now" in done.stdout
    assert "'leaver' from" in done.stdout


def test_validate_reports_a_module_it_cannot_find(tmp_path, groupsim):
    path = experiment(tmp_path, "imports: [no_such_mod]\nparameters:\n  days: [5]\nmetrics: [x]\n")
    refused(groupsim("validate", path), f"{path}:2: imports.0:", "no_such_mod")


def test_sweep_reports_a_module_that_exits(tmp_path, groupsim, importable):
    importable("leaver", "import sys\nsys.exit(0)\n")
    path = experiment(tmp_path, "imports: [leaver]\nparameters:\n  days: [5]\nmetrics: [reach]\n")
    done = groupsim("sweep", path, "--out", tmp_path / "out")
    refused(done, f"{path}:2: imports.0: cannot import 'leaver': it called sys.exit()")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- 4: resume

SWEEP = "parameters:\n  days: [4, 5]\nreplicates: 2\nmetrics: [reach]\n"


def resumed_after_edit(folder: Path, old: str, new: str):
    """The tiny sweep run, its file edited (``old`` becomes ``new``), then resumed."""
    path = experiment(folder, SWEEP)
    run_sweep(path, out=folder / "out")
    path.write_text(path.read_text().replace(old, new))
    return run_sweep(path, out=folder / "out", resume=True)


def test_resume_after_a_metric_was_added_reruns_and_writes_tables(tmp_path):
    again = resumed_after_edit(tmp_path, "[reach]", "[reach, rmst]")
    assert again.ran == 4
    assert again.runs["rmst"].notna().all()
    assert any("lack the metric(s) rmst" in note for note in again.notes), again.notes


def test_resume_sets_aside_a_truncated_or_incomplete_record_and_names_it(tmp_path, groupsim):
    path = experiment(tmp_path, SWEEP)
    first = run_sweep(path, out=tmp_path / "out")
    truncated, stripped = sorted((first.folder / "runs").glob("*.json"))[:2]
    truncated.write_text(truncated.read_text()[:40])
    record = json.loads(stripped.read_text())
    del record["days_run"]
    stripped.write_text(json.dumps(record))
    done = groupsim("sweep", path, "--resume", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    message = " ".join(done.stderr.split())
    assert f"{truncated}: not a complete run record (JSONDecodeError" in message
    assert f"{stripped}: not a complete run record (field 'days_run' missing" in message
    assert (truncated.parent / (truncated.name + ".corrupt")).exists()
    assert "ran 2 run(s), 2 resumed" in done.stdout
    assert len(list((first.folder / "runs").glob("*.json"))) == 4


def test_resume_says_which_stored_runs_the_edited_experiment_no_longer_has(tmp_path):
    again = resumed_after_edit(tmp_path, "[4, 5]", "[4, 6]")
    assert again.ran == 2
    assert any("2 stored run(s)" in n and "edited since" in n for n in again.notes), again.notes
    assert sorted(again.runs["days"].unique()) == [4, 6]


# --------------------------------------------------------------------------- 5: output


def test_an_out_that_is_a_file_is_refused_before_simulating(tmp_path, groupsim):
    path = write(tmp_path, TINY)
    (tmp_path / "taken").write_text("a file")
    done = groupsim("run", path, "--out", tmp_path / "taken")
    refused(done, f"--out: '{tmp_path / 'taken'}' is a file, not a folder")
    sweep = experiment(tmp_path, SWEEP)
    done = groupsim("sweep", sweep, "--out", tmp_path / "taken" / "deeper")
    refused(done, "is a file, not a folder")


def no_simulation(*args, **kwargs):
    raise AssertionError("simulated although the output folder cannot be written")


def test_a_read_only_output_folder_is_refused_before_simulating(tmp_path, monkeypatch):
    import sim.output
    import sim.runner

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(sim.output.tempfile, "mkstemp", read_only)
    monkeypatch.setattr(sim.runner, "simulate", no_simulation)
    with pytest.raises(ScenarioError, match="file system is read-only") as caught:
        run(write(tmp_path, TINY), out=tmp_path / "out")
    assert caught.value.file == "--out"


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_while_writing_a_run_leaves_nothing_partial(tmp_path, monkeypatch):
    import pandas as pd

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full_disk)
    with pytest.raises(ScenarioError, match=r"No space left on device \(the disk is full\)"):
        run(write(tmp_path, TINY), out=tmp_path / "out")
    assert files_under(tmp_path / "out") == set()
    assert list((tmp_path / "out" / "tiny").iterdir()) == []


def test_a_full_disk_while_a_sweep_stores_runs_leaves_no_half_records(tmp_path, monkeypatch):
    path = experiment(tmp_path, SWEEP)
    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(ScenarioError, match=r"the disk is full.*--resume continues"):
        run_sweep(path, out=tmp_path / "out")
    assert files_under(tmp_path / "out") == set()


# --------------------------------------------------------------------------- 6: numbers


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("behaviour.post_rate", ".inf"),
        ("behaviour.invite_rate", ".inf"),
        ("behaviour.tie_belonging", ".inf"),
        ("groups.chat.event.intensity", ".inf"),
        ("groups.chat.content.organiser_posts_per_day", ".inf"),
        ("network.circles.neighbour_ties", ".inf"),
        ("behaviour.post_rate", ".nan"),
        ("behaviour.post_rate", "1e300"),
        ("groups.chat.cap", "1000000000000000000000000000000"),
        ("groups.chat.event.start", "1000000000000000000000000000000"),
        ("interventions.icebreaker.day", "1000000000000000000000000000000"),
        ("seed", "1000000000000000000000000000000"),
    ],
)
def test_a_number_the_model_cannot_compute_is_refused(tmp_path, field, value):
    extra = "interventions: {icebreaker: {cohorts: [chat]}}\n" if "icebreaker" in field else ""
    path = write(tmp_path, TINY + extra)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, [f"{field}={value}"])
    assert caught.value.file == "--set" and caught.value.field == field, str(caught.value)
    assert any(w in caught.value.problem for w in ("finite", "less than")), str(caught.value)


def test_an_infinite_value_in_a_sweep_is_refused_at_its_line(tmp_path):
    path = experiment(
        tmp_path, "parameters:\n  behaviour.post_rate: [0.1, .inf]\nmetrics: [reach]\n"
    )
    with pytest.raises(ScenarioError, match="finite") as caught:
        load_experiment(path)
    assert (caught.value.line, caught.value.field) == (3, "parameters.behaviour.post_rate.1")


def test_a_failing_run_is_recorded_and_the_others_go_on(tmp_path, groupsim, importable):
    importable(
        "fragile_metrics",
        '''\
        from sim.sweep import register_metric

        @register_metric("fragile", unit="days")
        def fragile(run):
            """Fails on five-day runs."""
            if run.horizon == 5:
                raise ValueError("five days are too many")
            return float(run.horizon)
        ''',
    )
    path = experiment(
        tmp_path,
        "imports: [fragile_metrics]\n"
        + SWEEP.replace("[reach]", "[reach, fragile]")
        + "plots:\n  - {kind: line, x: days, metric: fragile}\n",
    )
    done = groupsim("sweep", path, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    message = " ".join(done.stderr.split())
    assert "2 of 4 run(s) failed" in message, message
    assert "(days=5): ValueError: five days are too many" in message
    import pandas as pd

    runs = pd.read_csv(tmp_path / "out" / "exp" / "runs.csv", keep_default_na=False)
    assert (
        runs.loc[runs["days"] == 5, "error"].tolist() == ["ValueError: five days are too many"] * 2
    )
    assert runs.loc[runs["days"] == 4, "fragile"].tolist() == ["4.0", "4.0"]
    assert runs.loc[runs["days"] == 5, "fragile"].tolist() == ["", ""]
    again = groupsim("sweep", path, "--resume", "--out", tmp_path / "out")
    assert "2 stored run(s) had failed: run again" in " ".join(again.stderr.split())
    assert "ran 2 run(s), 2 resumed" in again.stdout


def numeric_fields(model, prefix=()):
    """Dotted paths of every number field of a configuration class, cohorts included."""
    import typing

    from pydantic import BaseModel

    from sim.config import Cohort

    for name, info in model.model_fields.items():
        annotation = info.annotation
        if name == "groups":
            yield from numeric_fields(Cohort, (*prefix, "groups", "chat"))
            continue
        inner = [
            a
            for a in (annotation, *typing.get_args(annotation))
            if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        if inner:
            yield from numeric_fields(inner[0], (*prefix, name))
        elif {int, float} & {annotation, *typing.get_args(annotation)}:
            yield ".".join((*prefix, name))


def test_every_number_field_refuses_infinity(tmp_path):
    from sim.config import Scenario

    path = write(tmp_path, TINY + "interventions: {icebreaker: {cohorts: [chat]}}\n")
    fields = list(numeric_fields(Scenario))
    assert len(fields) > 60
    accepted = []
    for field in fields:
        for value in (".inf", "1e300"):
            try:
                load_scenario(path, [f"{field}={value}"])
                accepted.append(f"{field}={value}")
            except ScenarioError:
                pass
    assert accepted == []


# --------------------------------------------------------------------------- 7: the corpus

HOSTILE = Path(__file__).parent / "hostile"

# File of the corpus -> what the one message must contain: file, line, field, problem.
CORPUS = {
    "absolute_name.yaml": "absolute_name.yaml:2: name: a name becomes a folder, and cannot",
    "alias_bomb.yaml": "alias_bomb.yaml:2: expands to more than 100,000 values",
    "climbing_name.yaml": "climbing_name.yaml:2: name: a name becomes a folder",
    "comments_only.yaml": "comments_only.yaml:1: the file is empty",
    "deep_nesting.yaml": "deep_nesting.yaml:2: lists and mappings nested more than 64 deep",
    "edgelist_blank.yaml": "blank.csv: is empty; an edge list has one line source,target",
    "edgelist_empty.yaml": "empty.csv: is empty; an edge list has one line source,target",
    "edgelist_huge_id.yaml": "huge_id.csv:3: source: person id '1e30' is outside 0..59",
    "edgelist_missing.yaml": "edgelist_missing.yaml:5: network.edgelist.path: edge list",
    "edgelist_not_utf8.yaml": "latin1.csv:3: is not UTF-8 text (byte 0xe9)",
    "empty.yaml": "empty.yaml:1: the file is empty",
    "huge_cap.yaml": "huge_cap.yaml:5: groups.chat.cap: Input should be less than or equal to",
    "huge_icebreaker_day.yaml": "huge_icebreaker_day.yaml:8: interventions.icebreaker.day: ",
    "infinite_rate.yaml": "infinite_rate.yaml:8: behaviour.post_rate: Input should be a finite",
    "not_utf8.yaml": "not_utf8.yaml:8: is not UTF-8 text (byte 0xe9)",
    "nul_byte.yaml": "nul_byte.yaml:2: the character U+0000 is not allowed",
    "nul_in_name.yaml": "nul_in_name.yaml:2: name: a name becomes a folder, and cannot hold",
    "python_tag.yaml": "python_tag.yaml:8: description: the tag '!!python/name:os.system' is",
    "unknown_tag.yaml": "unknown_tag.yaml:9: behaviour.post_rate: the tag '!foo' is not allowed",
}


def test_the_corpus_is_complete():
    assert sorted(p.name for p in HOSTILE.glob("*.yaml")) == sorted(CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_command_refuses_the_hostile_file_with_one_message(
    tmp_path, monkeypatch, groupsim, name
):
    import shutil

    for path in HOSTILE.iterdir():
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.chdir(tmp_path)
    wrapper = write(
        tmp_path, f"scenario: {name}\nparameters:\n  days: [5]\nmetrics: [reach]\n", "x.yaml"
    )
    before = files_under(tmp_path)
    out = tmp_path / "out"
    for command in (
        ("validate", name),
        ("run", name, "--out", out),
        ("world", name, "--out", out),
        ("sweep", wrapper, "--out", out),
    ):
        printed = refused(groupsim(*command), CORPUS[name])
        assert printed.count("error:") == 1, printed
    assert files_under(tmp_path) == before
    assert not Path("/tmp/groupsim-escaped").exists()


# --------------------------------------------------------------------------- 8: sizes


@pytest.mark.parametrize(
    ("parameters", "runs"),
    [
        (
            "  days: {low: 5, high: 6, num: 1000}\n  behaviour.post_rate: {low: 0.1, high: 0.2, "
            "num: 1000}\n  behaviour.invite_rate: {low: 0.1, high: 0.2, num: 1000}\n",
            "3,000,000,000",
        ),
        (
            "  days: {low: 5, high: 6, num: 10000}\n  behaviour.post_rate: {low: 0.1, high: 0.2, "
            "num: 10000}\n",
            "300,000,000",
        ),
    ],
    ids=["10^9 points", "10^8 points"],
)
def test_a_sweep_too_large_to_plan_is_refused_before_planning(
    tmp_path, monkeypatch, parameters, runs
):
    import sim.sweep.design

    def no_planning(experiment):
        raise AssertionError("planned a sweep too large to plan")

    monkeypatch.setattr(sim.sweep.design, "plan", no_planning)
    path = experiment(tmp_path, f"parameters:\n{parameters}metrics: [reach]\n")
    with pytest.raises(ScenarioError, match=f"= {runs} runs; at most 100,000 runs fit") as caught:
        load_experiment(path)
    assert (caught.value.line, caught.value.field) == (2, "parameters")


def limited(gib: float):
    """Start a child with an address-space limit (``ulimit -v``) of ``gib`` GiB."""
    import resource

    def start() -> None:
        limit = int(gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return start


def test_a_run_too_large_for_the_memory_limit_is_refused_before_building(tmp_path):
    path = write(tmp_path, TINY)
    command = [*GROUPSIM, "run", str(path), "--out", str(tmp_path / "out")]
    for setting, field in (
        ("population.size=3000000", "population.size"),
        ("groups.chat.count=10000000", "groups.chat.count"),
    ):
        done = subprocess.run(
            [*command, "--set", setting],
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=limited(3),
        )
        refused(done, f"--set: {field}: this run needs about", "(ulimit -v)", "would fit")
    assert not (tmp_path / "out").exists()
    fits = subprocess.run(
        command, capture_output=True, text=True, timeout=120, preexec_fn=limited(3)
    )
    assert fits.returncode == 0, fits.stderr


def test_a_sweep_point_or_workers_too_large_for_memory_are_refused(tmp_path, monkeypatch):
    import sim.resources
    from sim.sweep import Executor, SweepError

    monkeypatch.setattr(sim.resources, "available", lambda: (2 * 2**30, "a test's limit"))
    path = experiment(tmp_path, "parameters:\n  population.size: [60, 3000000]\nmetrics: [reach]\n")
    with pytest.raises(
        ScenarioError, match=r"population.size=3000000: population.size: this"
    ) as caught:
        load_experiment(path)
    assert (caught.value.line, caught.value.field) == (3, "parameters.population.size")
    assert len(load_experiment(path, check_memory=False).points) == 2  # for a cluster
    small = experiment(tmp_path, "parameters:\n  population.size: [200000]\nmetrics: [reach]\n")
    with pytest.raises(SweepError, match=r"--workers 2: .* 2 side by side.*use fewer workers"):
        run_sweep(small, out=tmp_path / "out", executor=Executor(workers=2))


# --------------------------------------------------------------------------- 9: leftovers


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux ``/proc``)."""
    below = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == pid:
                below += [int(entry.name), *descendants(int(entry.name))]
    return below


def running(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_a_run_killed_while_writing_leaves_a_partial_that_the_next_run_removes(tmp_path):
    path = write(tmp_path, TINY.replace("figures: false", "figures: true"))
    out = tmp_path / "out"
    folder = out / "tiny"
    partials = lambda: list(folder.glob(".*.partial-*"))  # noqa: E731
    proc = subprocess.Popen(
        [*GROUPSIM, "run", str(path), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(partials, 60), "the run never started writing"
        proc.kill()
    finally:
        proc.wait()
    assert partials(), "killed too late to leave a partial folder"
    live = subprocess.Popen(["sleep", "30"])
    try:  # a partial of a run still under way (here: a live process) must be kept
        (folder / f".seed1-0000000000.partial-{live.pid}").mkdir()
        result = run(load_scenario(path), out=out)
        assert [p.name for p in partials()] == [f".seed1-0000000000.partial-{live.pid}"]
        assert result.out_dir is not None and (result.out_dir / "manifest.json").exists()
    finally:
        live.kill()
        live.wait()


def test_workers_of_a_sweep_killed_with_9_exit_with_it(tmp_path):
    base = (
        "days: 365\npopulation: {size: 30000}\ngroups:\n  a: {driver: event, count: 200, size: 20}"
    )
    (tmp_path / "base.yaml").write_text(base + "\n")
    path = write(
        tmp_path,
        "scenario: base.yaml\nparameters:\n  days: [360, 365]\nreplicates: 1\nmetrics: [reach]\n",
        "slow.yaml",
    )
    proc = subprocess.Popen(
        [*GROUPSIM, "sweep", str(path), "--workers", "2", "--out", str(tmp_path / "out")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    below: list[int] = []
    try:
        # The forkserver, the resource tracker and two workers under the forkserver.
        assert wait_for(lambda: len(descendants(proc.pid)) >= 4, 60), descendants(proc.pid)
        below = descendants(proc.pid)
        time.sleep(1.0)  # the workers are inside their runs
        proc.kill()
        proc.wait()
        assert wait_for(lambda: not any(running(pid) for pid in below), 10), [
            pid for pid in below if running(pid)
        ]
    finally:
        proc.kill()
        proc.wait()
        for pid in below:  # only this test's own processes, if any survived
            if running(pid):
                os.kill(pid, signal.SIGKILL)


# --------------------------------------------------------------------------- 10: smaller


def test_a_set_into_a_misspelt_cohort_is_blamed_on_set_with_a_suggestion(tmp_path):
    path = write(tmp_path, TINY)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, ["groups.chatt.size=10"])
    error = caught.value
    assert (error.file, error.field) == ("--set", "groups.chatt.size"), str(error)
    assert "'chatt' is not a cohort of this scenario; did you mean 'chat'?" in error.problem
    whole = "groups.extra={driver: relationship, count: 1, size: 3}"
    assert set(load_scenario(path, [whole, "groups.extra.size=4"]).groups) == {"chat", "extra"}


def test_figures_of_many_cohorts_pool_all_but_the_largest(tmp_path, monkeypatch):
    import sim.plots

    cohorts = "".join(
        f"  c{i}: {{driver: event, count: {1 + (i == 7)}, size: 3}}\n" for i in range(40)
    )
    path = write(tmp_path, TINY.split("groups:")[0] + "groups:\n" + cohorts)
    drawn = {}

    def survival(groups, figure, by="cohort"):
        drawn["cohorts"] = groups["cohort"].unique().tolist()
        return figure

    monkeypatch.setattr(sim.plots, "survival", survival)
    run(load_scenario(path, ["output.figures=true"]), out=tmp_path / "out")
    assert len(drawn["cohorts"]) == 11
    assert "other 30 cohorts" in drawn["cohorts"] and "c7" in drawn["cohorts"]


def test_the_manifest_records_the_overrides_of_the_command_line(tmp_path, groupsim):
    path = write(tmp_path, TINY)
    done = groupsim("run", path, "--set", "days=5", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    (manifest,) = (tmp_path / "out" / "tiny").glob("*/manifest.json")
    assert json.loads(manifest.read_text())["overrides"] == ["days=5"]


@pytest.mark.parametrize("section", ["parameters", "set"])
def test_seed_cannot_be_a_sweep_parameter_or_set(tmp_path, section):
    body = (
        "parameters:\n  seed: [1, 2]\n"
        if section == "parameters"
        else "set:\n  seed: 3\nparameters:\n  days: [5]\n"
    )
    path = experiment(tmp_path, body + "metrics: [reach]\n")
    with pytest.raises(ScenarioError, match="every run's seed derives from") as caught:
        load_experiment(path)
    assert (caught.value.line, caught.value.field) == (3, f"{section}.seed")
