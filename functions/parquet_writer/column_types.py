"""The types of a CSV run's columns, decided once per run from every row, applied by each writer to its slice.

Step Functions' CSV reader gives every value as a string. Typing each job's slice on its own would give the files of
one run different schemas (a column of integers in one slice, with an "n/a" in the next), so the input workflow
decides the types once: each reader child checks its batch's values column by column (one regular expression over
the column's values joined by newlines) and adds the columns that held a non-empty value, and those that held a
value that is not an integer, a number or a boolean, to string sets on the run summary (DynamoDB ``ADD``, a set
union, so the children's order does not matter). After the last child the workflow knows, for every column of the
whole file, whether each of its non-empty values is:

* a boolean: ``true`` or ``false`` in any letter case                      -> ``boolean``
* else an integer: ``-?(0|[1-9][0-9]{0,17})`` (no leading zero, so that zip codes and ids like ``007`` stay text;
  at most 18 digits, so every one fits an int64)                           -> ``int64``
* else a number: the same integer part up to 15 digits, an optional fraction and an optional exponent of at most
  two digits (so every one fits a float64)                                 -> ``float64``
* else, or when the column is empty in every row, or a value holds a newline -> ``string``, as read.

The writer receives the typed columns as ``ColumnTypes`` (``{column: type}``; a column not named stays a string).
A typed column's empty value becomes null. Since the rule was checked on every row the reader passed on, every
value of every slice casts: a cast that fails means the file changed under the run, and the writer says so.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

TYPES: dict[str, pa.DataType] = {"boolean": pa.bool_(), "int64": pa.int64(), "float64": pa.float64()}


def parse(value: Any) -> dict[str, pa.DataType]:
    """The event's ``ColumnTypes``, checked: a column name mapped to one of ``TYPES``."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(name, str) and kind in TYPES for name, kind in value.items()):
        raise ValueError(f"event field ColumnTypes must map column names to one of {', '.join(TYPES)}, got {value!r}")
    return {name: TYPES[kind] for name, kind in value.items()}


def typed_schema(schema: pa.Schema, types: dict[str, pa.DataType]) -> pa.Schema:
    """The input schema with each typed string column given its type."""
    return pa.schema(
        [
            field.with_type(types[field.name]) if field.name in types and pa.types.is_string(field.type) else field
            for field in schema
        ]
    )


def cast_batch(batch: pa.RecordBatch, schema: pa.Schema, where: str) -> pa.RecordBatch:
    """``batch`` (all strings) with its typed columns cast to ``schema``'s types; an empty string becomes null."""
    if batch.schema.equals(schema):
        return batch
    columns = []
    for column, field in zip(batch.columns, schema, strict=True):
        if column.type != field.type:
            column = _cast(column, field, where)
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _cast(column: pa.Array, field: pa.Field, where: str) -> pa.Array:
    values = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
    if pa.types.is_boolean(field.type):
        values = pc.utf8_lower(values)
    try:
        return pc.cast(values, field.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise ValueError(
            f"{where}: column {field.name!r} was read as {field.type} for the whole run, but this slice holds a value"
            f" that is not one ({error}); was the file replaced while the run read it?"
        ) from None
