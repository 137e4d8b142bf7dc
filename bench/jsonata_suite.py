"""The JSONata test suite through the runtime's own expression path: how close our JSONata is to the JavaScript one.

``python -m bench.jsonata_suite SUITE_DIR [--verbose] [--group NAME]``: SUITE_DIR is the ``test/test-suite`` folder
of a checkout of jsonata-js (tag v2.0.6 is the version AWS Step Functions runs); it is not part of this repository.

Each case (``groups/<group>/<case>.json``: one case, or a list of them) gives ``expr`` (or ``expr-file``, a file
that holds it); ``data``, or ``dataset`` (a file of ``datasets``, or null for no input); ``bindings``; and one of
``result``, ``undefinedResult``, ``code`` or ``error`` (the error expected, at compile or evaluation time: its code,
alone or in an object). The expression is compiled as a state field is (``Expression``: our syntax checks, the Step
Functions functions, ``$eval`` removed), then evaluated with the case's data as ``$``. An expected error passes when
the JSONata code in our error's text (the runtime puts it in the cause) is the same. ``timelimit`` and ``depth`` are
not applied (the runtime sets no such bounds); each case gets 20 seconds.

Prints pass/total, then the failures by group.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import signal
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from bedrock_batch.offline.errors import DefinitionError, StatesError
from bedrock_batch.offline.expressions import Expression

_CODE = re.compile(r"\b([STDU]\d{4})\b")
_SECONDS_PER_CASE = 20


class _TimedOut(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _TimedOut


def load_cases(suite: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(group, case name, case) for every case of the suite, in file order."""
    cases = []
    for path in sorted((suite / "groups").glob("*/*.json")):
        loaded = json.loads(path.read_text(encoding="utf-8"))
        items = loaded if isinstance(loaded, list) else [loaded]
        for i, case in enumerate(items):
            if "expr-file" in case:  # the expression in a file of its own, next to the case
                case = {**case, "expr": (path.parent / case["expr-file"]).read_text(encoding="utf-8")}
            name = path.stem if len(items) == 1 else f"{path.stem}[{i}]"
            cases.append((path.parent.name, name, case))
    return cases


def same(a: Any, b: Any) -> bool:
    """JSON equality as JavaScript's deep equality sees it: 1 and 1.0 alike, true and 1 not."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b or (math.isclose(a, b, rel_tol=1e-15) if math.isfinite(a) and math.isfinite(b) else False)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def run_case(case: dict[str, Any], datasets: dict[str, Any]) -> tuple[bool, str]:
    """(passed, what happened)."""
    if "data" in case:
        data = case["data"]
    elif case.get("dataset") is not None:
        data = datasets[case["dataset"]]
    else:
        data = None
    outcome: tuple[str, Any]
    try:
        expression = Expression("{% " + case["expr"] + " %}", "case")
        defined, value = expression.evaluate(case.get("bindings") or {}, input=data)
        outcome = ("value", value) if defined else ("undefined", None)
    except (DefinitionError, StatesError) as err:
        found = _CODE.search(str(err))
        outcome = ("error", found.group(1) if found else str(err))
    except _TimedOut:
        outcome = ("timeout", None)
    except RecursionError:
        outcome = ("crash", "RecursionError")
    except Exception as err:  # noqa: BLE001  (anything else is a crash of ours: counted, shown)
        outcome = ("crash", f"{type(err).__name__}: {err}")
    kind, got = outcome
    if "error" in case and "code" not in case:  # the error as an object: {"code": ..., "message": ...}
        case = {**case, "code": case["error"].get("code")}
    if "code" in case:
        return kind == "error" and got == case["code"], f"expected error {case['code']}, got {kind} {got!r}"
    if case.get("undefinedResult"):
        return kind == "undefined", f"expected undefined, got {kind} {got!r}"
    if "result" in case:
        return kind == "value" and same(got, case["result"]), f"expected {case['result']!r}, got {kind} {got!r}"
    return kind == "undefined", f"no expectation given, got {kind} {got!r}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", type=Path, help="the test/test-suite folder of jsonata-js")
    parser.add_argument("--group", help="run this group only")
    parser.add_argument("--verbose", action="store_true", help="print each failure")
    args = parser.parse_args(argv)
    datasets = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (args.suite / "datasets").glob("*.json")}
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    signal.signal(signal.SIGALRM, _on_alarm)
    failures: dict[str, list[str]] = defaultdict(list)
    total = passed = 0
    for group, name, case in load_cases(args.suite):
        if args.group and group != args.group:
            continue
        total += 1
        signal.alarm(_SECONDS_PER_CASE)
        try:
            ok, detail = run_case(case, datasets)
        finally:
            signal.alarm(0)
        if ok:
            passed += 1
        else:
            failures[group].append(f"{name}: {case['expr'].strip()[:120]!r}: {detail[:300]}")
    print(f"{passed}/{total} passed ({100 * passed / max(total, 1):.1f}%)")
    for group in sorted(failures):
        print(f"  {group}: {len(failures[group])} failed")
        if args.verbose:
            for line in failures[group]:
                print(f"    {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
