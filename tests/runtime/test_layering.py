"""The offline runtime is layered like an interpreter, and no module of it imports, even lazily, a module above it.

Every ``import`` statement counts: at module level, inside a function (where an import circle hides) and under
``TYPE_CHECKING`` (a type a module names is a dependency too; what a lower layer needs from a higher one it names
through ``protocols.py``). Each module is parsed with ``ast``; nothing is imported.

The layers, bottom to top (a module may import its own layer and those below):

- foundation: error names, the virtual clock, variables, JSONata, history, payload sizes; the moto speed-ups
- protocols: what states and integrations need from the execution loop and the runtime, as ``typing.Protocol``
- simulators: the Bedrock batch and on-demand simulators (clock and botocore only)
- integrations: the Task integrations, reaching the runtime through the protocols
- states: one module per state type (the program tree's nodes); Map and Parallel parse their nested programs
  through ``ParseContext``, and run them through the ``Frame`` protocol
- definition: parsing a whole definition into a program tree
- execution: the loop that moves through states; a Distributed Map's map run
- runtime: the service that owns state machines, executions, clients and the clock; wires the rest together
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "bedrock_batch.offline"
ROOT = Path(__file__).resolve().parents[2] / "bedrock_batch" / "offline"

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("", "errors", "clock", "json_text", "variables", "jsonata_syntax", "jsonata_functions",
                    "jsonata_shapes", "jsonata_codegen", "jsonata_fast", "expressions", "history", "payloads",
                    "moto_speedups", "botocore_timestamps")),
    ("protocols", ("protocols",)),
    ("simulators", ("bedrock",)),
    ("integrations", ("integrations",)),
    ("states", ("states",)),
    ("definition", ("definition",)),
    ("execution", ("execution", "distributed")),
    ("runtime", ("runtime", "local")),
]


def _modules() -> dict[str, Path]:
    """Module name (relative to the package, e.g. ``states.map_``; a package is its own name) -> file."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name (relative to the package) a ``from ... import`` names; ``None``-safe for absolute ones."""
    if node.level == 0:
        name = node.module or ""
        prefix = PACKAGE + "."
        return name[len(prefix):] if name.startswith(prefix) else ("" if name == PACKAGE else "\0" + name)
    base = module.split(".") if module else []
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph() -> dict[str, set[str]]:
    """Each module -> the modules of the package it imports (a ``from pkg import sub`` names ``pkg.sub``)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        edges: set[str] = set()
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                prefix = PACKAGE + "."
                targets = [a.name[len(prefix):] for a in node.names if a.name.startswith(prefix)]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, is_package, node)
                if base.startswith("\0"):
                    continue
                for alias in node.names:
                    sub = f"{base}.{alias.name}" if base else alias.name
                    targets.append(sub if sub in modules else base)
            for target in targets:
                while target not in modules and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target in modules and target != module:
                    edges.add(target)
        graph[module] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def layer_of(module: str) -> int:
    top = module.split(".")[0]
    for index, (_, roots) in enumerate(LAYERS):
        if top in roots:
            return index
    raise AssertionError(f"{module} is in no layer; add it to LAYERS in {Path(__file__).name}")


def test_the_graph_sees_imports_inside_functions_and_under_type_checking():
    graph = import_graph()
    assert "errors" in graph["states.base"]
    assert {"states.base", "protocols"} <= graph["states.map_"]  # protocols only under TYPE_CHECKING
    assert "moto_speedups" in graph["local"]  # imported inside offline_aws()


def test_no_import_circle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("module", sorted(_modules()))
def test_no_module_imports_a_higher_layer(module):
    graph = import_graph()
    mine = layer_of(module)
    upward = sorted(f"{target} ({LAYERS[layer_of(target)][0]})" for target in graph[module]
                    if layer_of(target) > mine)
    assert not upward, f"{module} ({LAYERS[mine][0]}) imports a higher layer: {', '.join(upward)}"


def test_the_runtime_and_its_frames_satisfy_the_protocols_the_lower_layers_name():
    from bedrock_batch.offline import protocols
    from bedrock_batch.offline.execution import Frame
    from bedrock_batch.offline.runtime import Runtime
    from bedrock_batch.offline.variables import VariableScope

    runtime = Runtime()
    try:
        machine = runtime.create_state_machine("m", {"QueryLanguage": "JSONata", "StartAt": "P",
                                                     "States": {"P": {"Type": "Pass", "End": True}}})
        execution = runtime.start_execution(machine.arn, {})
        frame = Frame(runtime, execution, VariableScope())
        assert isinstance(runtime, protocols.Runtime)
        assert isinstance(execution, protocols.Execution)
        assert isinstance(frame, protocols.Frame)
        runtime.run_until_idle()
    finally:
        runtime.close()
    assert execution.status == "SUCCEEDED"
