"""bench.profile_layers: each py-spy sample goes to one layer by its stack, and the ceilings are plain arithmetic.

The stacks are shaped as py-spy's raw output writes them (``function (file:line)``, outermost first, ``;`` between
frames, the sample count last); nothing is timed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import profile_layers  # noqa: E402

RUN = "run (bedrock_batch/offline/execution.py:10)"
CALL = "_make_api_call (botocore/client.py:1050)"
TASK = "call (bedrock_batch/offline/integrations/sdk.py:80)"


@pytest.mark.parametrize(("stack", "expected"), [
    # a call's handling: botocore and moto's dispatch, with no backend below
    ([RUN, TASK, CALL, "sign (botocore/auth.py:400)"], "service_calls_handling"),
    ([RUN, TASK, CALL, "__call__ (moto/core/botocore_stubber.py:60)", "parse (werkzeug/wrappers.py:9)"],
     "service_calls_handling"),
    # a backend's own work, moto's or the stored bodies of moto_speedups, below the call
    ([RUN, TASK, CALL, "update_item (moto/dynamodb/models/__init__.py:300)"], "service_calls_backends"),
    ([RUN, TASK, CALL, "put_object (moto/s3/models.py:2000)"], "service_calls_backends"),
    ([RUN, TASK, CALL, "SpillingBuffer.write (bedrock_batch/offline/moto_speedups/s3.py:290)"],
     "service_calls_backends"),
    # a call made while evaluating JSONata, or by the simulator, is still a call
    ([RUN, "evaluate (bedrock_batch/offline/jsonata_fast.py:5)", CALL], "service_calls_handling"),
    ([RUN, "_write_output (bedrock_batch/offline/bedrock/simulator.py:975)", CALL], "service_calls_handling"),
    ([RUN, "evaluate (bedrock_batch/offline/expressions.py:70)", "invoke (<jsonata lambda body at 0>:77)"],
     "jsonata"),
    ([RUN, "_answer (bedrock_batch/offline/bedrock/simulator.py:1063)"], "bedrock_simulator"),
    ([RUN, "handler (app.py:174)", "read_job_outputs (batch_outputs.py:294)"], "parquet_writer"),
    ([RUN, "wrapper (pyarrow/compute.py:272)"], "parquet_writer"),
    ([RUN, "_line_blocks (bedrock_batch/offline/distributed/item_reader.py:60)"], "distributed_map"),
    ([RUN, "dumps (bedrock_batch/offline/json_text.py:128)"], "interpreter"),
    (["<module> (bench/pipeline.py:360)", "simplecot_rows (bench/pipeline.py:121)"], "other"),
])
def test_each_sample_goes_to_the_first_layer_its_stack_is_in(stack: list[str], expected: str) -> None:
    assert profile_layers.layer(stack) == expected


def test_shares_count_samples_and_skip_stackless_lines() -> None:
    """py-spy writes a sample with no Python frame as a bare count: it belongs to no layer and is not counted."""
    lines = [f"{RUN};{TASK};{CALL};sign (botocore/auth.py:400) 3\n",
             f"{RUN};evaluate (bedrock_batch/offline/jsonata_fast.py:5) 1\n",
             " 4\n", "\n"]
    shares, samples = profile_layers.shares(lines)
    assert samples == 4
    assert shares["service_calls_handling"] == 0.75 and shares["jsonata"] == 0.25
    assert sum(shares.values()) == 1


def test_ceilings_take_the_named_layers_out_of_the_wall_time() -> None:
    shares = dict.fromkeys(profile_layers.LAYERS, 0.0) | {"service_calls_handling": 0.2, "jsonata": 0.3,
                                                          "other": 0.5}
    result = profile_layers.ceilings(shares, wall_seconds=20.0, rows=100_000)
    assert result["service_calls_handling"] == {"wall_seconds": 16.0, "rows_per_second": 6250}
    assert result["jsonata"] == {"wall_seconds": 14.0, "rows_per_second": 7143}
    assert result["service_calls_handling + jsonata"] == {"wall_seconds": 10.0, "rows_per_second": 10000}


def test_main_prints_one_json_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "run.txt"
    profile.write_text(f"{RUN};{TASK};{CALL};put_object (moto/s3/models.py:2000) 2\n"
                       f"{RUN};_answer (bedrock_batch/offline/bedrock/simulator.py:1063) 2\n", encoding="utf-8")
    assert profile_layers.main([str(profile), "--wall", "10", "--rows", "1000"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["samples"] == 4
    assert line["shares"]["service_calls_backends"] == 0.5 and line["shares"]["bedrock_simulator"] == 0.5
    assert line["ceilings"]["jsonata"] == {"wall_seconds": 10.0, "rows_per_second": 100}


def test_a_file_without_samples_gets_one_line_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    assert profile_layers.main([str(empty)]) == 2
    assert capsys.readouterr().err == f"{empty}: no samples in it; give py-spy's raw output (-f raw)\n"
    assert profile_layers.main([str(tmp_path / "missing.txt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{tmp_path / 'missing.txt'}: cannot read it") and err.count("\n") == 1
