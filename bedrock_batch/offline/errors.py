"""Error names and matching, in one place.

Developer Guide, "Error handling in Step Functions" (concepts-error-handling): the predefined ``States.*`` error
names, and how ``ErrorEquals`` matches them in Retry and Catch.
"""

from __future__ import annotations

ALL = "States.ALL"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
ITEM_READER_FAILED = "States.ItemReaderFailed"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
PERMISSIONS = "States.Permissions"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
RUNTIME = "States.Runtime"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"
BRANCH_FAILED = "States.BranchFailed"

# "A States.Runtime error isn't retriable, and will always cause the execution to fail. A retry or catch on
# States.ALL won't catch States.Runtime errors." DataLimitExceeded is terminal in the same way.
TERMINAL = frozenset({RUNTIME, DATA_LIMIT_EXCEEDED})

# The interpreter's own errors whose cause AWS prefixes with the state that raised them.
LOCATED_ERRORS = frozenset({QUERY_EVALUATION_ERROR})

# Payload limit for state input/output and execution input (Developer Guide, service quotas: 256 KiB).
MAX_PAYLOAD_BYTES = 256 * 1024


class StatesError(Exception):
    """An error raised inside an execution, with the ``Error`` and ``Cause`` a Catch receives."""

    def __init__(self, error: str | None, cause: str | None = "", located: bool = False) -> None:
        super().__init__(f"{error}: {cause}" if cause else str(error))
        self.error = error
        self.cause = cause
        # Whether the cause already says where it happened, or must pass through as it is (a Fail state's own
        # Cause, a task's resource's answer): the interpreter's own errors get the state prefix once, at the
        # innermost state (see ``locate``).
        self.located = located

    def as_output(self) -> dict[str, str]:
        """The error output a Catch passes on (``$states.errorOutput``); a Fail state may leave either out."""
        out = {}
        if self.error is not None:
            out["Error"] = self.error
        if self.cause is not None:
            out["Cause"] = self.cause
        return out

    def locate(self, state_name: str, entered_event_id: int) -> None:
        """Prefix an evaluation error's cause with the state that raised it, as AWS does in the failure.

        Recorded AWS executions (facts.md): "An error occurred while executing the state '<name>' (entered at
        the event id #<n>). " before the cause of a States.QueryEvaluationError.
        """
        if self.located:
            return
        self.located = True
        if self.error in LOCATED_ERRORS:
            self.cause = (f"An error occurred while executing the state '{state_name}' (entered at the event id "
                          f"#{entered_event_id}). {self.cause}")


class ExecutionAlreadyExists(ValueError):
    """StartExecution with the name of a closed execution, or of an open one with another input (API Reference)."""


class DefinitionError(ValueError):
    """A definition that CreateStateMachine would refuse; the message names the state and the field."""


def matches(error_equals: list[str], error: str) -> bool:
    """Whether a retrier's or catcher's ``ErrorEquals`` covers ``error``.

    ``States.ALL`` matches every error but the terminal ones; ``States.TaskFailed`` matches every error except
    ``States.Timeout`` (and the terminal ones); other names match exactly.
    """
    if error in TERMINAL:
        return error in error_equals
    for name in error_equals:
        if name in (error, ALL):
            return True
        if name == TASK_FAILED and error != TIMEOUT:
            return True
    return False
