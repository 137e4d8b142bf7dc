"""Shapes of jsonata-python's path nodes that the fast evaluator reads directly, shared by ``jsonata_fast`` (its
closures) and ``jsonata_codegen`` (the Python it writes): each is a test of the parsed tree alone.

A path ``$name.field.field...`` (``variable_fields``) or ``field.field...`` (``context_fields``) of steps that are
alone (no filter, stage, group or ``[]``) but for filters on the last field, on a path with no group, ``[]``, tuple,
focus or array constructor of its own or on a step, is read field by field (``jsonata_fast._fields_read_directly``).
"""

from __future__ import annotations

from typing import Any


def plain_variable(step: Any) -> bool:
    """A step that is a named variable alone (``$name``, not ``$``): no filter, stage, group or ``[]``."""
    return (step.type == "variable" and step.value != "" and not step.stages and not getattr(step, "predicate", None)
            and getattr(step, "group", None) is None and not step.keep_array)


def plain_name(step: Any) -> bool:
    """A step that is a field name alone: no filter, stage, group or ``[]``."""
    return (step.type == "name" and not step.stages and not getattr(step, "predicate", None)
            and getattr(step, "group", None) is None and not step.keep_array)


def filtered_name(step: Any) -> bool:
    """A step that is a field name with filters (``name[...]``) and nothing else: no group or ``[]``."""
    return (step.type == "name" and not getattr(step, "predicate", None) and getattr(step, "group", None) is None
            and not step.keep_array and all(stage.type == "filter" for stage in step.stages or ()))


def bare_path(path: Any) -> bool:
    """A path with no group, ``[]`` or tuple of its own."""
    return getattr(path, "group", None) is None and not path.keep_singleton_array and path.tuple is None


def plain_steps(steps: list[Any]) -> bool:
    """Steps with no tuple, focus or array constructor."""
    return all(step.tuple is None and step.focus is None and not step.consarray for step in steps)


def variable_field_steps(steps: list[Any]) -> bool:
    """Steps ``$name.field.field...``: a named variable, then field names, all alone but the last, which may have
    filters; none with a tuple, focus or array constructor."""
    return (len(steps) >= 2 and plain_variable(steps[0]) and all(plain_name(step) for step in steps[1:-1])
            and filtered_name(steps[-1]) and plain_steps(steps))


def context_field_steps(steps: list[Any]) -> bool:
    """Steps ``field.field...`` of field names alone (the last may have filters); none with a tuple, focus or array
    constructor."""
    return (all(plain_name(step) for step in steps[:-1]) and filtered_name(steps[-1]) and plain_steps(steps))


def variable_fields(path: Any) -> bool:
    """A path of ``variable_field_steps`` with nothing of its own (``bare_path``)."""
    return bare_path(path) and variable_field_steps(path.steps)


def context_fields(path: Any) -> bool:
    """A path of ``context_field_steps`` with nothing of its own (``bare_path``), read from the context."""
    return bare_path(path) and context_field_steps(path.steps)
