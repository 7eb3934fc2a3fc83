"""Reading and writing configuration files (SPEC §6.5): YAML, or JSON, with line numbers.

The loader keeps the line of every mapping and key so that errors can point into the file, refuses
duplicate keys (YAML would silently keep the last one), and reads dates and `yes`/`no`/`on`/`off`
as plain text (YAML 1.1 would turn them into datetimes and booleans — the "Norway problem").
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node

from leadflow.errors import ValidationFailed

_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class Located(dict[Any, Any]):
    """A mapping read from a file, remembering its own line and the line of each key."""

    def __init__(self, line: int | None = None) -> None:
        super().__init__()
        self.line = line
        self.lines: dict[Any, int] = {}


def line_of(node: Any, key: Any = None) -> int | None:
    """The line of `key` in a mapping read from a file (or of the mapping itself), if known."""
    if not isinstance(node, Located):
        return None
    if key is not None and key in node.lines:
        return node.lines[key]
    return node.line


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans, no timestamps, duplicate-key errors and line numbers."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: _Loader, node: Node) -> Located:
    assert isinstance(node, MappingNode)
    loader.flatten_mapping(node)
    mapping = Located(node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in mapping
        except TypeError:
            raise ConstructorError(None, None, "a key must be plain text",
                                   key_node.start_mark) from None
        if duplicate:
            raise ConstructorError(None, None, f"duplicate key '{key}'", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = key_node.start_mark.line + 1
    return mapping


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def parse(text: str, source: str = "the file") -> Any:
    """The data in a YAML or JSON document; ValidationFailed with line and column if malformed."""
    if source.lower().endswith(".json"):
        return _parse_json(text, source)
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader: no arbitrary objects
    except yaml.MarkedYAMLError as error:
        if text.lstrip().startswith(("{", "[")):
            # JSON indented with tabs is valid JSON but not valid YAML.
            try:
                return _parse_json(text, source)
            except ValidationFailed:
                pass
        raise ValidationFailed(f"{source} is not valid YAML: {_describe(error)}") from None
    except yaml.YAMLError as error:
        raise ValidationFailed(f"{source} is not valid YAML: {error}") from None


def _describe(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "malformed document"
    if mark is None:
        return problem
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    context = f" ({error.context})" if error.context and error.problem else ""
    return f"{where}: {problem}{context}"


def _parse_json(text: str, source: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> Located:
        mapping = Located()
        for key, value in items:
            if key in mapping:
                raise ValidationFailed(f"{source} is not valid JSON: duplicate key '{key}'")
            mapping[key] = value
        return mapping

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as error:
        raise ValidationFailed(
            f"{source} is not valid JSON: line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key, short lists of plain values inline."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> Node:
    flow = all(not isinstance(item, dict | list) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


class Inline(dict[Any, Any]):
    """A mapping written on one line (`{name: cold, max: 19}`) by `render`."""


def _represent_inline(dumper: yaml.SafeDumper, data: Inline) -> Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


_Dumper.add_representer(Inline, _represent_inline)


def inline_leaves(value: Any) -> Any:
    """`value` with every nested mapping of plain values (or lists of them) made Inline."""
    if isinstance(value, list):
        return [inline_leaves(item) for item in value]
    if not isinstance(value, dict):
        return value
    if all(_plain(item) for item in value.values()):
        return Inline(value)
    return {key: inline_leaves(item) for key, item in value.items()}


def _plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(not isinstance(item, dict | list) for item in value)
    return not isinstance(value, dict)


def render(data: dict[str, Any]) -> str:
    """`data` as YAML, keys in the given order."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)
