"""The Parallel state: run every branch on the same input, output the array of their outputs.

Developer Guide, state-parallel: branches start together; if any branch fails, the others are stopped and the
state fails with that branch's error (which Retry and Catch of the Parallel state can handle); each branch runs
in its own variable scope that reads the outer one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..payloads import check_payload, check_result
from .base import ParseContext, State, Transition, set_states, template

if TYPE_CHECKING:
    from ..protocols import Frame, Program


class ParallelState(State):
    type_name = "Parallel"
    fields = frozenset({"Branches", "Arguments", "Retry", "Catch"})

    def __init__(self, name: str, raw: dict[str, Any], ctx: ParseContext) -> None:
        super().__init__(name, raw, ctx)
        branches = raw.get("Branches")
        if not isinstance(branches, list) or not branches:
            raise ctx.error("must be a non-empty list of branches", "Branches")
        self.branches = [
            ctx.program(branch, f"{ctx.path} > Branches[{i}]", ctx.execution_type)
            for i, branch in enumerate(branches)
        ]
        self.arguments = template(raw, "Arguments", ctx)

    def children(self) -> list[Program]:
        return self.branches

    async def run(self, frame: Frame, state_input: Any, bindings: dict[str, Any]) -> Transition:
        branch_input = self.arguments.evaluate(bindings) if self.arguments is not None else state_input
        if self.arguments is not None:  # each branch's input
            check_payload(branch_input, f"the arguments of state '{self.name}'")
        history = frame.execution.history
        history.add("ParallelStateStarted", name=self.name)
        try:
            branches = [frame.child().run_program(b, branch_input) for b in self.branches]
            results = await frame.gather_or_stop_all(branches)
        except BaseException:
            history.add("ParallelStateFailed", name=self.name)
            raise
        size = check_result(self.name, results)
        history.add("ParallelStateSucceeded", name=self.name)
        set_states(bindings, result=results)
        return self.finish(frame, bindings, results, self.next, default_size=size)
