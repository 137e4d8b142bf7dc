"""Task state conformance (Developer Guide, state-task and connect-lambda)."""

from __future__ import annotations

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


def _double(event, _context):
    return {"doubled": event["value"] * 2}


def test_task_invokes_lambda_and_returns_its_response(runtime, run_states):
    """Developer Guide, connect-lambda: lambda:invoke returns the response with the function result in Payload."""
    runtime.register_lambda("double", _double)
    execution = run_states({
        "Double it": {"Type": "Task", "Resource": LAMBDA_INVOKE,
                      "Arguments": {"FunctionName": "double", "Payload": {"value": "{% $states.input.v %}"}},
                      "End": True},
    }, {"v": 21})
    assert execution.status == "SUCCEEDED"
    assert execution.output["Payload"] == {"doubled": 42}
    assert execution.output["StatusCode"] == 200


def test_task_output_reads_states_result(runtime, run_states):
    """Developer Guide, transforming-data: in a Task's Output, $states.result is the task's result."""
    runtime.register_lambda("double", _double)
    execution = run_states({
        "Double it": {"Type": "Task", "Resource": LAMBDA_INVOKE,
                      "Arguments": {"FunctionName": "double", "Payload": {"value": 5}},
                      "Output": {"answer": "{% $states.result.Payload.doubled %}",
                                 "was": "{% $states.input.tag %}"},
                      "End": True},
    }, {"tag": "t1"})
    assert execution.output == {"answer": 10, "was": "t1"}


def test_task_accepts_a_lambda_function_arn_as_resource(runtime, run_states):
    """Developer Guide, connect-lambda: a function ARN as Resource returns the function's own result."""
    runtime.register_lambda("double", _double)
    execution = run_states({
        "Double it": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:double",
                      "Arguments": {"value": 4}, "End": True},
    })
    assert execution.output == {"doubled": 8}


def test_lambda_exception_fails_the_task_with_the_error_type(runtime, run_states):
    """Developer Guide, connect-lambda / concepts-error-handling: an unhandled function error names the exception."""

    def broken(_event, _context):
        raise ValueError("bad record")

    runtime.register_lambda("broken", broken)
    execution = run_states({
        "Call": {"Type": "Task", "Resource": LAMBDA_INVOKE, "Arguments": {"FunctionName": "broken"}, "End": True},
    })
    assert execution.status == "FAILED"
    assert execution.error == "ValueError"
    assert "bad record" in execution.cause


def test_task_arguments_evaluate_nested_expressions(runtime, run_states):
    """Developer Guide, transforming-data: expressions may sit at any depth inside Arguments."""
    seen = []
    runtime.register_lambda("echo", lambda event, _ctx: seen.append(event) or event)
    run_states({
        "Call": {"Type": "Task", "Resource": LAMBDA_INVOKE,
                 "Arguments": {"FunctionName": "echo",
                               "Payload": {"a": ["{% $states.input.x %}", {"b": "{% $states.input.x + 1 %}"}],
                                           "plain": "{not an expression}"}},
                 "End": True},
    }, {"x": 1})
    assert seen == [{"a": [1, {"b": 2}], "plain": "{not an expression}"}]
