"""Structured answers: a prompt template's output_schema, the JSON extracted from each answer, typed columns."""

from __future__ import annotations

import json
import re
from typing import Any

import pyarrow as pa
import pytest
import test_parquet_writer as writer_tests
from test_parquet_writer import (
    BUCKET,
    OUTPUT_PREFIX,
    answer_line,
    app,
    converse,
    error_line,
    event,
    put_csv,
    put_outputs,
    read_result,
    reviews,
)

structured = app.structured
s3 = writer_tests.s3  # the moto S3 fixture

SENTIMENT = {
    "type": "object",
    "properties": {
        "sentiment": {"type": "string", "enum": ["positive", "negative", "neutral"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "stars": {"type": "integer", "minimum": 1, "maximum": 5},
        "recommends": {"type": "boolean"},
        "reason": {"type": "string"},
    },
    "required": ["sentiment", "confidence", "reason"],
    "additionalProperties": False,
}
ASPECTS = {
    "type": "object",
    "properties": {
        "aspects": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"aspect": {"type": "string"}, "opinion": {"enum": ["praised", "criticised"]}},
                "required": ["aspect", "opinion"],
                "additionalProperties": False,
            },
        },
        "extra": {"type": "object"},
    },
    "required": ["aspects"],
}
GOOD = {"sentiment": "positive", "confidence": 0.9, "reason": "It works."}


# ------------------------------------------------------------------------------------------------------ extraction


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "b": {"c": [1, 2]}}',
        '```json\n{"a": 1, "b": {"c": [1, 2]}}\n```',
        'Here is the result:\n```\n{"a": 1, "b": {"c": [1, 2]}}\n```\nHope it helps.',
        'Sure! {"a": 1, "b": {"c": [1, 2]}} That is all.',
        'The set {x} is empty; the answer is {"a": 1, "b": {"c": [1, 2]}}',
        '  \n{"a": 1, "b": {"c": [1, 2]}}\n\n',
    ],
    ids=["bare", "fenced", "fence-and-prose", "prose-around", "stray-brace-first", "whitespace"],
)
def test_the_json_object_is_found_through_fences_and_prose(text: str) -> None:
    assert structured.extract_json(text) == {"a": 1, "b": {"c": [1, 2]}}


def test_braces_inside_strings_do_not_confuse_the_extraction() -> None:
    assert structured.extract_json('Answer: {"reason": "uses {braces} and }"} end') == {"reason": "uses {braces} and }"}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("positive\nIt works.", "no JSON object"),
        ("", "empty"),
        ('{"a": 1', "no JSON object"),
        ("[1, 2, 3]", "no JSON object"),
        ('{"a": NaN}', "no JSON object"),
    ],
    ids=["prose", "empty", "truncated", "array-not-object", "nan"],
)
def test_an_answer_without_a_json_object_is_invalid_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(structured.InvalidAnswer, match=reason):
        structured.extract_json(text)


# ------------------------------------------------------------------------------------------------------ validation


def test_a_valid_answer_gives_typed_values_and_dynamodb_attributes() -> None:
    checker = structured.StructuredOutput(SENTIMENT)
    row, attributes = checker.check(json.dumps({**GOOD, "stars": 5}))
    assert row == ["positive", 0.9, 5, None, "It works."]
    assert attributes == {
        "sentiment": {"S": "positive"},
        "confidence": {"N": "0.9"},
        "stars": {"N": "5"},
        "reason": {"S": "It works."},
    }


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"confidence": 0.5, "reason": "x"}, "'sentiment' is a required property"),
        ({**GOOD, "sentiment": "great"}, "at ['sentiment']: 'great' is not one of"),
        ({**GOOD, "confidence": 1.5}, "at ['confidence']: 1.5 is greater than the maximum of 1"),
        ({**GOOD, "stars": "five"}, "at ['stars']: 'five' is not of type 'integer'"),
        ({**GOOD, "mood": "happy"}, "Additional properties are not allowed"),
    ],
    ids=["missing-required", "not-in-enum", "out-of-range", "wrong-type", "extra-property"],
)
def test_an_answer_that_does_not_fit_the_schema_is_invalid_with_the_reason(answer: dict, reason: str) -> None:
    with pytest.raises(structured.InvalidAnswer, match=re.escape(reason)):
        structured.StructuredOutput(SENTIMENT).check(json.dumps(answer))


def test_schema_types_map_to_arrow_types() -> None:
    checker = structured.StructuredOutput(
        {**ASPECTS, "properties": {**ASPECTS["properties"], **SENTIMENT["properties"]}}
    )
    types = {f.name: f.type for f in checker.fields}
    assert types["sentiment"] == pa.string()
    assert types["confidence"] == pa.float64()
    assert types["stars"] == pa.int64()
    assert types["recommends"] == pa.bool_()
    assert types["aspects"] == pa.list_(pa.struct([("aspect", pa.string()), ("opinion", pa.string())]))
    assert types["extra"] == pa.string()  # a free-form object: JSON text
    row, _ = checker.check('{"aspects": [{"aspect": "battery", "opinion": "praised"}], "extra": {"k": [1]}}')
    assert row[:2] == [[{"aspect": "battery", "opinion": "praised"}], '{"k": [1]}']


def test_a_property_named_like_an_answer_column_gets_a_prefix() -> None:
    checker = structured.StructuredOutput({"type": "object", "properties": {"response": {"type": "string"}}})
    assert [f.name for f in checker.fields] == ["answer_response"]


@pytest.mark.parametrize("schema", [{"type": "object"}, {"type": "object", "properties": {"a": {"type": 7}}}, []])
def test_a_schema_without_properties_or_that_is_not_json_schema_is_refused(schema: Any) -> None:
    with pytest.raises(ValueError, match="OutputSchema"):
        structured.StructuredOutput(schema)


# ------------------------------------------------------------------------------------------- the Parquet writer


def test_valid_answers_are_written_in_typed_columns_and_invalid_ones_listed_as_failed(s3: Any) -> None:
    key = put_csv(s3, reviews(5))
    texts = [
        json.dumps({**GOOD, "stars": 4}),
        "```json\n" + json.dumps({**GOOD, "sentiment": "neutral", "confidence": 0.5}) + "\n```",
        "I think it is positive.",
        json.dumps({**GOOD, "sentiment": "great"}),
    ]
    put_outputs(s3, [answer_line(i, converse(text)) for i, text in enumerate(texts)] + [error_line(4)])
    failed_key = OUTPUT_PREFIX + "records.jsonl.out.failed.jsonl"

    result = app.handler(event(key, RecordCount=5, OutputSchema=SENTIMENT, FailedKey=failed_key), None)

    table = read_result(s3)
    assert table.column_names[-5:] == ["sentiment", "confidence", "stars", "recommends", "reason"]
    assert table.schema.field("confidence").type == pa.float64() and table.schema.field("stars").type == pa.int64()
    assert table["review_id"].to_pylist() == ["r0", "r1"]
    assert table["sentiment"].to_pylist() == ["positive", "neutral"]
    assert table["stars"].to_pylist() == [4, None]
    assert table["response"].to_pylist() == texts[:2]  # the raw text, fences and all
    assert result["Rows"] == 2 and result["Errors"] == 3 and result["Failed"] == 3
    assert result["ErrorReasons"]["invalid structured answer"] == 2
    assert result["ErrorReasons"]["model error"] == 1 and result["ErrorReasons"]["no output"] == 0
    assert result["InputTokens"] == 40  # every answer was paid for, valid or not
    failed = [json.loads(line) for line in s3.get_object(Bucket=BUCKET, Key=failed_key)["Body"].iter_lines()]
    assert [f["recordId"] for f in failed] == ["00000000002", "00000000003", "00000000004"]
    assert failed[0]["error"]["errorCode"] == "InvalidStructuredAnswer"
    assert "no JSON object" in failed[0]["error"]["errorMessage"] and failed[0]["answer"] == texts[2]
    assert "'great' is not one of" in failed[1]["error"]["errorMessage"] and failed[1]["answer"] == texts[3]
    assert failed[2]["error"]["errorCode"] == "400"


def test_structured_key_lists_the_valid_rows_as_dynamodb_attributes(s3: Any) -> None:
    key = put_csv(s3, reviews(2))
    put_outputs(s3, [answer_line(0, converse(json.dumps(GOOD))), answer_line(1, converse("nope"))])
    structured_key = OUTPUT_PREFIX + "records.jsonl.out.structured.jsonl"

    result = app.handler(event(key, RecordCount=2, OutputSchema=json.dumps(SENTIMENT), StructuredKey=structured_key))

    assert result["StructuredRows"] == 1 and result["StructuredKey"] == structured_key
    [line] = [json.loads(x) for x in s3.get_object(Bucket=BUCKET, Key=structured_key)["Body"].iter_lines()]
    assert line["recordId"] == "00000000000" and line["response"] == json.dumps(GOOD)
    assert line["attributes"]["sentiment"] == {"S": "positive"} and line["attributes"]["confidence"] == {"N": "0.9"}


def test_a_long_invalid_answer_is_cut_to_fit_a_dead_letter(s3: Any) -> None:
    key = put_csv(s3, reviews(1))
    put_outputs(s3, [answer_line(0, converse("é" * 100_000))])
    failed_key = OUTPUT_PREFIX + "f.jsonl"
    app.handler(event(key, RecordCount=1, OutputSchema=SENTIMENT, FailedKey=failed_key))
    [failed] = [json.loads(x) for x in s3.get_object(Bucket=BUCKET, Key=failed_key)["Body"].iter_lines()]
    assert len(failed["answer"].encode()) <= structured.MAX_ANSWER_BYTES


def test_without_output_schema_nothing_changes(s3: Any) -> None:
    key = put_csv(s3, reviews(1))
    put_outputs(s3, [answer_line(0, converse("no json here"))])
    result = app.handler(event(key, RecordCount=1))
    assert result["Rows"] == 1 and "invalid structured answer" not in result["ErrorReasons"]
    assert result["StructuredKey"] is None
