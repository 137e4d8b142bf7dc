"""A ragged CSV end to end: every row is either a Parquet row or a dead letter, none is stranded.

Issue "The stack works on its first real AWS run", point 6. The Distributed Map CSV reader (Developer Guide,
example-csv-parse-dist-map) gives a short row empty strings for its missing fields and skips a long row's extra
fields; the Parquet writer must read the file the same way, or the paid answers of a file that passed validation
are never written. A row left without a column the prompt needs goes to the dead-letter queue before any job,
naming the file, the row, the line and the reason.
"""

from __future__ import annotations

import csv
import io

from offline_stack import HEADER, Pipeline, reviews_csv

KEY = "inputs/review_sentiment/ragged.csv"


def _ragged_file() -> tuple[str, dict[int, dict[str, str]], dict[int, str]]:
    """The file, the values the reader gives some of its rows (by index) and the dead rows' expected messages."""
    lines = reviews_csv(120).splitlines()  # header, then data row i on line i + 2, no field spans lines
    columns = HEADER.split(",")
    lines[1 + 4] = "R90004,Short Product,kitchen,4,Only a title"  # no review_text
    lines[1 + 9] = "R90009,Shorter,garden"  # no rating, title or review_text
    lines[1 + 19] = 'R90019,Long Product,books,5,Long title,"fine, really",EXTRA,"more, extra",'
    lines[1 + 29] = 'R90029,"Multi, line",toys,3,Quoted,"first line\nsecond, with ""quotes"" and a \\\\ backslash"'
    lines[1 + 39] = "R90039"  # after the multi-line field: its line is one further than the row suggests
    expected = {
        4: dict(zip(columns, ["R90004", "Short Product", "kitchen", "4", "Only a title", ""], strict=True)),
        9: dict(zip(columns, ["R90009", "Shorter", "garden", "", "", ""], strict=True)),
        19: dict(zip(columns, ["R90019", "Long Product", "books", "5", "Long title", "fine, really"], strict=True)),
        29: dict(zip(columns, ["R90029", "Multi, line", "toys", "3", "Quoted",
                               'first line\nsecond, with "quotes" and a \\ backslash'], strict=True)),
        39: dict(zip(columns, ["R90039", "", "", "", "", ""], strict=True)),
    }
    dead = {
        4: f"{KEY} row 5 (line 6 if no line above it is blank or inside a quoted field): missing or empty column"
           " review_text needed by the prompt",
        9: f"{KEY} row 10 (line 11 if no line above it is blank or inside a quoted field): missing or empty columns"
           " title, review_text needed by the prompt",
        39: f"{KEY} row 40 (line 41 if no line above it is blank or inside a quoted field): missing or empty"
            " columns title, review_text needed by the prompt",
    }
    return "\n".join(lines) + "\n", expected, dead


def test_a_ragged_csv_completes_with_every_row_written_or_dead_lettered(pipeline: Pipeline) -> None:
    body, expected, dead_rows = _ragged_file()
    all_rows = list(csv.DictReader(io.StringIO(body)))  # the csv module pads with None; only the count is used
    pipeline.drop("ragged.csv", body)
    pipeline.settle()

    (summary,) = pipeline.summaries()
    assert summary["status"]["S"] == "COMPLETE"
    written = {int(row["record_id"].rsplit("-", 1)[1]): row for row in pipeline.parquet_rows()}
    dead = {int(message["recordId"].rsplit("-", 1)[1]): message for message in pipeline.dead_letters()}
    assert len(all_rows) == 120 == len(written) + len(dead)
    assert not set(written) & set(dead)

    assert {i: m["errorMessage"] for i, m in dead.items()} == {i: dead_rows[i] for i in dead_rows}
    assert all(m["inputKey"] == KEY and m["errorCode"] == "InvalidRow" and m["job"] is None for m in dead.values())
    for index in set(expected) - set(dead_rows):
        typed = {**expected[index], "rating": int(expected[index]["rating"])}  # every rating of the file is an int
        assert {column: written[index][column] for column in expected[index]} == typed
        assert written[index]["response"]
    assert int(summary["rejected"]["N"]) == len(dead_rows)
