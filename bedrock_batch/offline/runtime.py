"""The runtime: state machines, executions, AWS clients, the Bedrock simulator and the virtual clock together.

It is the offline stand-in for the Step Functions service: CreateStateMachine (parse and validate once),
StartExecution, DescribeExecution, GetExecutionHistory, SendTaskSuccess/Failure/Heartbeat. AWS calls go
through boto3 to the configured endpoint: moto in process (inside ``moto.mock_aws()``) or a moto server.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import inspect
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore import UNSIGNED
from botocore.config import Config

from . import botocore_timestamps, moto_speedups
from .bedrock.uploads import crc32
from .clock import VirtualClock
from .definition import StateMachineDefinition
from .errors import ExecutionAlreadyExists
from .execution import Execution, StateMachine, new_execution_name, run_execution
from .history import MAX_HISTORY_EVENTS, Counters, History
from .integrations.task_tokens import TaskTokens


@dataclass
class RuntimeConfig:
    region: str = "us-east-1"
    account_id: str = "123456789012"
    endpoint_url: str | None = None  # None: boto3's default, which moto.mock_aws() intercepts in process
    # CSV rows with more or fewer fields than the header: "pad", what AWS does (example-csv-parse-dist-map: missing
    # fields are "", extra fields are skipped), or "error" to fail the read instead.
    csv_ragged_rows: str = "pad"
    # The extension of ResultWriter files with OutputType JSONL. Reported to stay ".json" (unconfirmed).
    jsonl_result_extension: str = ".json"
    result_file_max_bytes: int = 5 * 1024**3
    keep_express_history: bool = False  # AWS keeps no execution history for Express workflows
    seed: int | None = None  # for retry jitter
    simulator: Any = None  # a bedrock SimulatorConfig; None for its defaults
    model_backend: Any = None  # a bedrock ModelBackend; None for the deterministic one
    start_time: float | None = None  # virtual clock start, epoch seconds
    bedrock_runtime: Any = None  # a bedrock.runtime_api.BedrockRuntimeConfig (InvokeModel/Converse faults); None: none
    # Python's garbage-collector thresholds (gc.set_threshold) from the runtime's creation to its close(), then
    # restored; None leaves them alone. With Python's (700, 10, 10), full collections, each of which walks every
    # object moto holds (every item, every object body), come every few thousand executions and take seconds once
    # the tables are large; these make them rare. Reference counting frees everything else as before.
    gc_thresholds: tuple[int, int, int] | None = (50_000, 20, 100)


# The runtime's clients whose requests to moto in process go unsigned (see Runtime.client). Not SQS: moto's SQS
# reads the region from the signature unless the host is <region>.queue.amazonaws.com, and botocore's is
# sqs.<region>.amazonaws.com, so an unsigned request outside us-east-1 reached moto's us-east-1 queues.
_UNSIGNED_IN_PROCESS = frozenset({"dynamodb", "events"})


def _unsigned_in_process(**_: Any) -> Any:
    """botocore's ``choose-signer`` hook: no signature while moto authenticates nothing (``None``: botocore's own
    choice, SigV4, once moto's ``INITIAL_NO_AUTH_ACTION_COUNT`` turns its authentication on)."""
    from moto import settings

    return UNSIGNED if float("inf") == settings.INITIAL_NO_AUTH_ACTION_COUNT else None


class _ProcessorDefinition:
    """A Distributed Map's ItemProcessor, run as a state machine of its own."""

    def __init__(self, program: Any) -> None:
        self.program = program
        self.timeout_seconds = None


def _crc32_up_front(params: dict[str, Any], model: Any = None, context: Any = None, **_: Any) -> None:
    """PutObject of an in-memory body with the CRC32 botocore would add, computed here and sent as a header.

    botocore's default (``request_checksum_calculation`` "when_supported") streams such a body aws-chunked with a
    trailing CRC32, and botocore and moto then copy the whole body once per 64 KiB chunk: a cost that grows with
    the square of the body (30 s for 229 MiB). Naming the algorithm and giving its value stores the very same
    object and checksum (PutObject, HeadObject, GetObject and GetObjectAttributes answer the same), in one pass.
    A request that names a checksum or a Content-MD5 of its own, a streamed body, or a client configured to send
    checksums only when required is left as it is.
    """
    body = params.get("Body")
    if not isinstance(body, bytes | bytearray | str) or "ContentMD5" in params \
            or any(name.startswith("Checksum") for name in params):
        return
    config = context.get("client_config") if isinstance(context, dict) else None
    if config is not None and getattr(config, "request_checksum_calculation", "when_supported") != "when_supported":
        return
    data = body.encode() if isinstance(body, str) else bytes(body)
    params["ChecksumAlgorithm"] = "CRC32"
    params["ChecksumCRC32"] = crc32(data)


@dataclass
class Runtime:
    config: RuntimeConfig = field(default_factory=RuntimeConfig)

    def __post_init__(self) -> None:
        self._gc = _GcThresholds.acquire(self.config.gc_thresholds)
        if self.config.endpoint_url is None:
            moto_speedups.install()  # moto in process (when it is not, the patches are never reached)
        self.clock = VirtualClock(self.config.start_time)
        asyncio.set_event_loop(self.clock.loop)
        self.counters = Counters()
        self.tokens = TaskTokens()
        self.machines: dict[str, StateMachine] = {}
        self.executions: dict[str, Execution] = {}
        self._active: set[Execution] = set()
        self._clients: dict[str, Any] = {}
        self._lambdas: dict[str, Callable[[Any, Any], Any]] = {}
        self._child_machines: dict[int, StateMachine] = {}
        self._rng = random.Random(self.config.seed)
        self._bedrock: Any = None

    # -- AWS clients -------------------------------------------------------------------------------------------
    def client(self, service: str) -> Any:
        """The boto3 client of ``service``, one per runtime.

        DynamoDB and EventBridge requests to moto in process are not signed (botocore's ``choose-signer`` hook
        answers ``UNSIGNED``): SigV4 was a tenth of such a call, and moto in process, while it authenticates
        nothing (its default), reads a signature for two things only, both answered the same without one: the
        access key (moto's pattern wants a 20-character key id, which "testing" is not, so it takes its default
        key either way) and the region, which these two services' hosts name (``dynamodb.<region>.amazonaws.com``).
        SQS requests are signed: moto's SQS takes the region from the signature (it reads it from the host only
        for the legacy ``<region>.queue.amazonaws.com``), so unsigned they reached us-east-1's queues whatever the
        runtime's region. Requests are signed again while moto authenticates, and always for a moto server
        (``endpoint_url``).

        S3 requests are signed without hashing their body (botocore's ``payload_signing_enabled`` S3 setting; the
        body's CRC32 travels in a header, see ``_crc32_up_front``): botocore otherwise hashes every PutObject body
        whose checksum the caller gave, half a gigabyte of SHA-256 in a 100,000-row run, and the answers are the
        same (moto checks no signature; S3 accepts an unsigned payload over HTTPS).

        Response timestamps are parsed once per text (``botocore_timestamps``: the same datetimes).
        """
        if service not in self._clients:
            self._clients[service] = botocore_timestamps.client(
                service, region_name=self.config.region, endpoint_url=self.config.endpoint_url,
                aws_access_key_id="testing", aws_secret_access_key="testing",
                config=Config(retries={"max_attempts": 1}, s3={"payload_signing_enabled": False}),
            )
            if self.config.endpoint_url is None and service in _UNSIGNED_IN_PROCESS:
                self._clients[service].meta.events.register_first("choose-signer", _unsigned_in_process)
            if service == "s3":
                self._clients[service].meta.events.register("before-parameter-build.s3.PutObject", _crc32_up_front)
        return self._clients[service]

    def service(self, service: str) -> Any:
        """What a Task calls for ``service``: the boto3 client, or a stand-in with the client's methods: the Bedrock
        batch simulator for ``bedrock``, the on-demand one for ``bedrock-runtime``, the runtime for ``stepfunctions``.
        """
        if service == "bedrock-runtime":
            return self.bedrock_runtime
        if service == "stepfunctions":
            return self.stepfunctions_api
        return self.bedrock if service == "bedrock" else self.client(service)

    @property
    def bedrock_runtime(self) -> Any:
        """The on-demand Bedrock simulator (InvokeModel, Converse) that ``bedrock-runtime`` calls reach."""
        if getattr(self, "_bedrock_runtime", None) is None:
            from .bedrock.runtime_api import RuntimeSimulator

            self._bedrock_runtime = RuntimeSimulator(self.clock, self.config.bedrock_runtime,
                                                     self.config.model_backend)
        return self._bedrock_runtime

    @property
    def stepfunctions_api(self) -> Any:
        """The runtime itself behind the Step Functions API: what ``aws-sdk:sfn:*`` calls reach offline."""
        from .integrations.stepfunctions_api import StepFunctionsApi

        return StepFunctionsApi(self)

    @property
    def bedrock(self) -> Any:
        if self._bedrock is None:
            from .bedrock.simulator import BatchSimulator

            self._bedrock = BatchSimulator(self.clock, self.client("s3"), self.client("events"),
                                           config=self.config.simulator, backend=self.config.model_backend,
                                           account_id=self.config.account_id, region=self.config.region)
        return self._bedrock

    # -- Lambda functions --------------------------------------------------------------------------------------
    def register_lambda(self, name: str, handler: Callable[[Any, Any], Any]) -> None:
        self._lambdas[name] = handler

    def register_function_dir(self, directory: str | Path, name: str | None = None,
                              handler: str = "app.handler") -> None:
        """Load ``<directory>/<module>.py`` and register its handler under ``name`` (the folder name by default)."""
        directory = Path(directory)
        module_name, func = handler.rsplit(".", 1)
        spec = importlib.util.spec_from_file_location(f"offline_fn_{directory.name}_{module_name}",
                                                      directory / f"{module_name}.py")
        if spec is None or spec.loader is None:
            raise FileNotFoundError(directory / f"{module_name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(directory))  # a function's sibling modules import as they would in Lambda
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(directory))
        self.register_lambda(name or directory.name, getattr(module, func))

    def lambda_handler(self, name_or_arn: str) -> Callable[[Any, Any], Any] | None:
        if name_or_arn in self._lambdas:
            return self._lambdas[name_or_arn]
        if ":function:" in name_or_arn:
            name = name_or_arn.split(":function:", 1)[1].split(":", 1)[0]
            return self._lambdas.get(name)
        return None

    # -- state machines and executions -------------------------------------------------------------------------
    def machine_arn(self, name: str) -> str:
        return f"arn:aws:states:{self.config.region}:{self.config.account_id}:stateMachine:{name}"

    def create_state_machine(self, name: str, definition: str | dict[str, Any] | StateMachineDefinition,
                             type_: str = "STANDARD", role_arn: str = "") -> StateMachine:
        if not isinstance(definition, StateMachineDefinition):
            definition = StateMachineDefinition.from_json(definition, type_)
        role = role_arn or f"arn:aws:iam::{self.config.account_id}:role/{name}-role"
        machine = StateMachine(self.machine_arn(name), name, definition, type_, role)
        self.machines[machine.arn] = machine
        return machine

    def child_machine(self, parent: StateMachine, map_state: Any, label: str | None = None) -> StateMachine:
        """A Distributed Map's children run as ``<parent ARN>/<label>`` (state-map-distributed, Map Run metrics)."""
        key = id(map_state)
        if key not in self._child_machines:
            definition = _ProcessorDefinition(map_state.processor)
            suffix = f"/{label}" if label else ""
            self._child_machines[key] = StateMachine(parent.arn + suffix, parent.name + suffix,
                                                     definition,  # type: ignore[arg-type]
                                                     map_state.child_type, parent.role_arn)
        return self._child_machines[key]

    def start_execution(self, machine_arn: str, input_: Any = None, name: str | None = None) -> Execution:
        machine = self.machines[machine_arn]
        return self._start(machine, {} if input_ is None else input_, name or new_execution_name(), None)

    def start_child_execution(self, machine: StateMachine, input_: Any, name: str, parent: Execution,
                              input_size: int | None = None, output_form: str | None = None) -> Execution:
        """A Distributed Map child; ``input_size``: the input's payload size when the map run measured it;
        ``output_form``: Execution.output_form, the text of its output the map run's ResultWriter will write."""
        self.counters.child_executions[machine.type] += 1
        return self._start(machine, input_, name, parent, input_size, output_form)

    def _start(self, machine: StateMachine, input_: Any, name: str, parent: Execution | None,
               input_size: int | None = None, output_form: str | None = None) -> Execution:
        kind = "express" if machine.type == "EXPRESS" else "execution"
        arn = machine.arn.replace(":stateMachine:", f":{kind}:") + f":{name}"
        if arn in self.executions and parent is None:
            existing = self.executions[arn]
            if existing.input == input_ and existing.status == "RUNNING":
                return existing  # idempotent for the same name and input while the execution is open
            # a closed execution's name cannot be reused, whatever the input (API Reference, StartExecution)
            raise ExecutionAlreadyExists(f"ExecutionAlreadyExists: {arn}")
        keep = machine.type == "STANDARD" or self.config.keep_express_history
        # Express executions keep no history, so only Standard ones (Distributed Map children included, each
        # with a history of its own) meet the history limit.
        max_events = MAX_HISTORY_EVENTS if machine.type == "STANDARD" else None
        execution = Execution(self, machine, arn, name, input_, machine.type, History(self.clock, keep, max_events),
                              parent=parent, start=self.clock.now(), rng=random.Random(self._rng.random()),
                              input_size=input_size, output_form=output_form)
        self.counters.executions[machine.type] += 1
        if parent is None or machine.type == "STANDARD":
            self.executions[arn] = execution
        self._active.add(execution)
        execution.task = self.clock.loop.create_task(run_execution(execution))
        return execution

    def execution_finished(self, execution: Execution) -> None:
        self._active.discard(execution)

    def stop_execution(self, arn: str) -> None:
        execution = self.executions[arn]
        task = execution.task
        if task is None or task.done():
            return
        if inspect.getcoroutinestate(task.get_coro()) == inspect.CORO_CREATED:
            # Not started yet (Python 3.12 runs a new task's first step later than 3.11 did): a cancel now is thrown
            # before run_execution's try, so the execution would never close and run_until_idle would spin on it.
            # The task's first step is already queued, so a cancel queued after it lands once the execution runs.
            self.clock.call_soon(task.cancel)
        else:
            task.cancel()

    def describe_execution(self, arn: str) -> dict[str, Any]:
        return self.executions[arn].describe()

    def get_execution_history(self, arn: str) -> list[dict[str, Any]]:
        return [event.as_dict() for event in self.executions[arn].history.events]

    # -- task tokens -------------------------------------------------------------------------------------------
    def send_task_success(self, token: str, output: Any) -> None:
        self.tokens.send_success(token, output)

    def send_task_failure(self, token: str, error: str = "", cause: str = "") -> None:
        self.tokens.send_failure(token, error, cause)

    def send_task_heartbeat(self, token: str) -> None:
        self.tokens.send_heartbeat(token)

    # -- running the clock -------------------------------------------------------------------------------------
    async def wait_idle(self) -> None:
        """Until no execution runs and no timer is set (simulated jobs included)."""
        while True:
            await asyncio.sleep(0)
            if self._active:
                await asyncio.wait([e.task for e in list(self._active) if e.task is not None])
                continue
            if self.clock.run_idle_hooks():
                continue
            if self.clock.has_pending_timers():
                await asyncio.sleep(self.clock.seconds_to_next_timer())
                continue
            return

    def run_until_idle(self) -> None:
        self.clock.run(self.wait_idle())

    def run_for(self, seconds: float) -> None:
        """Run what is due in the next ``seconds`` of virtual time, then stop there, mid-flight: executions and
        simulated jobs carry on from that instant at the next run. For looking at a run while it runs. What falls
        due at that very instant may be left for the next run."""
        self.clock.run(asyncio.sleep(seconds))

    def run(self, machine_arn: str, input_: Any = None, name: str | None = None) -> Execution:
        """Start an execution and run the clock until everything it set in motion has settled."""
        execution = self.start_execution(machine_arn, input_, name)
        self.run_until_idle()
        return execution

    def close(self) -> None:
        self.clock.close()
        if self._gc:
            self._gc = False
            _GcThresholds.release()


class _GcThresholds:
    """RuntimeConfig.gc_thresholds while any runtime that asked for them is open; Python's again after the last."""

    open_runtimes = 0
    saved: tuple[int, int, int] | None = None

    @classmethod
    def acquire(cls, thresholds: tuple[int, int, int] | None) -> bool:
        if thresholds is None:
            return False
        if cls.open_runtimes == 0:
            cls.saved = gc.get_threshold()
        cls.open_runtimes += 1
        gc.set_threshold(*thresholds)
        return True

    @classmethod
    def release(cls) -> None:
        cls.open_runtimes -= 1
        if cls.open_runtimes == 0 and cls.saved is not None:
            gc.set_threshold(*cls.saved)
            cls.saved = None
