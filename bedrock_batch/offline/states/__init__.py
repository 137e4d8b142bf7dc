"""One module per kind of state; the registry below maps each ``Type`` to its class."""

from .base import State
from .map_ import MapState
from .parallel import ParallelState
from .simple import ChoiceState, FailState, PassState, SucceedState, WaitState
from .task import TaskState

STATE_TYPES: dict[str, type[State]] = {
    cls.type_name: cls
    for cls in (PassState, TaskState, ChoiceState, WaitState, SucceedState, FailState, ParallelState, MapState)
}
