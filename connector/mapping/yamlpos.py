"""YAML loading that remembers where every key and list item is, for file:line messages."""

from __future__ import annotations

from typing import Any

import yaml

from connector.mapping.errors import MappingProblem

Loc = tuple[str | int, ...]


def load_with_lines(text: str, path: str) -> tuple[Any, dict[Loc, int]]:
    """Parse ``text`` (safe YAML) and return the data and a map from key path to 1-based line.

    Raises ``MappingProblem``-carrying ``YamlSyntax`` for syntax errors and duplicate keys
    (PyYAML silently keeps the last duplicate, which hides mistakes).
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise YamlSyntax(
            MappingProblem(path, line, "", f"YAML syntax error: {message}", "fix the YAML")
        ) from None
    except yaml.YAMLError as exc:
        raise YamlSyntax(MappingProblem(path, 0, "", f"YAML error: {exc}", "fix the YAML")) from None
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {(): node.start_mark.line + 1}
    _walk(node, (), lines, path)
    return data, lines


class YamlSyntax(ValueError):
    """A file that is not (safe, unambiguous) YAML."""

    def __init__(self, problem: MappingProblem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int], path: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise YamlSyntax(
                    MappingProblem(
                        path, line, ".".join(map(str, loc + (key,))), "duplicate key", "keep one of them"
                    )
                )
            seen.add(key)
            lines[loc + (key,)] = line
            _walk(value_node, loc + (key,), lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[loc + (index,)] = item.start_mark.line + 1
            _walk(item, loc + (index,), lines, path)


def line_of(lines: dict[Loc, int], loc: Loc) -> int:
    """The line of the deepest known prefix of ``loc`` (pydantic adds union tags to locations)."""
    known = tuple(
        part for part in loc if isinstance(part, int) or not str(part).startswith(("function-", "tagged-"))
    )
    for end in range(len(known), -1, -1):
        if known[:end] in lines:
            return lines[known[:end]]
    return 0
