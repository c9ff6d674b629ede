"""The line-keeping YAML reader of scenario and experiment files.

A file is read as plain data (no tags but YAML's own scalar ones) together with the
1-based line of every key, so that any later problem, a value out of range or a cohort
that does not exist, can be reported at its line. Nesting and the number of values an
alias can expand to are bounded, so that a small file cannot make the reader use
unbounded time or memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim.errors import ScenarioError


@dataclass
class Located:
    """A YAML document as plain data plus the line of every path in it."""

    data: Any
    lines: dict[tuple, int]
    empty: bool = False


_YAML_TAG = "tag:yaml.org,2002:"
_MERGE = _YAML_TAG + "merge"
# Plain data only: any other tag (!foo, !!python/name:..., !!set) is refused.
_TAGS = {
    yaml.MappingNode: {_YAML_TAG + "map"},
    yaml.SequenceNode: {_YAML_TAG + "seq"},
    yaml.ScalarNode: {_YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "merge")},
}

MAX_DEPTH = 64
"""Deepest nesting of lists and mappings a file may have (a scenario needs 5)."""

MAX_VALUES = 100_000
"""Most values a file may expand to, counting each use of an alias anew."""


class _Budget:
    """What is left of :data:`MAX_VALUES` while a document is turned into data."""

    def __init__(self, file: str):
        self.file, self.left = file, MAX_VALUES

    def take(self, node: yaml.Node) -> None:
        self.left -= 1
        if self.left < 0:
            raise ScenarioError(
                self.file,
                f"expands to more than {MAX_VALUES:,} values (aliases of aliases?); "
                "a scenario or experiment needs a few hundred",
                node.start_mark.line + 1,
            )


def _construct(
    node: yaml.Node, path: tuple, lines: dict[tuple, int], file: str, budget: _Budget
) -> Any:
    """Turn a composed YAML node into plain data, recording the line of each path."""
    budget.take(node)
    lines[path] = node.start_mark.line + 1
    if node.tag not in _TAGS[type(node)]:
        shown = node.tag.replace(_YAML_TAG, "!!")
        raise ScenarioError(
            file,
            f"the tag '{shown}' is not allowed; use plain values (numbers, text, true/false, "
            "lists and mappings)",
            node.start_mark.line + 1,
            ".".join(map(str, path)),
        )
    if isinstance(node, yaml.MappingNode):
        return _mapping(node, path, lines, file, budget)
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, (*path, i), lines, file, budget) for i, item in enumerate(node.value)
        ]
    return _scalar(node)


def _mapping(
    node: yaml.MappingNode, path: tuple, lines: dict[tuple, int], file: str, budget: _Budget
) -> dict:
    """A mapping's own keys, then those its merge key (``<<``) brings in, YAML 1.1 style.

    Keys written in the mapping win over merged ones, and of a list of merged mappings the
    earlier wins. A merged key keeps the line where its value is written (in the anchored
    mapping), so that an error in it points there.
    """
    out: dict[Any, Any] = {}
    sources: list[yaml.MappingNode] = []
    merge_line: int | None = None
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if key_node.tag == _MERGE:
            if merge_line is not None:
                raise ScenarioError(
                    file,
                    f"duplicate merge key '<<' (first at line {merge_line}); "
                    "merge several mappings with a list: <<: [*a, *b]",
                    line,
                    ".".join(map(str, (*path, "<<"))),
                )
            merge_line = line
            sources = _merge_sources(value_node, path, line, file)
            continue
        if not isinstance(key_node, yaml.ScalarNode):
            raise ScenarioError(file, "a key must be a plain name", line)
        key = key_node.value
        if key in out:
            raise ScenarioError(
                file,
                f"duplicate key '{key}' (first at line {lines[(*path, key)]})",
                line,
                ".".join(map(str, (*path, key))),
            )
        out[key] = _construct(value_node, (*path, key), lines, file, budget)
        # A key's own line is more useful than the line its value starts on.
        lines[(*path, key)] = line
    depth = len(path)
    for source in sources:
        merged_lines: dict[tuple, int] = {}
        added = {
            key: value
            for key, value in _mapping(source, path, merged_lines, file, budget).items()
            if key not in out
        }
        out.update(added)
        # Lines of overridden keys are dropped: the local value has lines of its own.
        lines.update(
            (sub, line)
            for sub, line in merged_lines.items()
            if len(sub) > depth and sub[depth] in added
        )
    return out


def _merge_sources(node: yaml.Node, path: tuple, line: int, file: str) -> list[yaml.MappingNode]:
    """The mappings a merge key's value names: one mapping, or a list of them."""
    if isinstance(node, yaml.MappingNode):
        return [node]
    if isinstance(node, yaml.SequenceNode) and all(
        isinstance(item, yaml.MappingNode) for item in node.value
    ):
        return list(node.value)
    raise ScenarioError(
        file,
        "the merge key '<<' takes a mapping (such as an alias *defaults) or a list of them",
        line,
        ".".join(map(str, (*path, "<<"))),
    )


_SCALARS = yaml.constructor.SafeConstructor()


def _scalar(node: yaml.Node) -> Any:
    """A YAML scalar as Python data, with PyYAML's safe resolution (empty means None)."""
    try:
        return _SCALARS.construct_object(node, deep=True)
    finally:
        # Scalars are not shared, and a cache of every node would only grow.
        _SCALARS.constructed_objects.clear()
        _SCALARS.recursive_objects.clear()


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing nesting deeper than :data:`MAX_DEPTH`.

    The composer is recursive: without a limit, a file of 10,000 nested lists exhausts
    Python's stack.
    """

    def __init__(self, text: str, file: str):
        super().__init__(text)
        self.file, self.depth = file, 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise ScenarioError(
                    self.file,
                    f"lists and mappings nested more than {MAX_DEPTH} deep",
                    mark.line + 1,
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def parse_yaml(text: str, file: str) -> Located:
    """Parse YAML text into plain data with the line of every key, within limits.

    Only plain data is accepted (no tags but YAML's own scalar ones), nesting is at most
    :data:`MAX_DEPTH` deep, and the document may expand to at most :data:`MAX_VALUES`
    values, so that a small file cannot make the reader use unbounded time or memory.

    Raises:
        ScenarioError: The text is not such YAML, with the line.
    """
    loader = None
    try:
        loader = _Loader(text, file)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ScenarioError(file, f"YAML syntax error: {exc.problem or exc}", line) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise ScenarioError(
            file, f"the character U+{code:04X} is not allowed in a YAML file", line
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[tuple, int] = {}
    if node is None:
        return Located(None, lines)
    try:
        data = _construct(node, (), lines, file, _Budget(file))
    except RecursionError:
        raise ScenarioError(file, "an alias refers to a mapping or list that contains it") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ScenarioError(file, f"not a plain YAML value: {exc}", line) from None
    return Located(data, lines)


def read_yaml(path: str | Path) -> Located:
    """Read a YAML mapping, keeping the line of every key.

    Merge keys (``<<: *anchor``) are resolved as in YAML 1.1; a merged key keeps the line
    where its value is written.

    Args:
        path: The file to read.

    Returns:
        The data and a map from key paths to 1-based lines; an empty file (or one of
        comments only) reads as an empty mapping, with ``empty`` set.

    Raises:
        ScenarioError: The file is missing, unreadable, not UTF-8, not plain YAML
            within :func:`parse_yaml`'s limits or not a mapping, or a merge key does not
            name mappings.
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(file, "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(file, "is a folder, not a YAML file") from None
    except UnicodeDecodeError as exc:
        line = exc.object.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(
            file, f"is not UTF-8 text (byte 0x{exc.object[exc.start]:02x})", line
        ) from None
    except (OSError, ValueError) as exc:
        raise ScenarioError(file, f"cannot be read ({exc})") from None
    located = parse_yaml(text, file)
    if located.data is None:
        return Located({}, located.lines, empty=True)
    if not isinstance(located.data, dict):
        raise ScenarioError(file, "the top level must be a mapping of sections", 1)
    return located
