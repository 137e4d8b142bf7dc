"""Static checks on the ASL files: every expression compiles, and every ``{% %}`` sits where AWS allows one.

Developer Guide, transforming-data: in JSONata states, expressions are allowed in Arguments, Output, Assign,
Condition, Items, ItemSelector, ItemBatcher and ItemReader/ResultWriter arguments and config values, Seconds,
Timestamp, TimeoutSeconds, HeartbeatSeconds, MaxConcurrency, the tolerated failure fields, Error and Cause;
never in Type, Next, Resource or the structure of the definition.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bedrock_batch.offline.definition import StateMachineDefinition, substitute
from bedrock_batch.offline.expressions import Expression, is_expression
from bedrock_batch.stack.template import Stack

REPO = Path(__file__).resolve().parents[2]
STACK = Stack.from_file(REPO / "template.yaml")
MACHINES = {lid: STACK.properties(lid) for lid in STACK.of_type("AWS::Serverless::StateMachine")}

# The fields of a state whose value (or any part of it) may be a JSONata expression.
EXPRESSION_FIELDS = {"Arguments", "Output", "Assign", "Condition", "Items", "ItemSelector", "Seconds", "Timestamp",
                     "TimeoutSeconds", "HeartbeatSeconds", "MaxConcurrency", "ToleratedFailurePercentage",
                     "ToleratedFailureCount", "Error", "Cause"}
NESTED_EXPRESSION_FIELDS = {("ItemBatcher", "MaxItemsPerBatch"), ("ItemBatcher", "MaxInputBytesPerBatch"),
                            ("ItemBatcher", "BatchInput"), ("ItemReader", "Arguments"), ("ResultWriter", "Arguments"),
                            ("ItemReader", "ReaderConfig")}


def _definition_text(logical_id: str) -> str:
    props = MACHINES[logical_id]
    text = (REPO / props["DefinitionUri"]).read_text()
    return substitute(text, {k: str(v) for k, v in props["DefinitionSubstitutions"].items()})


def _states(program: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, state in program["States"].items():
        found.append((f"{path}{name}", state))
        for i, branch in enumerate(state.get("Branches", [])):
            found += _states(branch, f"{path}{name} > Branches[{i}] > ")
        if "ItemProcessor" in state:
            found += _states(state["ItemProcessor"], f"{path}{name} > ItemProcessor > ")
    return found


def _expressions(value: Any) -> list[str]:
    if is_expression(value):
        return [value]
    if isinstance(value, dict):
        return [e for v in value.values() for e in _expressions(v)]
    if isinstance(value, list):
        return [e for v in value for e in _expressions(v)]
    return []


@pytest.mark.parametrize("logical_id", sorted(MACHINES))
def test_the_definition_loads_after_substitution(logical_id: str) -> None:
    text = _definition_text(logical_id)
    assert "${" not in text, "every ${...} placeholder has a DefinitionSubstitutions entry"
    definition = StateMachineDefinition.from_json(text)
    assert definition.query_language == "JSONata"


@pytest.mark.parametrize("logical_id", sorted(MACHINES))
def test_every_jsonata_expression_compiles(logical_id: str) -> None:
    raw = json.loads(_definition_text(logical_id))
    count = 0
    for path, state in _states(raw):
        for source in _expressions(state):
            Expression(source, path)  # raises DefinitionError on a syntax error
            count += 1
    assert count > 0


@pytest.mark.parametrize("logical_id", sorted(MACHINES))
def test_expressions_only_sit_where_aws_allows_them(logical_id: str) -> None:
    raw = json.loads(_definition_text(logical_id))
    misplaced = []
    for path, state in _states(raw):
        for field, value in state.items():
            if field in ("States", "ItemProcessor", "Branches"):
                continue
            if field in ("Catch", "Choices"):
                for i, entry in enumerate(value):
                    misplaced += [f"{path}.{field}[{i}].{k}" for k, v in entry.items()
                                  if k not in EXPRESSION_FIELDS and _expressions(v)]
                continue
            if isinstance(value, dict) and field in {f for f, _ in NESTED_EXPRESSION_FIELDS}:
                misplaced += [f"{path}.{field}.{k}" for k, v in value.items()
                              if (field, k) not in NESTED_EXPRESSION_FIELDS and _expressions(v)]
                continue
            if field not in EXPRESSION_FIELDS and _expressions(value):
                misplaced.append(f"{path}.{field}")
    assert misplaced == []


def test_every_state_that_is_not_obvious_has_a_comment() -> None:
    """Style: a Comment on the state machine and on each Map, Parallel and Task state."""
    for logical_id in MACHINES:
        raw = json.loads(_definition_text(logical_id))
        assert raw.get("Comment")
        for path, state in _states(raw):
            if state["Type"] in ("Map", "Parallel") and "ItemReader" in state:
                assert state.get("Comment"), path


def test_the_offline_dead_letter_queue_keeps_messages_as_long_as_the_template_says() -> None:
    """SQS API Reference, CreateQueue: MessageRetentionPeriod defaults to 4 days; the template sets 14, and a run of
    many jobs lasts days on the virtual clock, so the offline queue must be created with the template's value."""
    from offline_stack import make_pipeline

    for p in make_pipeline():
        attributes = p.runtime.client("sqs").get_queue_attributes(
            QueueUrl=p.stack.output("DeadLetterQueueUrl"), AttributeNames=["MessageRetentionPeriod"])["Attributes"]
        assert attributes["MessageRetentionPeriod"] == "1209600"
