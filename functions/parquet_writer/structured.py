"""Structured answers: the JSON a prompt template's ``output_schema`` asks for, extracted, validated and typed.

A template with an ``output_schema`` (a JSON Schema whose top level is an object with ``properties``) asks the model
for JSON that fits it. Each answer's text is searched for that JSON (``extract_json``: the whole text, else a fenced
code block, else the first ``{`` at which a JSON object parses, so prose and code fences around it do no harm),
validated with ``jsonschema``, and each top-level property becomes its own typed column beside ``response``, which
keeps the raw text. A row whose answer has no JSON object, or one that does not validate, is not written: it goes to
the failed records (errorCode ``InvalidStructuredAnswer``, the reason, the raw answer) for the dead-letter queue.

JSON Schema to Arrow (a property absent from ``required`` is simply null when left out):

* ``string`` (and an ``enum``/``const`` of strings) -> string; ``integer`` -> int64; ``number`` -> float64;
  ``boolean`` -> bool; a type list with ``null`` -> the other type;
* ``array`` with typed ``items`` -> list of that type; ``object`` with ``properties`` and
  ``additionalProperties: false`` -> struct of them;
* anything else (``anyOf``, free-form objects, mixed enums) -> the value as JSON text.

A property named like an answer column (``response``, ``record_id`` ...) or a DynamoDB key attribute (``pk``,
``sk``, ``job``) gets the prefix ``answer_``. The same names are the DynamoDB attributes, each value in DynamoDB's
own types (``S``, ``N``, ``BOOL``, ``NULL``, ``L``, ``M``).

Python runs per answer here (JSON parsing and validation cannot be vectorised); a job holds at most 50,000 records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import pyarrow as pa

INVALID_ERROR_CODE = "InvalidStructuredAnswer"
INVALID_REASON = "invalid structured answer"  # the ErrorReasons key
RESERVED_NAMES = frozenset(
    {
        "response",
        "embedding",
        "input_tokens",
        "output_tokens",
        "stop_reason",
        "record_id",
        "run_id",
        "input_key",
        "pk",
        "sk",
        "job",
    }
)
MAX_ANSWER_BYTES = 16 * 1024  # the raw answer kept in a dead letter: ten of them fit one SQS batch (256 KiB)
MAX_REASON_CHARS = 1000
_MAX_OBJECT_STARTS = 64  # '{' positions tried before giving up on a long answer
_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\r?\n(.*?)```", re.DOTALL)
_INT64 = (-(2**63), 2**63 - 1)


class InvalidAnswer(ValueError):
    """An answer that does not give JSON fitting the schema; the message is the reason."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def extract_json(text: str) -> dict[str, Any]:
    """The JSON object in a model's answer, tolerating code fences and prose around it."""
    stripped = text.strip()
    candidates = [stripped, *(block.strip() for block in _FENCE.findall(text))]
    for candidate in candidates:
        try:
            value = _DECODER.decode(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    start = text.find("{")
    tries = 0
    while start != -1 and tries < _MAX_OBJECT_STARTS:
        tries += 1
        try:
            value, _ = _DECODER.raw_decode(text, start)
        except ValueError:
            pass
        else:
            if isinstance(value, dict):
                return value
        start = text.find("{", start + 1)
    if not stripped:
        raise InvalidAnswer("the answer is empty")
    raise InvalidAnswer("the answer holds no JSON object")


Convert = Callable[[Any], Any]


@dataclass
class Column:
    prop: str  # the property name in the JSON
    name: str  # the column and attribute name
    type: pa.DataType
    convert: Convert = field(repr=False)  # a valid JSON value -> the column's value


def arrow_type(schema: Any) -> pa.DataType:
    """The Arrow type of a value that fits ``schema`` (see the module docstring); JSON text when it has none."""
    return _shape(schema)[0]


def _shape(schema: Any) -> tuple[pa.DataType, Convert]:
    """The Arrow type for ``schema`` and the function that turns a valid JSON value into a value of that type."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    if isinstance(schema, dict) and kind is None:
        choices = schema.get("enum", [schema["const"]] if "const" in schema else None)
        if isinstance(choices, list) and choices and all(isinstance(c, str) for c in choices):
            kind = "string"
    if kind == "string":
        return pa.string(), _same
    if kind == "integer":
        return pa.int64(), _int64
    if kind == "number":
        return pa.float64(), float
    if kind == "boolean":
        return pa.bool_(), _same
    if kind == "array" and isinstance(schema.get("items"), dict):
        item_type, item = _shape(schema["items"])
        return pa.list_(item_type), lambda values: [None if v is None else item(v) for v in values]
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if kind == "object" and isinstance(properties, dict) and properties and schema.get("additionalProperties") is False:
        shapes = {name: _shape(sub) for name, sub in properties.items()}
        return (
            pa.struct([(name, shape[0]) for name, shape in shapes.items()]),
            lambda value: {
                name: None if value.get(name) is None else shape[1](value[name]) for name, shape in shapes.items()
            },
        )
    return pa.string(), _json_text


def _same(value: Any) -> Any:
    return value


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _int64(value: Any) -> int:
    number = int(value)
    if not _INT64[0] <= number <= _INT64[1]:
        raise InvalidAnswer(f"{value} is outside the 64-bit integer range of its column")
    return number


def dynamodb_value(value: Any) -> dict[str, Any]:
    """A JSON value as a DynamoDB AttributeValue."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": json.dumps(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list):
        return {"L": [dynamodb_value(item) for item in value]}
    return {"M": {str(key): dynamodb_value(item) for key, item in value.items()}}


def _truncated(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", errors="ignore")


class StructuredOutput:
    """One prompt template's ``output_schema``: its columns, and the check of each answer against it."""

    def __init__(self, schema: Any) -> None:
        if isinstance(schema, str):
            schema = json.loads(schema)
        if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict) or not schema["properties"]:
            raise ValueError("OutputSchema must be a JSON Schema object with properties (one column each)")
        validator_class = jsonschema.validators.validator_for(schema)
        try:
            validator_class.check_schema(schema)
        except jsonschema.SchemaError as error:
            raise ValueError(f"OutputSchema is not a valid JSON Schema: {error.message}") from error
        self.validator = validator_class(schema)
        self.columns = [
            Column(prop, f"answer_{prop}" if prop in RESERVED_NAMES else prop, *_shape(sub))
            for prop, sub in schema["properties"].items()
        ]
        self.fields = [pa.field(column.name, column.type) for column in self.columns]
        self.invalid: list[dict[str, Any]] = []  # failed records, as batch_outputs lists them, plus the answer
        self.items: list[str] = []  # JSON lines for the DynamoDB sink: recordId, response, attributes

    def check(self, text: str) -> tuple[list[Any], dict[str, Any]]:
        """The column values and DynamoDB attributes of one answer; ``InvalidAnswer`` with the reason if it fails."""
        value = extract_json(text)
        error = jsonschema.exceptions.best_match(self.validator.iter_errors(value))
        if error is not None:
            where = "".join(f"[{p!r}]" for p in error.absolute_path) or "the top level"
            raise InvalidAnswer(f"the JSON does not fit the output schema at {where}: {error.message}")
        row = [None if value.get(c.prop) is None else c.convert(value[c.prop]) for c in self.columns]
        attributes = {c.name: dynamodb_value(value[c.prop]) for c in self.columns if c.prop in value}
        return row, attributes

    def split(self, batch: pa.RecordBatch, keep_items: bool = False) -> pa.RecordBatch:
        """The rows of ``batch`` whose answer fits, with the structured columns appended; the others are noted."""
        responses = batch["response"].to_pylist()
        record_ids = batch["record_id"].to_pylist()
        keep, rows = [], []
        for record_id, text in zip(record_ids, responses, strict=True):
            try:
                row, attributes = self.check(text or "")
            except InvalidAnswer as error:
                keep.append(False)
                self.invalid.append(
                    {
                        "recordId": record_id,
                        "error": {"errorCode": INVALID_ERROR_CODE, "errorMessage": str(error)[:MAX_REASON_CHARS]},
                        "answer": _truncated(text or "", MAX_ANSWER_BYTES),
                    }
                )
                continue
            keep.append(True)
            rows.append(row)
            if keep_items:
                self.items.append(
                    json.dumps({"recordId": record_id, "response": text, "attributes": attributes}, ensure_ascii=False)
                )
        mask = pa.array(keep, pa.bool_())
        kept = batch.filter(mask) if not all(keep) else batch
        columns = [pa.array([row[i] for row in rows], type=column.type) for i, column in enumerate(self.columns)]
        schema = batch.schema
        for f in self.fields:
            schema = schema.append(f)
        return pa.RecordBatch.from_arrays([*kept.columns, *columns], schema=schema)


def merge_failed(records: list[dict[str, Any]], invalid: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The failed records of the output files and the invalid answers, in recordId order."""
    return sorted([*records, *invalid], key=lambda record: str(record["recordId"]))


def write_lines(s3: Any, bucket: str, key: str, lines: list[str]) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body="".join(line + "\n" for line in lines).encode())
