"""The Parquet writer Lambda against moto S3: input rows joined with a batch job's answers on recordId."""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import logging
import random
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from writer_harness import BUCKET, FUNCTION_DIR, load_like_lambda

RUN_ID = "0123456789abcdef"
OUTPUT_PREFIX = "batch-output/reviews-job/abc123def456/"
RESULT_KEY = "results/review_sentiment/reviews/reviews-job.parquet"


app, answer_extraction = load_like_lambda("parquet_writer_app", "answer_extraction")


@pytest.fixture
def s3(moto_s3: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(app, "_s3_client", None)
    return moto_s3


# ------------------------------------------------------------------------------------------------------ builders


def record_id(i: int) -> str:
    return str(i).zfill(11)


def result_id(i: int) -> str:
    """The record_id of row ``i`` in the Parquet files and the dead letters: unique across runs and files."""
    return f"{RUN_ID}-{record_id(i)}"


def converse(text: str, input_tokens: int = 10, output_tokens: int = 2) -> dict:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": input_tokens, "outputTokens": output_tokens, "totalTokens": input_tokens + 2},
        "metrics": {"latencyMs": 120},
    }


def anthropic(*texts: str) -> dict:
    content = [{"type": "text", "text": texts[0]}, {"type": "tool_use", "id": "t1", "name": "f", "input": {}}]
    content += [{"type": "text", "text": text} for text in texts[1:]]
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "content": content,
        "stop_reason": "max_tokens",
        "stop_sequence": None,
        "usage": {"input_tokens": 21, "output_tokens": 7},
    }


def nova(text: str) -> dict:
    return {
        "output": {"message": {"content": [{"text": text}], "role": "assistant"}},
        "stopReason": "max_tokens",
        "usage": {"inputTokens": 30, "outputTokens": 9, "totalTokens": 39, "cacheReadInputTokenCount": 0},
    }


def llama(text: str) -> dict:
    return {"generation": text, "prompt_token_count": 17, "generation_token_count": 5, "stop_reason": "stop"}


def titan(vector: list[float]) -> dict:
    return {"embedding": vector, "embeddingsByType": {"float": vector}, "inputTextTokenCount": 6}


def cohere(vector: list[float], by_type: bool = False) -> dict:
    embeddings = {"float": [vector]} if by_type else [vector]
    return {"embeddings": embeddings, "id": "e1", "response_type": "embeddings_floats", "texts": ["t"]}


def answer_line(i: int, model_output: dict) -> dict:
    return {
        "recordId": record_id(i),
        "modelInput": {"messages": [{"role": "user", "content": [{"text": f"prompt {i}"}]}]},
        "modelOutput": model_output,
    }


def error_line(i: int) -> dict:
    return {
        "recordId": record_id(i),
        "modelInput": {"messages": [{"role": "user", "content": [{"text": f"prompt {i}"}]}]},
        "error": {"errorCode": 400, "errorMessage": "Malformed input request"},
    }


def put_outputs(s3: Any, lines: list[dict], name: str = "records.jsonl.out") -> None:
    body = "".join(json.dumps(line) + "\n" for line in lines)
    s3.put_object(Bucket=BUCKET, Key=OUTPUT_PREFIX + name, Body=body.encode())


def put_csv(s3: Any, rows: list[list[str]], key: str = "inputs/review_sentiment/reviews.csv", sep: str = ",") -> str:
    text = "".join(sep.join(row) + "\n" for row in rows)
    s3.put_object(Bucket=BUCKET, Key=key, Body=text.encode())
    return key


def event(input_key: str, input_format: str = "CSV", **extra: Any) -> dict:
    return {
        "Bucket": BUCKET,
        "RunId": RUN_ID,
        "InputKey": input_key,
        "InputFormat": input_format,
        "CSVDelimiter": ",",
        "OutputPrefix": OUTPUT_PREFIX,
        "ResultKey": RESULT_KEY,
        "RecordIdOffset": 0,
        **extra,
    }


def read_result(s3: Any) -> pa.Table:
    body = s3.get_object(Bucket=BUCKET, Key=RESULT_KEY)["Body"].read()
    return pq.read_table(io.BytesIO(body))


def reviews(n: int) -> list[list[str]]:
    return [["review_id", "text", "stars"]] + [[f"r{i}", f"review number {i}", str(i % 5 + 1)] for i in range(n)]


# ------------------------------------------------------------------------------------------------------- tests


def test_csv_rows_are_joined_with_their_responses_and_keep_every_input_column(s3: Any) -> None:
    key = put_csv(s3, reviews(3))
    put_outputs(s3, [answer_line(i, converse(f"label {i}", input_tokens=10 + i)) for i in range(3)])

    result = app.handler(event(key, RecordCount=3), None)

    table = read_result(s3)
    assert table.column_names == [
        "review_id",
        "text",
        "stars",
        "response",
        "input_tokens",
        "output_tokens",
        "stop_reason",
        "record_id",
        "run_id",
        "input_key",
    ]
    assert table.to_pylist()[1] == {
        "review_id": "r1",
        "text": "review number 1",
        "stars": "2",
        "response": "label 1",
        "input_tokens": 11,
        "output_tokens": 2,
        "stop_reason": "end_turn",
        "record_id": "0123456789abcdef-00000000001",
        "run_id": RUN_ID,
        "input_key": key,
    }
    assert table.schema.field("input_tokens").type == pa.int32()
    assert result == {
        "ResultKey": RESULT_KEY,
        "Rows": 3,
        "Errors": 0,
        "Columns": table.column_names,
        "InputTokens": 10 + 11 + 12,
        "OutputTokens": 6,
        "OutputFiles": 1,
        "ErrorReasons": {
            "model error": 0,
            "unrecognised model output": 0,
            "no output": 0,
            "recordId outside the slice": 0,
        },
        "Missing": 0,
        "MissingKey": None,
        "Failed": 0,
        "FailedKey": None,
        "StructuredRows": 0,
        "StructuredKey": None,
        "RaggedRows": {"Short": 0, "Long": 0},
    }


def test_outputs_in_shuffled_order_are_joined_on_record_id(s3: Any) -> None:
    key = put_csv(s3, reviews(500))
    lines = [answer_line(i, converse(f"answer for r{i}")) for i in range(500)]
    random.Random(7).shuffle(lines)
    put_outputs(s3, lines)

    app.handler(event(key), None)

    table = read_result(s3)
    assert table.num_rows == 500
    for row in table.to_pylist():
        assert row["response"] == f"answer for {row['review_id']}"
        assert row["record_id"] == result_id(int(row["review_id"][1:]))


def test_error_lines_and_missing_outputs_are_excluded_and_counted(s3: Any) -> None:
    key = put_csv(s3, reviews(6))
    put_outputs(s3, [answer_line(0, llama("a")), error_line(1), answer_line(3, llama("c")), error_line(4)])

    result = app.handler(event(key, RecordCount=6), None)

    assert read_result(s3)["review_id"].to_pylist() == ["r0", "r3"]
    assert result["Rows"] == 2
    assert result["Errors"] == 4
    assert result["ErrorReasons"]["model error"] == 2
    assert result["ErrorReasons"]["no output"] == 2


def test_record_id_offset_and_count_select_the_slice_of_the_file(s3: Any) -> None:
    key = put_csv(s3, reviews(10))
    put_outputs(s3, [answer_line(i, converse(f"a{i}")) for i in range(4, 7)])

    result = app.handler(event(key, RecordIdOffset=4, RecordCount=3), None)

    table = read_result(s3)
    assert table["review_id"].to_pylist() == ["r4", "r5", "r6"]
    assert table["record_id"].to_pylist() == [result_id(i) for i in (4, 5, 6)]
    assert (result["Rows"], result["Errors"]) == (3, 0)


def test_a_slice_without_record_count_runs_to_the_end_of_the_file(s3: Any) -> None:
    key = put_csv(s3, reviews(8))
    put_outputs(s3, [answer_line(i, converse(f"a{i}")) for i in range(5, 8)])

    result = app.handler(event(key, RecordIdOffset=5), None)

    assert read_result(s3)["review_id"].to_pylist() == ["r5", "r6", "r7"]
    assert (result["Rows"], result["Errors"]) == (3, 0)


@pytest.mark.parametrize(
    ("delimiter", "character"),
    [("\t", "\t"), (";", ";"), ("|", "|"), (" ", " "), ("TAB", "\t"), ("SEMICOLON", ";")],
)
def test_csv_with_other_delimiters_is_split_on_that_delimiter(s3: Any, delimiter: str, character: str) -> None:
    rows = [["id", "text"], ["1", '"two, words"'], ["2", "x"]] if character == " " else None
    rows = rows or [["id", "text"], ["1", "two, words"], ["2", "x"]]
    key = put_csv(s3, rows, key="inputs/p/data.txt", sep=character)
    put_outputs(s3, [answer_line(0, converse("a")), answer_line(1, converse("b"))])

    app.handler(event(key, CSVDelimiter=delimiter), None)

    table = read_result(s3)
    assert table.select(["id", "text", "response"]).to_pylist() == [
        {"id": "1", "text": "two, words", "response": "a"},
        {"id": "2", "text": "x", "response": "b"},
    ]


def test_ragged_rows_are_counted_in_the_slice_only_and_logged_without_their_contents(
    s3: Any, caplog: pytest.LogCaptureFixture
) -> None:
    key = put_csv(s3, [["id", "text"], ["r0"], ["r1", "SECRET", "x"], ["r2"], ["r3", "t"], ["r4", "SECRET", "x"]])
    put_outputs(s3, [answer_line(i, converse("a")) for i in range(1, 3)])

    with caplog.at_level(logging.DEBUG):
        result = app.handler(event(key, RecordIdOffset=1, RecordCount=2), None)

    assert result["RaggedRows"] == {"Short": 1, "Long": 1}
    assert read_result(s3)["text"].to_pylist() == ["SECRET", ""]
    assert "1 rows of the slice had fewer fields" in caplog.text and "SECRET" not in caplog.text


def test_csv_values_that_look_numeric_stay_strings(s3: Any) -> None:
    key = put_csv(s3, [["zip", "price", "flag", "empty"], ["00501", "1.50", "true", ""], ["02134", "2", "NA", ""]])
    put_outputs(s3, [answer_line(0, converse("a")), answer_line(1, converse("b"))])

    app.handler(event(key), None)

    table = read_result(s3)
    for name in ("zip", "price", "flag", "empty"):
        assert table.schema.field(name).type == pa.string()
    assert table.select(["zip", "price", "flag", "empty"]).to_pylist() == [
        {"zip": "00501", "price": "1.50", "flag": "true", "empty": ""},
        {"zip": "02134", "price": "2", "flag": "NA", "empty": ""},
    ]


def test_jsonl_input_keys_become_columns(s3: Any) -> None:
    rows = [{"question": f"q{i}", "n": i, "tags": ["a", "b"]} for i in range(3)]
    key = "inputs/qa/questions.jsonl"
    s3.put_object(Bucket=BUCKET, Key=key, Body="".join(json.dumps(r) + "\n" for r in rows).encode())
    put_outputs(s3, [answer_line(i, anthropic(f"answer {i}")) for i in (2, 0)])

    result = app.handler(event(key, "JSONL"), None)

    table = read_result(s3)
    assert table.select(["question", "n", "tags", "response"]).to_pylist() == [
        {"question": "q0", "n": 0, "tags": ["a", "b"], "response": "answer 0"},
        {"question": "q2", "n": 2, "tags": ["a", "b"], "response": "answer 2"},
    ]
    assert (result["Rows"], result["Errors"]) == (2, 1)


def test_parquet_input_keeps_its_schema_and_only_the_slice_is_written(s3: Any) -> None:
    source = pa.table({"doc_id": pa.array(range(100), pa.int64()), "input_text": [f"document {i}" for i in range(100)]})
    buffer = io.BytesIO()
    pq.write_table(source, buffer, row_group_size=16)
    key = "inputs/docs/docs.parquet"
    s3.put_object(Bucket=BUCKET, Key=key, Body=buffer.getvalue())
    put_outputs(s3, [answer_line(i, titan([float(i), 0.5])) for i in range(40, 60)])

    result = app.handler(event(key, "PARQUET", RecordIdOffset=40, RecordCount=20), None)

    table = read_result(s3)
    assert table.schema.field("doc_id").type == pa.int64()
    assert table["doc_id"].to_pylist() == list(range(40, 60))
    assert table["embedding"].to_pylist()[0] == [40.0, 0.5]
    assert (result["Rows"], result["Errors"]) == (20, 0)


@pytest.mark.parametrize(
    ("model_output", "expected"),
    [
        (converse("positive"), ("positive", 10, 2, "end_turn")),
        (anthropic("first ", "second"), ("first second", 21, 7, "max_tokens")),
        (nova("nova says"), ("nova says", 30, 9, "max_tokens")),
        (llama("llama says"), ("llama says", 17, 5, "stop")),
    ],
    ids=["converse", "anthropic", "nova", "llama"],
)
def test_each_text_family_gives_its_response_tokens_and_stop_reason(
    s3: Any, model_output: dict, expected: tuple
) -> None:
    key = put_csv(s3, reviews(1))
    put_outputs(s3, [answer_line(0, model_output)])

    app.handler(event(key), None)

    row = read_result(s3).to_pylist()[0]
    assert (row["response"], row["input_tokens"], row["output_tokens"], row["stop_reason"]) == expected


@pytest.mark.parametrize(
    "model_output",
    [converse("c"), anthropic("a", "b"), nova("n"), llama("l"), titan([1.0]), cohere([1.0]), cohere([1.0], True)],
    ids=["converse", "anthropic", "nova", "llama", "titan", "cohere-list", "cohere-dict"],
)
def test_known_families_are_parsed_by_pyarrow_without_the_line_by_line_fallback(
    s3: Any, monkeypatch: pytest.MonkeyPatch, model_output: dict
) -> None:
    def line_by_line(lines: Any) -> None:
        raise AssertionError("the per-line fallback was used")

    monkeypatch.setattr(app.batch_outputs, "_parse_lines", line_by_line)
    key = put_csv(s3, reviews(2))
    put_outputs(s3, [answer_line(1, model_output), error_line(0)])

    result = app.handler(event(key), None)

    assert (result["Rows"], result["Errors"]) == (1, 1)


def test_titan_embedding_is_a_float32_list_of_the_right_length(s3: Any) -> None:
    key = put_csv(s3, [["input_text"], ["alpha"], ["beta"]])
    vectors = [[random.Random(i).uniform(-1, 1) for _ in range(256)] for i in range(2)]
    put_outputs(s3, [answer_line(i, titan(vectors[i])) for i in range(2)])

    result = app.handler(event(key), None)

    table = read_result(s3)
    assert "response" not in table.column_names
    assert table.schema.field("embedding").type == pa.list_(pa.float32())
    embeddings = table["embedding"].to_pylist()
    assert [len(v) for v in embeddings] == [256, 256]
    assert embeddings[1] == pytest.approx(vectors[1], rel=1e-6)
    assert table["input_tokens"].to_pylist() == [6, 6]
    assert table["output_tokens"].to_pylist() == [None, None]
    assert table["stop_reason"].to_pylist() == [None, None]
    assert result["OutputTokens"] == 0


@pytest.mark.parametrize("by_type", [False, True], ids=["list", "dict-by-type"])
def test_cohere_embeddings_are_read_in_both_shapes(s3: Any, by_type: bool) -> None:
    key = put_csv(s3, [["input_text"], ["alpha"], ["beta"]])
    put_outputs(s3, [answer_line(i, cohere([i, 0.25, -1.0], by_type=by_type)) for i in range(2)])

    result = app.handler(event(key), None)

    table = read_result(s3)
    assert table.schema.field("embedding").type == pa.list_(pa.float32())
    assert table["embedding"].to_pylist() == [[0.0, 0.25, -1.0], [1.0, 0.25, -1.0]]
    assert table["input_tokens"].to_pylist() == [None, None]
    assert (result["Rows"], result["Errors"]) == (2, 0)


def test_answers_spread_over_several_output_files_are_all_joined(s3: Any) -> None:
    key = put_csv(s3, reviews(9))
    for part in range(3):
        put_outputs(s3, [answer_line(i, converse(f"a{i}")) for i in range(part, 9, 3)], name=f"part{part}.jsonl.out")

    result = app.handler(event(key), None)

    assert read_result(s3)["response"].to_pylist() == [f"a{i}" for i in range(9)]
    assert (result["Rows"], result["OutputFiles"]) == (9, 3)


def test_manifest_and_other_files_under_the_prefix_are_ignored(s3: Any) -> None:
    key = put_csv(s3, reviews(2))
    put_outputs(s3, [answer_line(0, converse("a")), answer_line(1, converse("b"))])
    manifest = {"totalRecordCount": 2, "processedRecordCount": 2, "successRecordCount": 2, "errorRecordCount": 0}
    s3.put_object(Bucket=BUCKET, Key=OUTPUT_PREFIX + "manifest.json.out", Body=json.dumps(manifest).encode())
    s3.put_object(Bucket=BUCKET, Key=OUTPUT_PREFIX + "notes.txt", Body=b"not output")

    result = app.handler(event(key), None)

    assert (result["Rows"], result["Errors"], result["OutputFiles"]) == (2, 0, 1)


def test_unrecognised_model_output_counts_as_an_error(s3: Any) -> None:
    key = put_csv(s3, reviews(2))
    put_outputs(s3, [answer_line(0, converse("a")), answer_line(1, {"images": ["base64..."]})])

    result = app.handler(event(key), None)

    assert read_result(s3)["review_id"].to_pylist() == ["r0"]
    assert result["Errors"] == 1
    assert result["ErrorReasons"]["unrecognised model output"] == 1


def test_record_ids_that_are_not_integers_in_the_slice_are_errors_not_crashes(s3: Any) -> None:
    key = put_csv(s3, reviews(3))
    bad = [answer_line(0, converse("x")) | {"recordId": "abc"}, answer_line(99, converse("far")), answer_line(1, {})]
    put_outputs(s3, [answer_line(0, converse("a")), *bad])

    result = app.handler(event(key, RecordCount=3), None)

    assert read_result(s3)["response"].to_pylist() == ["a"]
    assert result["Rows"] == 1
    # rows 1 (unrecognised) and 2 (no output) of the slice, plus the lines "abc" and 99 that match no row
    assert result["Errors"] == 4
    assert result["ErrorReasons"]["recordId outside the slice"] == 2


def test_lines_the_fast_parser_cannot_type_are_read_one_by_one(s3: Any) -> None:
    key = put_csv(s3, reviews(4))
    lines = [answer_line(0, converse("a")), answer_line(1, converse("b")), {"recordId": 2, "modelOutput": {}}]
    body = "".join(json.dumps(line) + "\n" for line in lines) + '{"recordId": "00000000003", "modelOut\n'
    s3.put_object(Bucket=BUCKET, Key=OUTPUT_PREFIX + "records.jsonl.out", Body=body.encode())

    result = app.handler(event(key), None)

    assert read_result(s3)["response"].to_pylist() == ["a", "b"]
    assert (result["Rows"], result["Errors"]) == (2, 2 + 2)


def test_a_job_whose_records_all_failed_writes_an_empty_file_with_its_columns(s3: Any) -> None:
    key = put_csv(s3, [["input_text"], ["alpha"]])
    line = {"recordId": record_id(0), "modelInput": {"inputText": "alpha"}, "error": {"errorCode": 400}}
    put_outputs(s3, [line])

    result = app.handler(event(key), None)

    table = read_result(s3)
    assert table.num_rows == 0
    assert table.schema.field("embedding").type == pa.list_(pa.float32())
    assert (result["Rows"], result["Errors"]) == (0, 1)


def test_an_input_column_named_like_an_answer_column_is_kept_with_a_prefix(s3: Any) -> None:
    key = put_csv(s3, [["response", "text"], ["old", "t"]])
    put_outputs(s3, [answer_line(0, converse("new"))])

    app.handler(event(key), None)

    assert read_result(s3).select(["input_response", "response"]).to_pylist() == [
        {"input_response": "old", "response": "new"}
    ]


def test_a_csv_that_is_not_utf8_raises_a_value_error_without_the_row_contents(s3: Any) -> None:
    key = "inputs/review_sentiment/latin1.csv"
    s3.put_object(Bucket=BUCKET, Key=key, Body="id,text\n1,fine\n2,SECRET caf\xe9\n".encode("latin-1"))
    put_outputs(s3, [answer_line(0, converse("a"))])

    with pytest.raises(ValueError, match=key) as raised:
        app.handler(event(key), None)
    assert "UTF-8" in str(raised.value) and "SECRET" not in str(raised.value)


def test_ragged_csv_rows_are_padded_or_cut_like_the_distributed_map_reader(s3: Any) -> None:
    """Issue "The stack works on its first real AWS run", point 6; Developer Guide, example-csv-parse-dist-map.

    A short row gets empty strings for its missing fields and a long row loses its extra fields, as the ItemReader
    that built the prompts read them, so the writer's row i is the reader's item i; quoted fields keep their
    delimiters, newlines and doubled quotes, and a backslash escapes the next character.
    """
    text = (
        "id,text,stars\n"
        "r0,short row\n"  # one field short
        'r1,"a long row, quoted",4,EXTRA,"more, extra"\n'  # two fields long
        'r2,"two\nlines, and a ""quote""",5\n'  # quoted delimiter, newline and doubled quote
        "\n"  # a blank line is not a row
        "r3\n"  # only the first field
        'r4,say ""hi"" \\, and \\"so\\" on,3\r\n'  # unquoted doubled quote, escaped delimiter and quote, CRLF
        "r5,last,1"  # no final newline
    )
    key = "inputs/review_sentiment/ragged.csv"
    s3.put_object(Bucket=BUCKET, Key=key, Body=text.encode())
    put_outputs(s3, [answer_line(i, converse(f"label {i}")) for i in range(6)])

    result = app.handler(event(key), None)

    assert result["Rows"] == 6 and result["Errors"] == 0
    assert result["RaggedRows"] == {"Short": 2, "Long": 1}
    table = read_result(s3)
    assert table.column_names[:3] == ["id", "text", "stars"]
    assert table.select(["id", "text", "stars"]).to_pylist() == [
        {"id": "r0", "text": "short row", "stars": ""},
        {"id": "r1", "text": "a long row, quoted", "stars": "4"},
        {"id": "r2", "text": 'two\nlines, and a "quote"', "stars": "5"},
        {"id": "r3", "text": "", "stars": ""},
        {"id": "r4", "text": 'say "hi" , and "so" on', "stars": "3"},
        {"id": "r5", "text": "last", "stars": "1"},
    ]
    assert table["response"].to_pylist() == [f"label {i}" for i in range(6)]
    assert table["record_id"].to_pylist() == [result_id(i) for i in range(6)]


def test_missing_input_object_raises_a_value_error_naming_the_key(s3: Any) -> None:
    put_outputs(s3, [answer_line(0, converse("a"))])

    with pytest.raises(ValueError, match="inputs/nowhere.csv"):
        app.handler(event("inputs/nowhere.csv"), None)


@pytest.mark.parametrize("input_format", ["XLSX", "PARQUET"])
def test_an_input_it_cannot_read_raises_a_value_error_naming_the_key(s3: Any, input_format: str) -> None:
    key = put_csv(s3, reviews(2), key="inputs/p/data.csv")
    put_outputs(s3, [answer_line(0, converse("a"))])

    with pytest.raises(ValueError, match="inputs/p/data.csv"):
        app.handler(event(key, input_format), None)


def test_logs_hold_counts_and_keys_but_no_prompt_or_response(s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    key = put_csv(s3, [["text"], ["SECRET-PROMPT"]])
    put_outputs(s3, [answer_line(0, converse("SECRET-RESPONSE"))])

    with caplog.at_level(logging.DEBUG):
        app.handler(event(key), None)

    assert RESULT_KEY in caplog.text
    assert "SECRET" not in caplog.text


def test_fast_path_and_line_by_line_extraction_agree() -> None:
    outputs = [
        converse("c"),
        anthropic("a", "b"),
        nova("n"),
        llama("l"),
        titan([1.0, 2.0]),
        cohere([3.0]),
        {"output": {"message": {"content": [{"reasoningContent": {"x": 1}}, {"text": "after reasoning"}]}}},
        {"content": []},
        {"embeddings": []},
        {"unknown": 1},
        None,
    ]
    one_by_one = [answer_extraction.extract_one(o) for o in outputs]
    column = pa.array(outputs, answer_extraction.MODEL_OUTPUT_TYPES[0])
    columns = answer_extraction.extract_columns(column)
    for i, expected in enumerate(one_by_one):
        got = tuple(columns[name][i].as_py() for name in answer_extraction.Answer._fields)
        assert got == (expected or (None,) * 5), outputs[i]
    assert one_by_one[6].response == "after reasoning"
    assert one_by_one[7].response == ""
    assert one_by_one[8] is None and one_by_one[9] is None


@pytest.mark.parametrize("kind", [pa.string(), pa.int64(), answer_extraction.EMBEDDING_TYPE])
def test_coalescing_answer_candidates_gives_what_pyarrow_coalesce_gives(kind: pa.DataType) -> None:
    """``extract_columns`` leaves out the candidates (fields of other model families) that are null in every row
    before it coalesces them, and returns the only one left as it is: the values and the type are
    ``pc.coalesce``'s, the reference, for any mix of empty, partly null and full candidates."""
    values = {pa.string(): ["a", "", "ç"], pa.int64(): [1, 0, -7], answer_extraction.EMBEDDING_TYPE: [[1.0], [], [2.5]]}
    rng = random.Random(str(kind))
    for _ in range(100):
        rows = rng.randint(0, 5)
        shapes = [rng.choice(["null", "null", "some", "full"]) for _ in range(rng.randint(1, 4))]
        columns = [
            pa.array(
                [None if shape == "null" or (shape == "some" and rng.random() < 0.5) else rng.choice(values[kind])
                 for _ in range(rows)],
                kind,
            )
            for shape in shapes
        ]
        got = answer_extraction._coalesce(*columns)
        expected = pc.coalesce(*columns)
        assert got.type == expected.type and got.to_pylist() == expected.to_pylist(), shapes


def test_the_function_also_imports_as_a_package_module() -> None:
    try:
        spec = importlib.util.find_spec("functions.parquet_writer.app")
    except ModuleNotFoundError:
        spec = None
    if spec is None or not str(spec.origin).startswith(str(FUNCTION_DIR)):
        pytest.skip("the repository root is not on sys.path")
    module = importlib.import_module("functions.parquet_writer.app")
    assert module.batch_outputs.__name__ == "functions.parquet_writer.batch_outputs"


# -------------------------------------------------------------------------------- records left out of the output

REQUEST_PREFIX = "batch-input/reviews-job/"
DEFAULT_MISSING_KEY = OUTPUT_PREFIX + "missing.jsonl"


def request_line(i: int) -> dict:
    return {"recordId": record_id(i), "modelInput": {"messages": [{"role": "user", "content": [{"text": f"p{i}"}]}]}}


def put_requests(s3: Any, ids: Any, name: str = "part-00000.jsonl") -> None:
    body = "".join(json.dumps(request_line(i)) + "\n" for i in ids)
    s3.put_object(Bucket=BUCKET, Key=REQUEST_PREFIX + name, Body=body.encode())


def read_missing(s3: Any, key: str = DEFAULT_MISSING_KEY) -> list[dict]:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


def missing_line(i: int) -> dict:
    return {
        "recordId": record_id(i),
        "error": {
            "errorCode": "MissingFromOutput",
            "errorMessage": "the batch job ended without an output line for this record",
        },
    }


def keys_under(s3: Any, prefix: str) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def test_records_a_partial_job_left_out_are_written_and_counted_once(s3: Any) -> None:
    key = put_csv(s3, reviews(6))
    put_requests(s3, range(6))
    put_outputs(s3, [answer_line(0, converse("a")), error_line(1), answer_line(3, converse("c")), error_line(4)])

    result = app.handler(event(key, RecordCount=6, RequestPrefix=REQUEST_PREFIX), None)

    assert read_missing(s3) == [missing_line(2), missing_line(5)]
    assert (result["Missing"], result["MissingKey"]) == (2, DEFAULT_MISSING_KEY)
    assert read_result(s3)["review_id"].to_pylist() == ["r0", "r3"]
    # rows 2 and 5 are in Missing only, not in Errors' "no output": every row of the slice is counted once
    assert result["Errors"] == 2
    assert result["ErrorReasons"] == {
        "model error": 2,
        "unrecognised model output": 0,
        "no output": 0,
        "recordId outside the slice": 0,
    }
    assert result["Rows"] + result["Errors"] + result["Missing"] == 6


def test_without_request_prefix_missing_records_stay_errors_and_nothing_is_written(s3: Any) -> None:
    key = put_csv(s3, reviews(6))
    put_requests(s3, range(6))
    put_outputs(s3, [answer_line(0, converse("a")), error_line(1), answer_line(3, converse("c")), error_line(4)])

    result = app.handler(event(key, RecordCount=6), None)

    assert (result["Missing"], result["MissingKey"]) == (0, None)
    assert (result["Errors"], result["ErrorReasons"]["no output"]) == (4, 2)
    assert keys_under(s3, OUTPUT_PREFIX) == [OUTPUT_PREFIX + "records.jsonl.out"]


def test_a_complete_output_writes_no_missing_object(s3: Any) -> None:
    key = put_csv(s3, reviews(4))
    put_requests(s3, range(4))
    put_outputs(s3, [answer_line(0, converse("a")), error_line(1), answer_line(2, {}), answer_line(3, converse("d"))])

    result = app.handler(event(key, RequestPrefix=REQUEST_PREFIX), None)

    assert (result["Missing"], result["MissingKey"]) == (0, None)
    assert (result["Rows"], result["Errors"]) == (2, 2)  # an error line and an unrecognised output are not missing
    assert keys_under(s3, OUTPUT_PREFIX) == [OUTPUT_PREFIX + "records.jsonl.out"]


def test_missing_records_are_looked_for_in_every_output_file(s3: Any) -> None:
    key = put_csv(s3, reviews(12))
    put_requests(s3, range(12))
    put_outputs(s3, [answer_line(i, converse(f"a{i}")) for i in (0, 3, 6)], name="part-00000.jsonl.out")
    put_outputs(s3, [answer_line(i, converse(f"a{i}")) for i in (1, 4, 7)], name="part-00001.jsonl.out")
    put_outputs(s3, [answer_line(2, converse("a2")), error_line(5)], name="part-00002.jsonl.out")

    result = app.handler(event(key, RequestPrefix=REQUEST_PREFIX), None)

    assert [line["recordId"] for line in read_missing(s3)] == [record_id(i) for i in (8, 9, 10, 11)]
    assert (result["Rows"], result["Errors"], result["Missing"], result["OutputFiles"]) == (7, 1, 4, 3)


def test_request_files_in_several_parts_are_all_read_and_other_files_ignored(s3: Any) -> None:
    key = put_csv(s3, reviews(9))
    for part in range(3):
        put_requests(s3, range(part * 3, part * 3 + 3), name=f"part-{part:05d}.jsonl")
    s3.put_object(Bucket=BUCKET, Key=REQUEST_PREFIX + "manifest.json", Body=b'{"recordId": "00000000042"}')
    put_outputs(s3, [answer_line(i, converse(f"a{i}")) for i in (0, 2, 4, 7)])

    result = app.handler(event(key, RequestPrefix=REQUEST_PREFIX), None)

    assert [line["recordId"] for line in read_missing(s3)] == [record_id(i) for i in (1, 3, 5, 6, 8)]
    assert (result["Rows"], result["Errors"], result["Missing"]) == (4, 0, 5)


def test_output_prefix_naming_one_file_still_finds_every_output_of_its_folder(s3: Any) -> None:
    key = put_csv(s3, reviews(8))
    put_requests(s3, range(4), name="part-00000.jsonl")
    put_requests(s3, range(4, 8), name="part-00001.jsonl")
    put_outputs(s3, [answer_line(0, converse("a0")), answer_line(1, converse("a1"))], name="part-00000.jsonl.out")
    put_outputs(
        s3, [answer_line(4, converse("a4")), error_line(5), answer_line(2, converse("a2"))], "part-00001.jsonl.out"
    )
    output_key = OUTPUT_PREFIX + "part-00000.jsonl.out"

    result = app.handler(event(key, OutputPrefix=output_key, RequestPrefix=REQUEST_PREFIX), None)

    assert read_result(s3)["review_id"].to_pylist() == ["r0", "r1"]  # only this file's answers are joined
    assert [line["recordId"] for line in read_missing(s3)] == [record_id(i) for i in (3, 6, 7)]
    assert (result["Missing"], result["MissingKey"], result["OutputFiles"]) == (3, DEFAULT_MISSING_KEY, 1)
    # rows 2, 4 and 5 have their lines in the other file, rows 3, 6 and 7 are missing: none of them is an error here
    assert (result["Rows"], result["Errors"]) == (2, 0)


def test_missing_key_can_be_chosen_and_a_retry_finds_the_same_records(s3: Any) -> None:
    key = put_csv(s3, reviews(3))
    put_requests(s3, range(3))
    put_outputs(s3, [answer_line(1, converse("b"))], name="part-00000.jsonl.out")
    missing_key = OUTPUT_PREFIX + "part-00000.jsonl.out.missing.jsonl"
    request = event(key, OutputPrefix=OUTPUT_PREFIX + "part-00000.jsonl.out", RequestPrefix=REQUEST_PREFIX)

    first = app.handler(request | {"MissingKey": missing_key}, None)
    second = app.handler(request | {"MissingKey": missing_key}, None)

    assert first == second
    assert (first["Missing"], first["MissingKey"]) == (2, missing_key)
    assert read_missing(s3, missing_key) == [missing_line(0), missing_line(2)]
    assert DEFAULT_MISSING_KEY not in keys_under(s3, OUTPUT_PREFIX)


def test_missing_records_outside_the_slice_are_listed_but_are_not_rows_of_it(s3: Any) -> None:
    key = put_csv(s3, reviews(10))
    put_requests(s3, range(10))
    put_outputs(s3, [answer_line(i, converse(f"a{i}")) for i in (0, 1, 2, 5, 6, 8)])

    result = app.handler(event(key, RecordIdOffset=4, RecordCount=4, RequestPrefix=REQUEST_PREFIX), None)

    assert [line["recordId"] for line in read_missing(s3)] == [record_id(i) for i in (3, 4, 7, 9)]
    # the slice is rows 4..7: 5 and 6 written, 4 and 7 missing; lines 0, 1, 2 and 8 are outside the slice
    assert (result["Rows"], result["Missing"], result["ErrorReasons"]["no output"]) == (2, 4, 0)
    assert result["Errors"] == result["ErrorReasons"]["recordId outside the slice"] == 4


def test_rows_never_submitted_to_the_job_stay_no_output_errors(s3: Any) -> None:
    key = put_csv(s3, reviews(5))
    put_requests(s3, [0, 1, 3])  # rows 2 and 4 were rejected before the job
    put_outputs(s3, [answer_line(0, converse("a"))])

    result = app.handler(event(key, RequestPrefix=REQUEST_PREFIX), None)

    assert [line["recordId"] for line in read_missing(s3)] == [record_id(1), record_id(3)]
    assert (result["Rows"], result["Missing"], result["Errors"], result["ErrorReasons"]["no output"]) == (1, 2, 2, 2)


def test_record_ids_are_read_without_the_line_by_line_fallback(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def line_by_line(lines: Any) -> None:
        raise AssertionError("the per-line fallback was used")

    monkeypatch.setattr(app.missing_records, "_ids_line_by_line", line_by_line)
    key = put_csv(s3, reviews(3))
    requests = [{"modelInput": {"recordId": 7, "messages": []}, "recordId": record_id(i)} for i in range(3)]
    body = "".join(json.dumps(line) + "\n" for line in requests) + "\n"
    s3.put_object(Bucket=BUCKET, Key=REQUEST_PREFIX + "part-00000.jsonl", Body=body.encode())
    put_outputs(s3, [answer_line(1, converse("b"))], name="part-00000.jsonl.out")
    put_outputs(s3, [error_line(2)], name="part-00001.jsonl.out")

    result = app.handler(event(key, OutputPrefix=OUTPUT_PREFIX + "part-00000.jsonl.out", RequestPrefix=REQUEST_PREFIX))

    assert [line["recordId"] for line in read_missing(s3)] == [record_id(0)]
    assert (result["Rows"], result["Errors"], result["Missing"]) == (1, 0, 1)


def test_a_line_that_is_not_json_carries_no_record_id(s3: Any) -> None:
    key = put_csv(s3, reviews(4))
    requests = "".join(json.dumps(request_line(i)) + "\n" for i in range(3)) + '{"recordId": 3, "modelInput": {}}\n'
    s3.put_object(Bucket=BUCKET, Key=REQUEST_PREFIX + "part-00000.jsonl", Body=requests.encode())
    put_outputs(s3, [answer_line(0, converse("a"))], name="part-00000.jsonl.out")
    truncated = json.dumps(answer_line(1, converse("b"))) + "\n" + '{"recordId": "00000000002", "modelOut\n'
    s3.put_object(Bucket=BUCKET, Key=OUTPUT_PREFIX + "part-00001.jsonl.out", Body=truncated.encode())

    result = app.handler(event(key, OutputPrefix=OUTPUT_PREFIX + "part-00000.jsonl.out", RequestPrefix=REQUEST_PREFIX))

    # row 2's only line is cut short: it is missing; row 3's request has no string recordId: it was never submitted
    assert [line["recordId"] for line in read_missing(s3)] == [record_id(2)]
    assert (result["Rows"], result["Missing"], result["ErrorReasons"]["no output"]) == (1, 1, 1)


def test_a_job_of_50000_records_is_checked_from_record_ids_alone(s3: Any) -> None:
    n = 50_000
    left_out = set(range(0, n, 97))
    key = put_csv(s3, [["text"]] + [[f"t{i}"] for i in range(n)])
    # one line serialised, the others made from it: json.dumps of 100,000 lines would be most of the test's time
    request, answer = json.dumps(request_line(0)), json.dumps(answer_line(0, converse("x")))

    def put_lines(template: str, ids: Any, name: str) -> None:
        body = "".join(template.replace(record_id(0), record_id(i)) + "\n" for i in ids)
        s3.put_object(Bucket=BUCKET, Key=name, Body=body.encode())

    put_lines(request, range(n // 2), REQUEST_PREFIX + "part-00000.jsonl")
    put_lines(request, range(n // 2, n), REQUEST_PREFIX + "part-00001.jsonl")
    answered = [i for i in range(n) if i not in left_out]
    put_lines(answer, answered[: len(answered) // 2], OUTPUT_PREFIX + "part-00000.jsonl.out")
    put_lines(answer, answered[len(answered) // 2 :], OUTPUT_PREFIX + "part-00001.jsonl.out")

    result = app.handler(event(key, RequestPrefix=REQUEST_PREFIX), None)

    assert [line["recordId"] for line in read_missing(s3)] == [record_id(i) for i in sorted(left_out)]
    assert (result["Rows"], result["Errors"], result["Missing"]) == (n - len(left_out), 0, len(left_out))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"RequestPrefix": "batch-input/none/"}, "no request file"),
        ({"RequestPrefix": REQUEST_PREFIX, "MissingKey": OUTPUT_PREFIX + "left-out.jsonl.out"}, "MissingKey"),
        ({"RequestPrefix": REQUEST_PREFIX, "OutputPrefix": "records.jsonl.out"}, "no folder"),
        ({"RequestPrefix": ""}, "RequestPrefix"),
        ({"RequestPrefix": REQUEST_PREFIX, "MissingKey": 3}, "MissingKey"),
    ],
    ids=["no-request-files", "missing-key-read-as-output", "output-prefix-without-folder", "empty", "not-a-string"],
)
def test_a_request_prefix_that_cannot_be_checked_raises_a_value_error(s3: Any, extra: dict, message: str) -> None:
    key = put_csv(s3, reviews(2))
    put_requests(s3, range(2))
    put_outputs(s3, [answer_line(0, converse("a"))])

    with pytest.raises(ValueError, match=message):
        app.handler(event(key, **extra), None)


# ------------------------------------------------------------------------------------ failed records (FailedKey)

FAILED_KEY = OUTPUT_PREFIX + "records.jsonl.out.failed.jsonl"
UNRECOGNISED = {
    "errorCode": "UnrecognisedModelOutput",
    "errorMessage": "the model output has no recognised answer for this model family",
}


def error_line_with(i: int, error: Any) -> dict:
    return {"recordId": record_id(i), "modelInput": {"messages": []}, "error": error}


def read_failed(s3: Any, key: str = FAILED_KEY) -> list[dict]:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


def test_failed_records_are_written_with_bedrocks_error_and_counted(s3: Any) -> None:
    key = put_csv(s3, reviews(8))
    put_outputs(
        s3,
        [
            answer_line(0, converse("a")),
            error_line(1),
            answer_line(2, {"images": ["base64..."]}),
            error_line_with(4, {"errorCode": 429, "errorMessage": "Too many requests"}),
            error_line_with(4, {"errorCode": 500, "errorMessage": "a later error line of the same record"}),
            answer_line(5, {"unknown": 1}),
            error_line_with(5, {"errorCode": 400}),  # an error line wins over an unrecognised output
            error_line(6),
            answer_line(6, converse("answered after all")),  # an answer wins over an error line
        ],
    )

    result = app.handler(event(key, RecordCount=8, FailedKey=FAILED_KEY), None)

    assert read_failed(s3) == [
        {"recordId": record_id(1), "error": {"errorCode": "400", "errorMessage": "Malformed input request"}},
        {"recordId": record_id(2), "error": UNRECOGNISED},
        {"recordId": record_id(4), "error": {"errorCode": "429", "errorMessage": "Too many requests"}},
        {
            "recordId": record_id(5),
            "error": {"errorCode": "400", "errorMessage": "the batch job reported an error for this record"},
        },
    ]
    assert (result["Failed"], result["FailedKey"]) == (4, FAILED_KEY)
    assert result["ErrorReasons"] == {
        "model error": 3,
        "unrecognised model output": 1,
        "no output": 2,  # rows 3 and 7: no line at all, not listed
        "recordId outside the slice": 0,
    }
    assert read_result(s3)["review_id"].to_pylist() == ["r0", "r6"]


def test_text_error_codes_and_every_file_of_the_prefix_are_listed(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def line_by_line(lines: Any) -> None:
        raise AssertionError("the per-line fallback was used")

    monkeypatch.setattr(app.batch_outputs, "_parse_lines", line_by_line)
    key = put_csv(s3, reviews(4))
    put_outputs(s3, [answer_line(0, converse("a")), error_line(1)], name="part-00000.jsonl.out")
    throttled = {"errorCode": "ThrottlingException", "errorMessage": "Rate exceeded"}
    put_outputs(s3, [error_line_with(3, throttled), answer_line(2, llama("c"))], name="part-00001.jsonl.out")

    result = app.handler(event(key, FailedKey=FAILED_KEY), None)

    assert read_failed(s3) == [
        {"recordId": record_id(1), "error": {"errorCode": "400", "errorMessage": "Malformed input request"}},
        {"recordId": record_id(3), "error": throttled},
    ]
    assert (result["Rows"], result["Failed"], result["OutputFiles"]) == (2, 2, 2)


def test_failed_records_read_line_by_line_are_listed_alike(s3: Any) -> None:
    key = put_csv(s3, reviews(5))
    lines = [
        answer_line(0, converse("a")),
        error_line(1),
        error_line_with(2, {"errorCode": 503.0, "errorMessage": "Service unavailable"}),
        answer_line(3, {}),
    ]
    body = "".join(json.dumps(line) + "\n" for line in lines) + '{"recordId": "00000000004", "modelOut\n'
    s3.put_object(Bucket=BUCKET, Key=OUTPUT_PREFIX + "records.jsonl.out", Body=body.encode())

    result = app.handler(event(key, FailedKey=FAILED_KEY), None)

    assert read_failed(s3) == [
        {"recordId": record_id(1), "error": {"errorCode": "400", "errorMessage": "Malformed input request"}},
        {"recordId": record_id(2), "error": {"errorCode": "503", "errorMessage": "Service unavailable"}},
        {"recordId": record_id(3), "error": UNRECOGNISED},
    ]
    # row 4's only line is cut short: it carries no recordId, so the row has no output and is not listed
    assert (result["Failed"], result["ErrorReasons"]["no output"]) == (3, 1)


def test_only_the_failed_rows_of_the_slice_are_listed_as_output_echoes_their_record_id(s3: Any) -> None:
    key = put_csv(s3, reviews(10))
    put_outputs(
        s3,
        [
            error_line(2),
            error_line(4),
            answer_line(5, {}) | {"recordId": "5"},
            error_line(7),
            answer_line(6, converse("f")),
        ],
    )

    result = app.handler(event(key, RecordIdOffset=4, RecordCount=3, FailedKey=FAILED_KEY), None)

    assert read_failed(s3) == [
        {"recordId": record_id(4), "error": {"errorCode": "400", "errorMessage": "Malformed input request"}},
        {"recordId": "5", "error": UNRECOGNISED},
    ]
    assert (result["Rows"], result["Failed"], result["ErrorReasons"]["recordId outside the slice"]) == (1, 2, 2)


def test_no_failed_record_writes_no_failed_object(s3: Any) -> None:
    key = put_csv(s3, reviews(3))
    put_outputs(s3, [answer_line(i, converse(f"a{i}")) for i in range(2)])  # row 2 has no output: not a failure

    result = app.handler(event(key, FailedKey=FAILED_KEY), None)

    assert (result["Failed"], result["FailedKey"], result["ErrorReasons"]["no output"]) == (0, None, 1)
    assert keys_under(s3, OUTPUT_PREFIX) == [OUTPUT_PREFIX + "records.jsonl.out"]


def test_without_failed_key_failures_are_counted_but_not_written(s3: Any) -> None:
    key = put_csv(s3, reviews(3))
    put_outputs(s3, [answer_line(0, converse("a")), error_line(1), answer_line(2, {})])

    result = app.handler(event(key), None)

    assert (result["Failed"], result["FailedKey"]) == (0, None)
    assert (result["ErrorReasons"]["model error"], result["ErrorReasons"]["unrecognised model output"]) == (1, 1)
    assert keys_under(s3, OUTPUT_PREFIX) == [OUTPUT_PREFIX + "records.jsonl.out"]


def test_failed_and_missing_records_go_to_their_own_objects(s3: Any) -> None:
    key = put_csv(s3, reviews(4))
    put_requests(s3, range(4))
    put_outputs(s3, [answer_line(0, converse("a")), error_line(1), answer_line(3, {})])

    result = app.handler(event(key, RequestPrefix=REQUEST_PREFIX, FailedKey=FAILED_KEY), None)

    assert read_missing(s3) == [missing_line(2)]
    assert [line["recordId"] for line in read_failed(s3)] == [record_id(1), record_id(3)]
    assert (result["Rows"], result["Errors"], result["Missing"], result["Failed"]) == (1, 2, 1, 2)


def test_failed_records_keep_prompts_answers_and_errors_out_of_the_logs(
    s3: Any, caplog: pytest.LogCaptureFixture
) -> None:
    key = put_csv(s3, [["text"], ["SECRET-PROMPT-0"], ["SECRET-PROMPT-1"], ["SECRET-PROMPT-2"]])
    put_outputs(
        s3,
        [
            answer_line(0, converse("SECRET-RESPONSE")),
            error_line_with(1, {"errorCode": 400, "errorMessage": "SECRET-ERROR about SECRET-PROMPT-1"}),
            answer_line(2, {"text": "SECRET-UNRECOGNISED"}),
        ],
    )

    with caplog.at_level(logging.DEBUG):
        result = app.handler(event(key, FailedKey=FAILED_KEY), None)

    assert result["Failed"] == 2
    assert FAILED_KEY in caplog.text
    assert "SECRET" not in caplog.text
    assert record_id(1) not in caplog.text


@pytest.mark.parametrize(
    ("failed_key", "message"),
    [
        (OUTPUT_PREFIX + "failed.jsonl.out", "must not end in .jsonl.out"),
        (RESULT_KEY, "must differ"),
        ("", "FailedKey"),
        (7, "FailedKey"),
    ],
    ids=["read-as-output", "result-key", "empty", "not-a-string"],
)
def test_a_failed_key_that_cannot_be_used_raises_a_value_error(s3: Any, failed_key: Any, message: str) -> None:
    key = put_csv(s3, reviews(2))
    put_outputs(s3, [answer_line(0, converse("a")), error_line(1)])

    with pytest.raises(ValueError, match=message):
        app.handler(event(key, FailedKey=failed_key), None)


# ------------------------------------------------------------------------------------------------- bounded memory


def test_a_line_longer_than_a_block_sends_its_file_straight_to_the_line_by_line_reader(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts = []
    parse_typed = app.batch_outputs._parse_typed

    def counted(body: Any, schema: pa.Schema) -> Any:
        attempts.append(schema)
        return parse_typed(body, schema)

    monkeypatch.setattr(app.batch_outputs, "_BLOCK_SIZE", 4096)
    monkeypatch.setattr(app.batch_outputs, "_parse_typed", counted)
    key = put_csv(s3, reviews(3))
    long_prompt = answer_line(1, converse("b")) | {"modelInput": {"inputText": "x" * 10_000}}
    put_outputs(s3, [answer_line(0, converse("a")), long_prompt, error_line(2)])

    result = app.handler(event(key, FailedKey=FAILED_KEY), None)

    assert read_result(s3)["response"].to_pylist() == ["a", "b"]
    assert (result["Rows"], result["Failed"]) == (2, 1)
    assert len(attempts) == 1  # no other schema is tried: none would fit the line in a block


def test_the_input_is_read_at_most_two_blocks_ahead_of_the_batches_taken(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    paced = app.input_rows.PacedStream
    streams = []

    class Watched(paced):
        def __init__(self, stream: Any) -> None:
            super().__init__(stream)
            self.most_ahead = 0
            streams.append(self)

        def read(self, size: int = -1) -> Any:
            data = super().read(size)
            self.most_ahead = max(self.most_ahead, self._reads - self._taken)
            return data

    monkeypatch.setattr(app.input_rows, "_BLOCK_SIZE", 1024)
    monkeypatch.setattr(app.input_rows, "PacedStream", Watched)
    key = "inputs/review_sentiment/reviews.jsonl"  # JSON Lines: CSV is parsed without pyarrow's reader (csv_rows)
    body = "".join(json.dumps(dict(zip(reviews(0)[0], row, strict=True))) + "\n" for row in reviews(2000)[1:])
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())  # about 100 blocks
    put_outputs(s3, [answer_line(i, converse(f"a{i}")) for i in range(0, 2000, 7)])

    result = app.handler(event(key, "JSONL"), None)

    assert result["Rows"] == len(range(0, 2000, 7))
    assert read_result(s3)["review_id"].to_pylist() == [f"r{i}" for i in range(0, 2000, 7)]
    assert streams and streams[0].most_ahead <= 2


def test_a_reader_left_waiting_to_read_ahead_is_let_go_when_the_slice_ends(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.input_rows, "_BLOCK_SIZE", 1024)
    key = put_csv(s3, reviews(2000))
    put_outputs(s3, [answer_line(i, converse(f"a{i}")) for i in range(10)])

    result = app.handler(event(key, RecordCount=10), None)  # stops after the first blocks: the reader is waiting

    assert (result["Rows"], result["Errors"]) == (10, 0)


# ------------------------------------------------------------------------------------------- the run's column types


def test_csv_columns_are_cast_to_the_run_types_and_empty_values_become_null(s3: Any) -> None:
    rows = [
        ["id", "stars", "price", "verified", "zip"],
        ["r0", "5", "9.5", "TRUE", "02134"],
        ["r1", "", "1e3", "", "10001"],
    ]
    key = put_csv(s3, rows)
    put_outputs(s3, [answer_line(i, converse(f"label {i}")) for i in range(2)])
    types = {"stars": "int64", "price": "float64", "verified": "boolean"}

    app.handler(event(key, ColumnTypes=types), None)

    table = read_result(s3)
    assert [table.schema.field(name).type for name in ("id", "stars", "price", "verified", "zip")] == [
        pa.string(),
        pa.int64(),
        pa.float64(),
        pa.bool_(),
        pa.string(),
    ]
    assert table.select(["stars", "price", "verified", "zip"]).to_pylist() == [
        {"stars": 5, "price": 9.5, "verified": True, "zip": "02134"},
        {"stars": None, "price": 1000.0, "verified": None, "zip": "10001"},
    ]


def test_two_slices_of_one_run_share_one_schema_whatever_their_values(s3: Any) -> None:
    key = put_csv(s3, [["id", "score"], ["r0", "1"], ["r1", ""]])
    put_outputs(s3, [answer_line(i, converse("x")) for i in range(2)])
    schemas = []
    for first in (0, 1):  # the first slice holds a 1, the second only an empty value
        app.handler(event(key, RecordIdOffset=first, RecordCount=1, ColumnTypes={"score": "int64"}), None)
        schemas.append(read_result(s3).schema)
    assert schemas[0] == schemas[1] and schemas[0].field("score").type == pa.int64()


def test_a_value_the_run_type_cannot_take_fails_with_the_column_named(s3: Any) -> None:
    key = put_csv(s3, [["id", "score"], ["r0", "n/a"]])
    put_outputs(s3, [answer_line(0, converse("x"))])
    with pytest.raises(ValueError, match="column 'score' was read as int64 for the whole run"):
        app.handler(event(key, ColumnTypes={"score": "int64"}), None)


def test_column_types_must_name_a_known_type(s3: Any) -> None:
    key = put_csv(s3, reviews(1))
    with pytest.raises(ValueError, match="ColumnTypes must map column names to one of boolean, int64, float64"):
        app.handler(event(key, ColumnTypes={"stars": "decimal"}), None)


def test_jsonl_keeps_its_own_types_whatever_the_column_types(s3: Any) -> None:
    key = "inputs/p/rows.jsonl"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b'{"id": "r0", "stars": "5"}\n')
    put_outputs(s3, [answer_line(0, converse("x"))])
    app.handler(event(key, "JSONL", ColumnTypes={"stars": "int64"}), None)
    assert read_result(s3).schema.field("stars").type == pa.string()
