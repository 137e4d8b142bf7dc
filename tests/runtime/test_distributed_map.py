"""The Distributed Map state: child executions, ItemSelector, MaxConcurrency, failure thresholds, execution types
and variable scope (Developer Guide, state-map-distributed, input-output-itemselector, workflow-variables)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from helpers import (
    csv_text,
    distributed_map,
    fail_when,
    get_json,
    get_jsonl,
    history_types,
    machine,
    object_reader,
    offline_runtime,
    processor,
    put_text,
    run,
    s3_writer,
    succeeded,
)

from bedrock_batch.offline.errors import DefinitionError
from bedrock_batch.offline.runtime import Runtime

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


@pytest.fixture
def rt() -> Iterator[Runtime]:
    with offline_runtime() as runtime:
        yield runtime


def concurrency_probe(rt: Runtime, wait_seconds: int = 30) -> tuple[dict[str, int], dict[str, Any]]:
    """ItemProcessor states that count children running at once: a Lambda on entry, a Wait, a Lambda on exit."""
    seen = {"running": 0, "peak": 0, "done": 0}

    def enter(event: Any, _context: Any) -> Any:
        seen["running"] += 1
        seen["peak"] = max(seen["peak"], seen["running"])
        return event

    def leave(event: Any, _context: Any) -> Any:
        seen["running"] -= 1
        seen["done"] += 1
        return event

    rt.register_lambda("probe-enter", enter)
    rt.register_lambda("probe-leave", leave)

    def call(function: str, next_state: str | None) -> dict[str, Any]:
        state: dict[str, Any] = {"Type": "Task", "Resource": LAMBDA_INVOKE,
                                 "Arguments": {"FunctionName": function, "Payload": "{% $states.input %}"},
                                 "Output": "{% $states.result.Payload %}"}
        return {**state, "Next": next_state} if next_state else {**state, "End": True}

    states = {"Enter": call("probe-enter", "Work"), "Work": {"Type": "Wait", "Seconds": wait_seconds, "Next": "Leave"},
              "Leave": call("probe-leave", None)}
    return seen, states


# -- items and ItemSelector ------------------------------------------------------------------------------------
def test_children_process_the_input_array_and_results_keep_item_order(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed: without a ResultWriter the state returns an array of the child
    workflow execution results, one per item, in item order."""
    definition = machine({"Square": distributed_map(processor({
        "Square it": {"Type": "Pass", "Output": "{% $states.input * $states.input %}", "End": True}}))})
    assert succeeded(run(rt, definition, [1, 2, 3, 4, 5])) == [1, 4, 9, 16, 25]


def test_items_field_selects_the_array_with_jsonata(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed: in JSONata states the Items field is a JSONata expression that
    evaluates to the array to iterate over."""
    definition = machine({"Each order": distributed_map(Items="{% $states.input.orders %}")})
    assert succeeded(run(rt, definition, {"orders": [{"id": "a"}, {"id": "b"}], "other": 1})) == [
        {"id": "a"}, {"id": "b"}]


def test_empty_item_list_starts_no_child(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed: the map starts one child execution per item, so no item means no
    child and an empty result array."""
    assert succeeded(run(rt, machine({"Each": distributed_map()}), [])) == []
    assert rt.counters.child_executions.total() == 0


def test_item_selector_sees_item_index_and_value(rt: Runtime) -> None:
    """Developer Guide, input-output-itemselector: ItemSelector can use $states.context.Map.Item.Index (0-based)
    and $states.context.Map.Item.Value (the item) to build each child's input."""
    definition = machine({"Each": distributed_map(ItemSelector={
        "position": "{% $states.context.Map.Item.Index %}",
        "name": "{% $states.context.Map.Item.Value.name %}",
    })})
    output = succeeded(run(rt, definition, [{"name": "ant"}, {"name": "bee"}, {"name": "cat"}]))
    assert output == [{"position": 0, "name": "ant"}, {"position": 1, "name": "bee"}, {"position": 2, "name": "cat"}]


def test_item_selector_sees_the_map_state_input(rt: Runtime) -> None:
    """Developer Guide, input-output-itemselector: in JSONata, $states.input in ItemSelector is the Map state's
    input, so every child can receive values shared by the whole run."""
    definition = machine({"Each": distributed_map(
        Items="{% $states.input.items %}",
        ItemSelector={"item": "{% $states.context.Map.Item.Value %}", "runId": "{% $states.input.runId %}"})})
    output = succeeded(run(rt, definition, {"runId": "r-7", "items": ["x", "y"]}))
    assert output == [{"item": "x", "runId": "r-7"}, {"item": "y", "runId": "r-7"}]


def test_item_selector_converts_csv_strings(rt: Runtime) -> None:
    """Developer Guide, example-csv-parse-dist-map: CSV fields arrive as strings and ItemSelector converts them
    (with $number and $parse in JSONata) before the child runs."""
    put_text(rt, "typed.csv", 'letters,numbers,array\nabc,123,"[1,2,3]"\n')
    definition = machine({"Each row": distributed_map(
        ItemReader=object_reader("typed.csv", "CSV", CSVHeaderLocation="FIRST_ROW"),
        ItemSelector={"letters": "{% $states.context.Map.Item.Value.letters %}",
                      "numbers": "{% $number($states.context.Map.Item.Value.numbers) %}",
                      "array": "{% $parse($states.context.Map.Item.Value.array) %}"})})
    assert succeeded(run(rt, definition)) == [{"letters": "abc", "numbers": 123, "array": [1, 2, 3]}]


def test_map_output_and_assign_see_the_results(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed and transforming-data: Output and Assign of the Map state read the
    child results as $states.result."""
    definition = machine({
        "Each": distributed_map(Output="{% $sum($states.result) %}", Assign={"count": "{% $count($states.result) %}"},
                                Next="Report"),
        "Report": {"Type": "Pass", "Output": {"sum": "{% $states.input %}", "count": "{% $count %}"}, "End": True},
    })
    assert succeeded(run(rt, definition, [1, 2, 3])) == {"sum": 6, "count": 3}


def test_map_output_does_not_see_the_last_item_selected(rt: Runtime) -> None:
    """Developer Guide, input-output-itemselector: ``$states.context.Map.Item`` is the ItemSelector's, for each item
    in turn; the state's Output and Assign run after every item and see no item (AWS's behaviour there is not
    documented: the stricter reading, as the inline Map, docs/fidelity.md)."""
    definition = machine({"Each": distributed_map(
        ItemSelector={"item": "{% $states.context.Map.Item.Value %}"},
        Output="{% {'results': $states.result, 'map': $exists($states.context.Map)} %}",
        Assign={"sawItem": "{% $exists($states.context.Map.Item) %}"}, Next="Report"),
        "Report": {"Type": "Pass", "Output": "{% $merge([$states.input, {'sawItem': $sawItem}]) %}", "End": True}})
    assert succeeded(run(rt, definition, ["x", "y"])) == {"results": [{"item": "x"}, {"item": "y"}], "map": False,
                                                         "sawItem": False}


# -- MaxConcurrency --------------------------------------------------------------------------------------------
def test_max_concurrency_caps_children_running_at_once(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed: MaxConcurrency is the number of child workflow executions that can
    run in parallel; the interpreter allows up to that many."""
    seen, states = concurrency_probe(rt)
    definition = machine({"Each": distributed_map(processor(states), MaxConcurrency=3)})
    succeeded(run(rt, definition, list(range(10))))
    assert seen["done"] == 10
    assert seen["peak"] == 3


def test_max_concurrency_from_a_jsonata_expression(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed: in JSONata states MaxConcurrency can be an expression that evaluates
    to an integer."""
    seen, states = concurrency_probe(rt)
    definition = machine({"Each": distributed_map(processor(states), Items="{% $states.input.items %}",
                                                  MaxConcurrency="{% $states.input.limit %}")})
    succeeded(run(rt, definition, {"items": list(range(8)), "limit": 2}))
    assert seen["peak"] == 2


def test_max_concurrency_zero_does_not_limit(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed: with MaxConcurrency 0 (or none) Step Functions does not limit
    concurrency (up to 10,000 children run in parallel)."""
    seen, states = concurrency_probe(rt)
    definition = machine({"Each": distributed_map(processor(states), MaxConcurrency=0)})
    succeeded(run(rt, definition, list(range(40))))
    assert seen["peak"] == 40


# -- failure thresholds ----------------------------------------------------------------------------------------
def reject_odd(**fields: Any) -> dict[str, Any]:
    """A machine whose map fails the children of odd items."""
    return machine({"Each": distributed_map(processor(fail_when("{% $states.input % 2 = 1 %}")), **fields)})


def test_a_failed_child_fails_the_map_by_default(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed (failure thresholds): the default tolerated percentage is zero, so
    one failed child fails the Map Run with States.ExceedToleratedFailureThreshold."""
    execution = run(rt, reject_odd(), [0, 2, 4, 5])
    assert execution.status == "FAILED"
    assert execution.error == "States.ExceedToleratedFailureThreshold"


def test_exceeded_threshold_can_be_caught(rt: Runtime) -> None:
    """Developer Guide, concepts-error-handling: States.ExceedToleratedFailureThreshold is an error a Catch on the
    Map state can handle."""
    definition = machine({
        "Each": distributed_map(processor(fail_when("{% $states.input = 'bad' %}")), Next="Done",
                                Catch=[{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Handle"}]),
        "Done": {"Type": "Succeed"},
        "Handle": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True},
    })
    assert succeeded(run(rt, definition, ["ok", "bad"])) == "States.ExceedToleratedFailureThreshold"


def test_tolerated_failure_count_allows_that_many_failures(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed: ToleratedFailureCount is the number of failed items to tolerate;
    the Map Run fails only when it is exceeded, and a failed child's entry keeps its Error and Cause."""
    output = succeeded(run(rt, reject_odd(ToleratedFailureCount=2), [0, 1, 2, 3]))
    assert output[0] == 0 and output[2] == 2
    assert [output[1]["Status"], output[1]["Error"], output[1]["Cause"]] == ["FAILED", "Item.Rejected",
                                                                            "rejected by the test"]
    assert output[3]["Status"] == "FAILED"


def test_tolerated_failure_count_exceeded_fails(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed: more failed items than ToleratedFailureCount fails the Map Run."""
    execution = run(rt, reject_odd(ToleratedFailureCount=2), [1, 3, 5, 6])
    assert execution.error == "States.ExceedToleratedFailureThreshold"


def test_tolerated_failure_percentage_allows_that_share(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed: the failed percentage is failed items divided by all items; up to
    ToleratedFailurePercentage the run succeeds, past it the run fails."""
    items = [1, 3] + [0] * 8  # 20% of the children fail
    assert run(rt, reject_odd(ToleratedFailurePercentage=20), items).status == "SUCCEEDED"
    assert run(rt, reject_odd(ToleratedFailurePercentage=10), items).error == "States.ExceedToleratedFailureThreshold"


def test_tolerated_failure_percentage_100_never_fails(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed: with a tolerated percentage of 100 the Map Run does not fail even
    if every child fails."""
    assert run(rt, reject_odd(ToleratedFailurePercentage=100), [1, 3, 5]).status == "SUCCEEDED"


def test_with_both_thresholds_exceeding_either_fails(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed: if you specify both thresholds, the workflow fails when it exceeds
    either value."""
    items = [1, 3] + [0] * 8  # 2 of 10 fail: 20%
    over_percentage = reject_odd(ToleratedFailureCount=5, ToleratedFailurePercentage=10)
    over_count = reject_odd(ToleratedFailureCount=1, ToleratedFailurePercentage=50)
    within_both = reject_odd(ToleratedFailureCount=2, ToleratedFailurePercentage=20)
    assert run(rt, over_percentage, items).error == "States.ExceedToleratedFailureThreshold"
    assert run(rt, over_count, items).error == "States.ExceedToleratedFailureThreshold"
    assert run(rt, within_both, items).status == "SUCCEEDED"


def test_thresholds_from_jsonata_expressions(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed: in JSONata states ToleratedFailureCount and
    ToleratedFailurePercentage can be expressions."""
    definition = machine({"Each": distributed_map(
        processor(fail_when("{% $states.input % 2 = 1 %}")), Items="{% $states.input.items %}",
        ToleratedFailureCount="{% $states.input.count %}")})
    assert run(rt, definition, {"items": [1, 2, 3], "count": 2}).status == "SUCCEEDED"
    assert run(rt, definition, {"items": [1, 2, 3], "count": 1}).error == "States.ExceedToleratedFailureThreshold"


def test_retrying_the_map_state_starts_a_new_map_run(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed (Retry): a retry of a Distributed Map applies to all its children
    and creates a new Map Run."""
    definition = reject_odd(Retry=[{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "MaxAttempts": 1,
                                    "IntervalSeconds": 1}])
    execution = run(rt, definition, [0, 1])
    assert execution.error == "States.ExceedToleratedFailureThreshold"
    assert rt.counters.map_runs == 2
    assert rt.counters.child_executions["STANDARD"] == 4
    assert history_types(rt, execution).count("MapRunStarted") == 2


# -- execution types, histories and counters -------------------------------------------------------------------
def test_standard_children_are_executions_with_their_own_history(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed: each child workflow execution has its own execution history,
    separate from the parent's."""
    execution = run(rt, machine({"Each": distributed_map(processor({"Child step": {"Type": "Pass", "End": True}}))}),
                    ["a", "b"])
    succeeded(execution)
    parent_events = history_types(rt, execution)
    assert "MapRunStarted" in parent_events and "MapRunSucceeded" in parent_events
    assert "PassStateEntered" not in parent_events
    children = [e for e in rt.executions.values() if e.parent is execution]
    assert len(children) == 2
    for child in children:
        assert child.status == "SUCCEEDED"
        assert "PassStateEntered" in history_types(rt, child)


def test_standard_children_counters(rt: Runtime) -> None:
    """Developer Guide, concepts-transitions and state-map-distributed: STANDARD children are Standard workflow
    executions, counted as executions and child executions, whose states are Standard state transitions."""
    succeeded(run(rt, machine({"Each": distributed_map(processor(execution_type="STANDARD"))}), [1, 2, 3]))
    assert rt.counters.child_executions == {"STANDARD": 3}
    assert rt.counters.executions == {"STANDARD": 4}
    assert rt.counters.state_transitions["STANDARD"] == 1 + 3  # the Map state, one Pass per child


def test_express_children_counters(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed and choosing-workflow-type: EXPRESS children are Express executions,
    which are not billed by state transition."""
    succeeded(run(rt, machine({"Each": distributed_map(processor(execution_type="EXPRESS"))}), [1, 2, 3]))
    assert rt.counters.child_executions == {"EXPRESS": 3}
    assert rt.counters.executions == {"STANDARD": 1, "EXPRESS": 3}
    assert rt.counters.state_transitions["STANDARD"] == 1


def test_express_children_refuse_wait_for_task_token(rt: Runtime) -> None:
    """Developer Guide, connect-to-resource: Express workflows do not support .waitForTaskToken, so an EXPRESS
    ItemProcessor using it is refused when the state machine is created."""
    callback = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Arguments": {"QueueUrl": "q", "MessageBody": "{% $states.context.Task.Token %}"}, "End": True}
    definition = machine({"Each": distributed_map(processor({"Wait for callback": callback}, "EXPRESS"))})
    with pytest.raises(DefinitionError, match="waitForTaskToken"):
        rt.create_state_machine("express-callback", definition)


def test_standard_children_accept_wait_for_task_token(rt: Runtime) -> None:
    """Developer Guide, connect-to-resource: Standard workflows support .waitForTaskToken, STANDARD children
    included."""
    callback = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Arguments": {"QueueUrl": "q", "MessageBody": "{% $states.context.Task.Token %}"}, "End": True}
    rt.create_state_machine("standard-callback", machine({"Each": distributed_map(processor({"Wait": callback}))}))


def test_distributed_map_is_refused_in_an_express_workflow(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed: Distributed mode is supported in Standard workflows but not in
    Express workflows."""
    with pytest.raises(DefinitionError, match="DISTRIBUTED"):
        rt.create_state_machine("express-parent", machine({"Each": distributed_map()}), "EXPRESS")


def test_map_run_arn_carries_the_label(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed (Label): Step Functions adds the label to the Map Run ARN,
    ``arn:aws:states:<region>:<account>:mapRun:<state machine>/<label>:<id>``."""
    execution = run(rt, machine({"Each": distributed_map(Label="demoLabel")}), [1])
    [started] = [e for e in rt.get_execution_history(execution.arn) if e["type"] == "MapRunStarted"]
    prefix = f"arn:aws:states:us-east-1:123456789012:mapRun:{execution.machine.name}/demoLabel:"
    assert started["mapRunArn"].startswith(prefix)


def test_label_with_forbidden_characters_is_refused(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed (Label): labels are at most 40 characters with no whitespace and
    none of the listed special characters."""
    for label in ("has space", "x" * 41, "a:b", "a{b}"):
        with pytest.raises(DefinitionError, match="Label"):
            rt.create_state_machine("bad-label", machine({"Each": distributed_map(Label=label)}))


# -- variables ---------------------------------------------------------------------------------------------------
def test_children_cannot_read_parent_variables(rt: Runtime) -> None:
    """Developer Guide, workflow-variables: a Distributed Map child execution does not see the parent's variables;
    reading one fails the child, while the parent's own variable stays intact."""
    definition = machine({
        "Remember": {"Type": "Pass", "Assign": {"secret": 42}, "Next": "Each"},
        "Each": distributed_map(processor({"Read parent variable": {"Type": "Pass", "Output": "{% $secret %}",
                                                                    "End": True}}),
                                ToleratedFailurePercentage=100, Next="Report"),
        "Report": {"Type": "Pass", "Output": {"secret": "{% $secret %}", "children": "{% $states.input %}"},
                   "End": True},
    })
    output = succeeded(run(rt, definition, [1, 2]))
    assert output["secret"] == 42
    assert [child["Status"] for child in output["children"]] == ["FAILED", "FAILED"]
    assert {child["Error"] for child in output["children"]} == {"States.QueryEvaluationError"}


def test_values_reach_children_through_item_selector(rt: Runtime) -> None:
    """Developer Guide, workflow-variables: to use a parent variable in a Distributed Map child, pass it in the
    child's input (ItemSelector reads the parent's variables)."""
    definition = machine({
        "Remember": {"Type": "Pass", "Assign": {"secret": 42}, "Next": "Each"},
        "Each": distributed_map(ItemSelector={"item": "{% $states.context.Map.Item.Value %}",
                                              "secret": "{% $secret %}"}),
    })
    assert succeeded(run(rt, definition, [1])) == [{"item": 1, "secret": 42}]


def test_child_assign_does_not_reach_the_parent(rt: Runtime) -> None:
    """Developer Guide, workflow-variables: variables assigned inside a child execution belong to it; the parent's
    variable of the same name keeps its value."""
    definition = machine({
        "Remember": {"Type": "Pass", "Assign": {"who": "parent"}, "Next": "Each"},
        "Each": distributed_map(processor({
            "Set": {"Type": "Pass", "Assign": {"who": "child"}, "Next": "Read"},
            "Read": {"Type": "Pass", "Output": "{% $who %}", "End": True}}), Next="Report"),
        "Report": {"Type": "Pass", "Output": {"parent": "{% $who %}", "children": "{% $states.input %}"}, "End": True},
    })
    assert succeeded(run(rt, definition, [1, 2])) == {"parent": "parent", "children": ["child", "child"]}


def test_csv_rows_reach_children_as_input(rt: Runtime) -> None:
    """Developer Guide, input-output-itemreader: the map starts one child per CSV row (after the header), each
    receiving the row as its input."""
    put_text(rt, "rows.csv", csv_text(["id"], [["a"], ["b"], ["c"]]))
    execution = run(rt, machine({"Each row": distributed_map(
        ItemReader=object_reader("rows.csv", "CSV", CSVHeaderLocation="FIRST_ROW"))}))
    succeeded(execution)
    inputs = sorted(e.input["id"] for e in rt.executions.values() if e.parent is execution)
    assert inputs == ["a", "b", "c"]


# -- scale -------------------------------------------------------------------------------------------------------
def test_20000_csv_rows_in_batches_of_500_land_exactly_once(rt: Runtime) -> None:
    """Developer Guide, input-output-itemreader, input-output-itembatcher and input-output-resultwriter: a 20,000-row
    CSV read in batches of 500 starts 40 children, and a FLATTEN JSONL export holds every row exactly once."""
    rows = [[f"r{i:05d}", f"prompt number {i}", str(i % 7)] for i in range(20_000)]
    put_text(rt, "big/prompts.csv", csv_text(["recordId", "prompt", "bucket"], rows))
    definition = machine({"Each batch": distributed_map(
        processor({"Unwrap": {"Type": "Pass", "Output": "{% $states.input.Items %}", "End": True}}, "EXPRESS"),
        ItemReader=object_reader("big/prompts.csv", "CSV", CSVHeaderLocation="FIRST_ROW"),
        ItemBatcher={"MaxItemsPerBatch": 500},
        ResultWriter=s3_writer("big-results", "FLATTEN", "JSONL"))})
    output = succeeded(run(rt, definition))
    assert rt.counters.child_executions == {"EXPRESS": 40}
    manifest = get_json(rt, output["ResultWriterDetails"]["Key"])
    written = [row for entry in manifest["ResultFiles"]["SUCCEEDED"] for row in get_jsonl(rt, entry["Key"])]
    assert len(written) == 20_000
    assert sorted(row["recordId"] for row in written) == [r[0] for r in rows]
    by_id = {row["recordId"]: row for row in written}
    assert by_id["r12345"] == {"recordId": "r12345", "prompt": "prompt number 12345", "bucket": str(12_345 % 7)}
    assert manifest["ResultFiles"].get("FAILED", []) == []


def test_tolerated_failure_percentage_must_be_between_0_and_100(rt: Runtime) -> None:
    """Developer Guide, state-map-distributed: ToleratedFailurePercentage must be a value between zero and 100."""
    for value in (101, -1):
        with pytest.raises(DefinitionError, match="ToleratedFailurePercentage"):
            rt.create_state_machine("bad-percentage", reject_odd(ToleratedFailurePercentage=value))
