"""The JSONata expressions that take the pipeline's time, evaluated alone on rows shaped as the pipeline's.

``python -m bench.jsonata_exprs [ROWS]`` (default 200, about one Distributed Map batch) prints one JSON line: for
each expression, the milliseconds of one evaluation over ROWS rows (the per-row ItemSelector: microseconds per row),
the best of five. The expressions are read from the state machines (``statemachines/*.asl.json``), compiled as the
runtime compiles a state's field (``Expression``); the rows have one text column, as the demo's prompt needs.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

from bedrock_batch.offline.definition import substitute
from bedrock_batch.offline.expressions import Expression

ROOT = Path(__file__).resolve().parent.parent
SUBSTITUTIONS = {"MaxTokens": "512", "Temperature": "0", "EmbeddingDimensions": "1024"}
# name -> the start of the expression in the state machines (the first one that starts so)
EXPRESSIONS = {
    "build_records": "( $template := $batch.prompt.template;",
    "check_rows": "[$map($states.input.Items, function($item) { ( $missing",
    "write_slice": "( $slice := $states.context.Map.Item.Value; $required",
    "column_sets": "( $values := $states.input.Items[$exists(values)].values;",
    "item_selector": "$length($string($states.context.Map.Item.Value)) > 65536 ? {'index': "
                     "$states.context.Map.Item.Index, 'oversize': $length($string($states.context.Map.Item.Value))}"
                     " : {'index': $states.context.Map.Item.Index, 'values'",
}


def _expressions() -> dict[str, Expression]:
    found: list[str] = []
    for path in sorted((ROOT / "statemachines").glob("*.asl.json")):
        _collect(json.loads(substitute(path.read_text(), SUBSTITUTIONS)), found)
    bodies = {}
    for name, start in EXPRESSIONS.items():
        body = next(text for text in found if text[2:-2].strip().startswith(start))
        bodies[name] = Expression(body, f"bench {name}", name)
    return bodies


def _collect(value: Any, found: list[str]) -> None:
    if isinstance(value, str) and value.startswith("{%") and value.endswith("%}"):
        found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)


def _bindings(rows: int) -> dict[str, Any]:
    values = [{"source": f"Problem {i}: a train leaves at {i % 24}:00 and travels {40 + i % 60} km; when does it "
                         f"arrive, at {50 + i % 30} km/h? Explain the steps. " * 3} for i in range(rows)]
    batch_input = {"bucket": "bench", "runId": "r1", "rowsPrefix": "staging/rows/", "sliceRows": 49900,
                   "required": ["source"], "family": "converse", "jobName": "j1",
                   "prompt": {"system": "You are a patient tutor.", "template": "{source}\n\nThink it through."}}
    return {
        "build_records": {"batch": batch_input, "states": {"input": {}, "context": {}},
                          "checked": [{"recordId": f"{i:011d}", "index": i, "row": row}
                                      for i, row in enumerate(values)]},
        "check_rows": {"states": {"input": {"Items": [{"index": i, "row": row} for i, row in enumerate(values)],
                                            "BatchInput": batch_input}, "context": {}}},
        "write_slice": {"states": {"input": {"Items": [{"index": i, "values": row} for i, row in enumerate(values)],
                                             "BatchInput": batch_input}, "context": {"Map": {"Item": {"Value": 0}}}}},
        "column_sets": {"states": {"input": {"Items": [{"index": i, "values": row} for i, row in enumerate(values)],
                                             "BatchInput": batch_input}, "context": {}}},
        "item_selector": [{"states": {"input": {}, "context": {"Map": {"Item": {"Index": i, "Value": row}}}}}
                          for i, row in enumerate(values)],
    }


def main(rows: int = 200) -> dict[str, Any]:
    gc.set_threshold(50_000, 20, 100)  # the runtime's thresholds (RuntimeConfig.gc_thresholds)
    expressions = _expressions()
    bindings = _bindings(rows)
    result: dict[str, Any] = {"rows": rows}
    for name, expression in expressions.items():
        runs = bindings[name] if isinstance(bindings[name], list) else [bindings[name]]
        expression.evaluate(runs[0])  # compiles the closures
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for run in runs:
                expression.evaluate(run)
            best = min(best, time.perf_counter() - start)
        if name == "item_selector":
            result["item_selector_us_per_row"] = round(best / len(runs) * 1e6, 2)
        else:
            result[f"{name}_ms"] = round(best * 1e3, 3)
    return result


def cli() -> None:
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)))


if __name__ == "__main__":
    cli()
