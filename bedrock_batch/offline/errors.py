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

# Payload limit for state input/output and execution input (Developer Guide, service quotas: 256 KiB).
MAX_PAYLOAD_BYTES = 256 * 1024


class StatesError(Exception):
    """An error raised inside an execution, with the ``Error`` and ``Cause`` a Catch receives."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause

    def as_output(self) -> dict[str, str]:
        """The error output a Catch passes on (``$states.errorOutput``)."""
        return {"Error": self.error, "Cause": self.cause}


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
