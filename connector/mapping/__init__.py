"""Mapping files: schema (``schema``), loading and validation (``validate``), templates and the
pure helpers engines call (``compiled``)."""

from connector.mapping.compiled import (
    assignee_refs,
    parent_ref,
    planned_minutes,
    render_code,
    render_description,
    render_title,
    task_state,
)
from connector.mapping.errors import MappingError, MappingProblem
from connector.mapping.schema import Mapping, mapping_json_schema
from connector.mapping.validate import load_mappings

__all__ = [
    "Mapping",
    "MappingError",
    "MappingProblem",
    "assignee_refs",
    "load_mappings",
    "mapping_json_schema",
    "parent_ref",
    "planned_minutes",
    "render_code",
    "render_description",
    "render_title",
    "task_state",
]
