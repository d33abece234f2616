"""Loading and validating mapping files: YAML syntax, schema, templates, fields, duplicates.

Every problem becomes one ``path:line: field: message — fix`` line; ``load_mappings`` raises
``MappingError`` with all of them, so nothing runs on a half-valid configuration.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from connector.mapping import schema
from connector.mapping.crm_model import BUILTIN, EntitySet
from connector.mapping.errors import MappingError, MappingProblem
from connector.mapping.schema import Mapping
from connector.mapping.templates import TemplateProblem, check_expression, check_template, referenced_fields
from connector.mapping.yamlpos import Loc, YamlSyntax, line_of, load_with_lines


@dataclass
class LoadedFile:
    """A parsed mapping file with the line of every key (for messages after schema validation)."""

    path: str
    mapping: Mapping
    lines: dict[Loc, int]


def _known_keys() -> list[str]:
    keys: set[str] = set()
    for obj in vars(schema).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj is not BaseModel:
            keys.update(obj.model_fields)
    return sorted(keys)


def _dotted(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part.startswith(("function-", "tagged-")) and part[:1].islower():
            out += f".{part}" if out else part
    return out


def _fix_for(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        close = difflib.get_close_matches(key, _known_keys(), n=1)
        hint = f" or write {close[0]!r}" if close else ""
        return f"remove it{hint} (`onec-bridge validate --schema` lists the keys)"
    if kind == "missing":
        return "add it"
    if kind in ("greater_than", "greater_than_equal"):
        return f"use a value above {error['ctx'].get('gt', error['ctx'].get('ge'))}"
    if kind == "literal_error":
        return f"use {error['ctx']['expected']}"
    return "see `onec-bridge validate --schema`"


def load_file(path: Path) -> LoadedFile:
    """Parse and schema-validate one mapping file; ``MappingError`` lists every problem found."""
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(
            [MappingProblem(shown, 0, "", f"cannot read: {exc}", "check the path and encoding")]
        ) from None
    try:
        data, lines = load_with_lines(text, shown)
    except YamlSyntax as exc:
        raise MappingError([exc.problem]) from None
    if not isinstance(data, dict):
        raise MappingError(
            [MappingProblem(shown, 1, "", "a mapping file must be a YAML mapping", "start with `name:`")]
        )
    try:
        return LoadedFile(shown, Mapping.model_validate(data), lines)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            field = _dotted(err["loc"])
            problems.append(
                MappingProblem(shown, line_of(lines, tuple(err["loc"])), field, msg, _fix_for(err))
            )
        raise MappingError(problems) from None


class _Checker:
    """Checks of one mapping against the entity sets it reads (built-in model or ``$metadata``)."""

    def __init__(self, loaded: LoadedFile, sets: dict[str, EntitySet]) -> None:
        self.f, self.m, self.sets = loaded, loaded.mapping, sets
        self.problems: list[MappingProblem] = []

    def add(self, loc: Loc, message: str, fix: str) -> None:
        self.problems.append(
            MappingProblem(self.f.path, line_of(self.f.lines, loc), _dotted(loc), message, fix)
        )

    def run(self) -> list[MappingProblem]:
        if self.m.source is None or self.m.task is None:
            return self.problems
        es = self.sets.get(self.m.source.entity_set)
        if es is None:
            close = difflib.get_close_matches(self.m.source.entity_set, list(self.sets), n=1)
            self.add(
                ("source", "entity_set"),
                f"unknown entity set {self.m.source.entity_set!r}",
                f"use {close[0]!r}" if close else "publish it in 1C or fix the name",
            )
        self._select_expand(es)
        self._templates(es)
        self._assignees(es)
        self._fields(es)
        return self.problems

    def _field_fix(self, es: EntitySet, name: str) -> str:
        close = difflib.get_close_matches(name, sorted(es.fields | set(es.tabular) | set(es.navigation)), n=1)
        return f"did you mean {close[0]!r}?" if close else f"use a field of {es.name}"

    def _select_expand(self, es: EntitySet | None) -> None:
        src = self.m.source
        assert src is not None
        for i, name in enumerate(src.select):
            if es and not es.has_field(name):
                self.add(
                    ("source", "select", i),
                    f"{src.entity_set} has no field {name!r}",
                    self._field_fix(es, name),
                )
        for i, name in enumerate(src.expand):
            if es and name not in es.navigation:
                self.add(
                    ("source", "expand", i),
                    f"{name!r} is not a reference of {src.entity_set}",
                    f"expand a navigation property such as {sorted(es.navigation)[:3]}",
                )

    def _readable(self, es: EntitySet | None) -> set[str] | None:
        src = self.m.source
        assert src is not None
        if src.select:
            return set(src.select) | set(src.expand) | {"Ref_Key", "DataVersion", "DeletionMark"}
        return (set(es.fields) | set(es.tabular) | set(src.expand)) if es else None

    def _templates(self, es: EntitySet | None) -> None:
        task = self.m.task
        assert task is not None
        items: list[tuple[Loc, str, bool]] = [
            (("task", "code"), task.code, False),
            (("task", "title"), task.title, False),
        ]
        if task.description:
            items.append((("task", "description"), task.description, False))
        for key in ("open_when", "closed_when"):
            if getattr(task, key):
                items.append((("task", key), getattr(task, key), True))
        if task.planned_minutes and task.planned_minutes.expression:
            items.append((("task", "planned_minutes", "expression"), task.planned_minutes.expression, True))
        readable = self._readable(es)
        for loc, source, is_expr in items:
            try:
                check_expression(source) if is_expr else check_template(source)
                paths = referenced_fields(source, expression=is_expr)
            except TemplateProblem as exc:
                self.add(loc, str(exc), "fix the Jinja2 syntax")
                continue
            for path in sorted(paths):
                self._check_path(loc, path, readable, es)

    def _check_path(
        self, loc: Loc, path: tuple[str, ...], readable: set[str] | None, es: EntitySet | None
    ) -> None:
        src = self.m.source
        assert src is not None
        head = path[0]
        if readable is not None and head not in readable:
            where = "source.select/expand" if src.select else src.entity_set
            fix = (
                f"add {head!r} to source.select"
                if es is None or es.has_field(head)
                else self._field_fix(es, head)
            )
            if es is not None and head in es.navigation:
                fix = f"add {head!r} to source.expand"
            self.add(loc, f"template uses {head!r}, which is not in {where}", fix)
            return
        if len(path) > 1 and es is not None and head in es.navigation:
            target = self.sets.get(es.navigation[head])
            if target is not None and not target.has_field(path[1]):
                self.add(
                    loc,
                    f"{head}.{path[1]}: {target.name} has no field {path[1]!r}",
                    self._field_fix(target, path[1]),
                )

    def _assignees(self, es: EntitySet | None) -> None:
        task = self.m.task
        src = self.m.source
        assert task is not None and src is not None
        for i, path in enumerate(task.assignees):
            loc: Loc = ("task", "assignees", i)
            if "[]." in path:
                table, column = path.split("[].", 1)
                if es is not None and table not in es.tabular:
                    tabs = ", ".join(sorted(es.tabular)) or "none"
                    self.add(loc, f"{src.entity_set} has no tabular section {table!r}", f"use one of: {tabs}")
                elif es is not None and es.tabular[table] and column not in es.tabular[table]:
                    self.add(
                        loc,
                        f"{table} rows have no field {column!r}",
                        f"use one of: {', '.join(sorted(es.tabular[table]))}",
                    )
                elif src.select and table not in src.select:
                    self.add(loc, f"{table!r} is not in source.select", f"add {table!r} to source.select")
            else:
                self._plain_field(loc, path, es)

    def _plain_field(self, loc: Loc, name: str, es: EntitySet | None) -> None:
        src = self.m.source
        assert src is not None
        if es is not None and name not in es.fields:
            self.add(loc, f"{src.entity_set} has no field {name!r}", self._field_fix(es, name))
        elif src.select and name not in src.select:
            self.add(loc, f"{name!r} is not in source.select", f"add {name!r} to source.select")

    def _nav_field(self, loc: Loc, path: str, es: EntitySet | None) -> None:
        """``Nav/Field``: a field of an expanded reference (e.g. a project task's Owner/Контрагент_Key)."""
        src = self.m.source
        assert src is not None
        head, _, sub = path.partition("/")
        if not head or not sub or "/" in sub:
            self.add(loc, f"{path!r} is not a field or Navigation/Field", "write e.g. Owner/Контрагент_Key")
            return
        if es is not None and head not in es.navigation:
            self.add(loc, f"{src.entity_set} has no navigation property {head!r}", self._field_fix(es, head))
            return
        if head not in src.expand:
            self.add(loc, f"{head!r} is not in source.expand", f"add {head!r} to source.expand")
        target = self.sets.get(es.navigation[head]) if es is not None else None
        if target is not None and sub not in target.fields:
            self.add(loc, f"{head}/{sub}: {target.name} has no field {sub!r}", self._field_fix(target, sub))

    def _fields(self, es: EntitySet | None) -> None:
        task, src, labour = self.m.task, self.m.source, self.m.labour
        assert task is not None and src is not None
        if task.planned_minutes and task.planned_minutes.field:
            self._plain_field(("task", "planned_minutes", "field"), task.planned_minutes.field, es)
        if task.parent:
            self._plain_field(("task", "parent", "field"), task.parent.field, es)
        if task.progress:
            for key in ("percent_field", "start_field", "finish_field"):
                value = getattr(task.progress, key)
                if value:
                    self._plain_field(("task", "progress", key), value, es)
        for i, det in enumerate(src.change_detection):
            if det.field:
                self._plain_field(("source", "change_detection", i, "field"), det.field, es)
        if labour:
            if labour.customer_field and "/" in labour.customer_field:
                self._nav_field(("labour", "customer_field"), labour.customer_field, es)
            for key in ("customer_field", "totals_field", "overrun_field"):
                value = getattr(labour, key)
                if key == "customer_field" and value and "/" in value:
                    continue
                if value and es is not None and value not in es.fields:
                    self.add(
                        ("labour", key),
                        f"{src.entity_set} has no field {value!r}",
                        self._field_fix(es, value),
                    )
            for key in ("flag_field", "forecast_field"):
                value = getattr(labour.risk, key)
                if value and es is not None and value not in es.fields:
                    self.add(
                        ("labour", "risk", key),
                        f"{src.entity_set} has no field {value!r}",
                        self._field_fix(es, value),
                    )
            if labour.work_type and labour.work_type.field:
                self._plain_field(("labour", "work_type", "field"), labour.work_type.field, es)


def _cross_file(files: list[LoadedFile]) -> list[MappingProblem]:
    problems: list[MappingProblem] = []
    names: dict[str, LoadedFile] = {}
    codes: dict[str, tuple[LoadedFile, int]] = {}
    for f in files:
        first = names.setdefault(f.mapping.name, f)
        if first is not f:
            problems.append(
                MappingProblem(
                    f.path,
                    line_of(f.lines, ("name",)),
                    "name",
                    f"duplicate mapping name {f.mapping.name!r} (also in {first.path})",
                    "give each mapping file a unique name",
                )
            )
        for i, st in enumerate(f.mapping.static_tasks):
            loc: Loc = ("static_tasks", i, "code")
            seen = codes.setdefault(st.code, (f, i))
            if seen != (f, i):
                other = f"{seen[0].path}:{line_of(seen[0].lines, ('static_tasks', seen[1], 'code'))}"
                problems.append(
                    MappingProblem(
                        f.path,
                        line_of(f.lines, loc),
                        _dotted(loc),
                        f"duplicate task code {st.code!r} (also at {other})",
                        "task codes must be unique across all mapping files",
                    )
                )
    return problems


def mapping_files(directory: Path) -> list[Path]:
    """The ``*.yaml``/``*.yml`` files of a mapping directory, sorted by name; ``rates.yaml`` (the
    billing rates beside the mappings, checked by ``connector.mapping.rates``) is not a mapping."""
    return sorted(
        p
        for p in directory.iterdir()
        if p.suffix in (".yaml", ".yml") and p.is_file() and p.name not in ("rates.yaml", "rates.yml")
    )


def load_loaded(directory: Path, sets: dict[str, EntitySet] | None = None) -> list[LoadedFile]:
    """Load and fully validate every mapping file of ``directory`` (see ``load_mappings``)."""
    if not directory.is_dir():
        raise MappingError(
            [MappingProblem(str(directory), 0, "", "not a directory", "pass the mappings directory")]
        )
    paths = mapping_files(directory)
    if not paths:
        raise MappingError(
            [MappingProblem(str(directory), 0, "", "no *.yaml mapping files", "add a mapping file")]
        )
    files: list[LoadedFile] = []
    problems: list[MappingProblem] = []
    for path in paths:
        try:
            files.append(load_file(path))
        except MappingError as exc:
            problems.extend(exc.problems)
    for f in files:
        problems.extend(_Checker(f, BUILTIN if sets is None else sets).run())
    problems.extend(_cross_file(files))
    if problems:
        raise MappingError(problems)
    return files


def load_mappings(directory: Path, sets: dict[str, EntitySet] | None = None) -> list[Mapping]:
    """All mappings of ``directory``, validated against ``sets`` (default: the built-in 1C model).

    Raises ``MappingError`` listing every problem of every file; returns nothing partial.
    """
    return [f.mapping for f in load_loaded(directory, sets)]
