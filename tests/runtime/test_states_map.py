"""Inline Map state conformance (Developer Guide, state-map-inline and input-output-itemselector)."""

from __future__ import annotations


def _processor(states: dict) -> dict:
    return {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": next(iter(states)), "States": states}


def test_map_iterates_over_items_in_order(run_states):
    """Developer Guide, state-map-inline: Items selects the array; the output keeps the items' order."""
    execution = run_states({
        "Each": {"Type": "Map", "Items": "{% $states.input.numbers %}", "End": True,
                 "ItemProcessor": _processor({"Square": {"Type": "Pass", "End": True,
                                                         "Output": "{% $states.input * $states.input %}"}})},
    }, {"numbers": [1, 2, 3, 4]})
    assert execution.status == "SUCCEEDED"
    assert execution.output == [1, 4, 9, 16]


def test_map_without_items_iterates_the_state_input(run_states):
    """Developer Guide, state-map-inline: without Items, the Map iterates over its input, which must be an array."""
    execution = run_states({
        "Each": {"Type": "Map", "End": True,
                 "ItemProcessor": _processor({"Keep": {"Type": "Pass", "End": True}})},
    }, ["a", "b"])
    assert execution.output == ["a", "b"]


def test_item_selector_sees_map_item_index_and_value(run_states):
    """Developer Guide, input-output-itemselector: $states.context.Map.Item.Index and .Value shape each item."""
    execution = run_states({
        "Each": {"Type": "Map", "Items": "{% $states.input.names %}", "End": True,
                 "ItemSelector": {"index": "{% $states.context.Map.Item.Index %}",
                                  "name": "{% $states.context.Map.Item.Value %}",
                                  "batch": "{% $states.input.batch %}"},
                 "ItemProcessor": _processor({"Keep": {"Type": "Pass", "End": True}})},
    }, {"names": ["x", "y"], "batch": 9})
    assert execution.output == [{"index": 0, "name": "x", "batch": 9}, {"index": 1, "name": "y", "batch": 9}]


def test_item_selector_returning_the_whole_states_object_keeps_each_item_as_it_was(run_states):
    """Developer Guide, input-output-itemselector: each iteration's input is the ItemSelector's value for that item
    (its own Map.Item.Index and Value), and the Map's result is the iterations' outputs. An ItemSelector that
    returns all of ``$states`` gives each iteration the object as it was for that item: the runtime's later
    changes to ``$states`` (the next item's context, the Map's own result) do not reach values already given."""
    execution = run_states({
        "Each": {"Type": "Map", "Items": "{% $states.input.letters %}", "ItemSelector": "{% $states %}",
                 "ItemProcessor": _processor({"Keep": {"Type": "Pass", "End": True}}),
                 "Output": "{% [$states.result.[context.Map.Item.Index, context.Map.Item.Value, $keys($)]] %}",
                 "End": True},
    }, {"letters": ["a", "b"]})
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == [[0, "a", "input", "context"], [1, "b", "input", "context"]]


def test_map_output_does_not_see_the_last_item_selected(run_states):
    """Developer Guide, input-output-itemselector: ``$states.context.Map.Item`` is the ItemSelector's, for each item
    in turn; the state's Output and Assign see no item (the stricter reading, docs/fidelity.md)."""
    execution = run_states({
        "Each": {"Type": "Map", "Items": ["a", "b"], "ItemSelector": "{% $states.context.Map.Item.Value %}",
                 "ItemProcessor": _processor({"Keep": {"Type": "Pass", "End": True}}),
                 "Output": "{% {'results': $states.result, 'map': $exists($states.context.Map)} %}",
                 "Assign": {"sawItem": "{% $exists($states.context.Map.Item) %}"}, "Next": "Report"},
        "Report": {"Type": "Pass", "Output": "{% $merge([$states.input, {'sawItem': $sawItem}]) %}", "End": True},
    })
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == {"results": ["a", "b"], "map": False, "sawItem": False}


def test_max_concurrency_limits_iterations_at_once(runtime, run_states):
    """Developer Guide, state-map-inline: MaxConcurrency caps how many iterations run at the same time."""
    run_states({
        "Each": {"Type": "Map", "Items": [1, 2, 3, 4], "MaxConcurrency": 2, "End": True,
                 "ItemProcessor": _processor({"Pause": {"Type": "Wait", "Seconds": 10, "End": True}})},
    })
    assert runtime.clock.monotonic() == 20  # two rounds of two


def test_max_concurrency_zero_means_no_limit(runtime, run_states):
    """Developer Guide, state-map-inline: MaxConcurrency 0 (the default) places no limit on concurrency."""
    run_states({
        "Each": {"Type": "Map", "Items": [1, 2, 3, 4], "MaxConcurrency": 0, "End": True,
                 "ItemProcessor": _processor({"Pause": {"Type": "Wait", "Seconds": 10, "End": True}})},
    })
    assert runtime.clock.monotonic() == 10


def test_failed_iteration_fails_the_map_with_its_error(run_states):
    """Developer Guide, state-map-inline: if one iteration fails, the Map state fails with that error."""
    execution = run_states({
        "Each": {"Type": "Map", "Items": [1, 2, 3], "End": True,
                 "ItemProcessor": _processor({
                     "Check": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input = 2 %}", "Next": "Bad"}],
                               "Default": "Good"},
                     "Bad": {"Type": "Fail", "Error": "Item.Bad", "Cause": "two"},
                     "Good": {"Type": "Succeed"},
                 })},
    })
    assert execution.status == "FAILED"
    assert (execution.error, execution.cause) == ("Item.Bad", "two")


def test_catch_on_map_handles_an_iteration_failure(run_states):
    """Developer Guide, state-map-inline: the Map state's Catch handles an iteration's error."""
    execution = run_states({
        "Each": {"Type": "Map", "Items": [1], "Next": "Done",
                 "ItemProcessor": _processor({"Bad": {"Type": "Fail", "Error": "Item.Bad"}}),
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": True},
    })
    assert execution.status == "SUCCEEDED"
    assert execution.output["Error"] == "Item.Bad"


def test_map_output_reads_states_result(run_states):
    """Developer Guide, transforming-data: in a Map state's Output, $states.result is the array of results."""
    execution = run_states({
        "Each": {"Type": "Map", "Items": [1, 2, 3], "Output": {"total": "{% $sum($states.result) %}"}, "End": True,
                 "ItemProcessor": _processor({"Keep": {"Type": "Pass", "End": True}})},
    })
    assert execution.output == {"total": 6}


def test_empty_items_give_an_empty_array(run_states):
    """Developer Guide, state-map-inline: a Map over an empty array outputs an empty array."""
    execution = run_states({
        "Each": {"Type": "Map", "Items": [], "End": True,
                 "ItemProcessor": _processor({"Keep": {"Type": "Pass", "End": True}})},
    })
    assert execution.output == []


def test_failed_iteration_stops_the_other_iterations(runtime, run_states):
    """Developer Guide, state-map-inline: when an iteration fails, the Map state fails and the iterations still
    running are stopped."""
    execution = run_states({
        "Each": {"Type": "Map", "Items": [3600, 0, 3600], "End": True,
                 "ItemProcessor": _processor({
                     "Pause": {"Type": "Wait", "Seconds": "{% $states.input %}", "Next": "Check"},
                     "Check": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input = 0 %}", "Next": "Bad"}],
                               "Default": "Good"},
                     "Bad": {"Type": "Fail", "Error": "Item.Bad"},
                     "Good": {"Type": "Succeed"},
                 })},
    })
    assert execution.status == "FAILED"
    assert execution.stop - execution.start == 0


def test_map_iteration_sees_the_same_execution_context(runtime, run_states):
    """Developer Guide, input-output-contextobject: states inside a Map iteration see the execution's context."""
    execution = run_states({
        "Each": {"Type": "Map", "Items": [1], "End": True,
                 "ItemProcessor": _processor({"Read": {"Type": "Pass", "End": True, "Output": {
                     "input": "{% $states.context.Execution.Input %}", "state": "{% $states.context.State.Name %}"}}})},
    }, {"whole": "input"})
    assert execution.output == [{"input": {"whole": "input"}, "state": "Read"}]
