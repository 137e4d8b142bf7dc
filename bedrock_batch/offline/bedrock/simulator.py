"""The Bedrock batch inference backend: jobs, their lifecycle on the virtual clock, quotas and validation.

Built like a moto backend: one object holds the state and behaviour; its methods are named like the boto3 ``bedrock``
client's and take the same camelCase keyword arguments, return botocore-shaped dicts, and raise
``botocore.exceptions.ClientError`` with the service's error codes. A caller cannot tell it from boto3 except that
time is virtual. Input is read from, and output written to, S3 through a boto3 client (moto in tests), so S3
EventBridge notifications fire for the output objects as they would on AWS.

Sources: botocore ``bedrock/2023-04-20`` (shapes, patterns, statuses), Bedrock User Guide pages batch-inference-data,
batch-inference-results, batch-inference-stop, monitoring-eventbridge-how-it-works. Everything those pages leave
open is a field of ``SimulatorConfig``.
"""

from __future__ import annotations

import array
import asyncio
import base64
import datetime as dt
import hashlib
import itertools
import json
import logging
import math
import pickle
import random
import re
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson
from botocore.exceptions import ClientError

from .. import json_text
from ..clock import VirtualClock
from ..json_text import json_bytes
from . import structured
from .backends import DeterministicBackend, ModelBackend
from .catalog import catalogue
from .families import Family, RecordError, family_for
from .faults import SimulatorConfig, selects
from .uploads import crc32, upload_stretch

logger = logging.getLogger(__name__)

IN_FLIGHT = frozenset({"Submitted", "Validating", "Scheduled", "InProgress", "Stopping"})
NOT_STARTED = frozenset({"Submitted", "Validating", "Scheduled"})
TERMINAL = frozenset({"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"})

# Patterns from the botocore service model (used with re.fullmatch, as the service anchors them).
JOB_NAME_PATTERN = r"[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\+\-\.]){0,63}"
ROLE_ARN_PATTERN = r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+"
S3_URI_PATTERN = r"s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?"
TOKEN_PATTERN = r"[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}"
JOB_IDENTIFIER_PATTERN = r"((arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job/)?[a-z0-9]{12})"
MODEL_ID_PATTERN = (
    r"(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:(([0-9]{12}:custom-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-:]{1,63}/"
    r"[a-z0-9]{12}$)|(:foundation-model/([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})"
    r"([:][a-z0-9-]{1,63}){0,2})|(([0-9a-zA-Z][_-]?)+)$)|([0-9]{12}:(inference-profile|"
    r"application-inference-profile)/[a-zA-Z0-9-:.]+$)))|([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}"
    r"([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})|(([0-9a-zA-Z][_-]?)+)"
)
TAG_PATTERN = r"[a-zA-Z0-9\s._:/=+@-]*"
# GetFoundationModel's modelIdentifier and GetInferenceProfile's inferenceProfileIdentifier (botocore model).
FOUNDATION_MODEL_ID_PATTERN = (
    r"(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}::foundation-model/[a-z0-9-]{1,63}[.]{1}([a-z0-9-]{1,63}[.]){0,2}"
    r"[a-z0-9-]{1,63}([:][a-z0-9-]{1,63}){0,2})|([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})"
    r"([:][a-z0-9-]{1,63}){0,2})"
)
INFERENCE_PROFILE_ID_PATTERN = (
    r"(arn:aws(|-us-gov|-cn|-iso|-iso-b):bedrock:(|[0-9a-z-]{0,20}):(|[0-9]{12}):(inference-profile|"
    r"application-inference-profile)/)?[a-zA-Z0-9-:.]+"
)
# The message AWS gives for a model id that names no model (InvokeModel, Converse, GetFoundationModel ...).
INVALID_MODEL_MESSAGE = "The provided model identifier is invalid."

_HTTP_STATUS = {
    "ValidationException": 400,
    "ConflictException": 400,
    "ServiceQuotaExceededException": 400,
    "ThrottlingException": 429,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "InternalServerException": 500,
}
_CREATE_PARAMS = frozenset(
    {
        "jobName",
        "roleArn",
        "clientRequestToken",
        "modelId",
        "inputDataConfig",
        "outputDataConfig",
        "vpcConfig",
        "timeoutDurationInHours",
        "tags",
        "modelInvocationType",
    }
)


def client_error(code: str, message: str, operation: str, statuses: dict[str, int] | None = None) -> ClientError:
    """A ClientError shaped as botocore parses a rest-json error: ``Error.Code``, ``Error.Message``, HTTP status."""
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": (statuses or _HTTP_STATUS).get(code, 400)},
        "message": message,
    }
    return ClientError(response, operation)


class StateChange(NamedTuple):
    """One status change, for tests and reports: ``old`` is ``None`` for the creation."""

    time: float
    job_arn: str
    model_id: str
    old: str | None
    new: str


# A job's input file is parsed a block of about this many bytes at a time: a 50,000-record file is some 65 MB, and
# its lines as strings and again as bytes, all at once, took four times that while several jobs started.
_BLOCK_BYTES = 1 << 20
_RECORD_KEYS = frozenset({"recordId", "modelInput"})  # an input line's keys; others are refused per record
# Answering reads the requests of this many records at a time (about a megabyte of the file), and spools
# their answers together.
_RECORDS_PER_READ = 1000


def _line_blocks(body: bytes) -> Iterator[str]:
    """The text of ``body`` (UTF-8, checked by the caller) in blocks that each end just after a ``\n`` (or at the
    end): a ``\n`` always ends a line, so the blocks' ``splitlines()`` one after another are the lines of the
    whole text's ``splitlines()``, blank ones included.

    Each block is decoded from its own bytes (a ``\n`` byte is never part of a longer UTF-8 sequence, so a block
    is whole characters): decoding the whole file and then cutting the text into blocks wrote every character
    twice into new memory (a 40 MB file of 50,000 records: 1.05 µs a record, now 0.6).
    """
    view = memoryview(body)
    start, end = 0, len(body)
    while start < end:
        cut = body.find(b"\n", start + _BLOCK_BYTES)
        stop = end if cut == -1 else cut + 1
        yield str(view[start:stop], "utf-8")
        start = stop


_JSON_OBJECT_START = ord("{")


def _exact_request(line: str) -> tuple[dict[str, Any], bytes] | None:
    """An input line that orjson reads exactly as ``json_text.loads`` does: (the line's value, the compact JSON of
    its ``modelInput`` as ``json_bytes`` writes it inside an output line); else None, and the json module reads it.

    orjson parses a line three times as fast as the json module, and where both read a line they give the same
    value (floats to the bit, keys in their order, the last of duplicate keys): checked on 400,000 random float
    bit patterns in their shortest, 15-, 16- and 17-digit forms, on 500,000 decimal strings of up to 18 digits and
    on 300,000 mangled lines (tests/runtime/test_bedrock_output_bytes.py compares what lands in S3). Where orjson
    refuses a line (not JSON, NaN, a number that overflows to infinity, a lone surrogate, nesting deeper than
    1,024), the json module reads it, or gives the error the caller reports. What is left:

    * an integer past 64 bits, which orjson reads as a float (the json module as an int): such a float is past
      9.2e18, and orjson writes every float from 1e16 on with ``e+``. A ``modelInput`` whose JSON holds ``e+``
      (such a float, or a string with those two characters) goes to the json module;
    * nesting: a value the json module would find too deep (past the interpreter's recursion limit, 1,000 less
      the stack), or a line whose JSON orjson refuses to write (past 254 levels). Only a line of no keys but a
      ``modelInput`` object that orjson writes one level down (inside a list, as it is in the line) and a
      ``recordId`` that is a string, null or absent is taken: it is at most 255 levels deep. Anything else (an
      error to report) goes to the json module.
    """
    try:
        row = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if type(row) is not dict or not row.keys() <= _RECORD_KEYS:
        return None
    model_input, record_id = row.get("modelInput"), row.get("recordId")
    if type(model_input) is not dict or not (record_id is None or type(record_id) is str):
        return None
    try:
        text = orjson.dumps([model_input])
    except orjson.JSONEncodeError:
        return None
    # find(b"+") first: a memchr, where "e+" takes a probe at every "e" of the text (seven times as long)
    return None if text.find(b"+") != -1 and b"e+" in text else (row, text[1:-1])


class _InputProblem(Exception):
    """The job's input (or output location) fails Bedrock's validation: the job becomes Failed."""


class _Requests:
    """A job's requests (each record's ``modelInput``), kept on disk from validation to the job's end, not as
    Python objects in memory.

    A 50,000-record job's parsed requests took about 150 MB (3 KB a record) for as long as it ran, and ten jobs run
    at once; on disk they cost one file each. A ``modelInput`` is stored as its compact JSON where
    ``_exact_request`` could write it (the pipeline's records all): that is the very text its output line holds,
    and orjson reads it back as the value ``json.loads`` gave the line, three times as fast as the json module.
    Any other is stored pickled: ``pickle.loads`` gives back the very value ``json.loads`` gave (dicts in key
    order, lists, strings, ints, floats to the bit, booleans, None; as deeply nested as the parser allowed), twice
    as fast as parsing the JSON again. (``marshal`` is faster still, but refuses values nested deeper than 2,000
    levels, which ``json.loads`` accepts when the recursion limit is raised.) A stored JSON object starts with
    ``{``, a pickle with its protocol's ``0x80``: the first byte tells them apart.
    """

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115  (closed by close(), when the job ends)
        self._end = 0

    def add(self, stored: list[bytes]) -> int:
        """Store the values (each as its JSON text or pickled), one after another; the offset of the first."""
        first = self._end
        data = b"".join(stored)
        self._file.seek(0, 2)
        self._file.write(data)
        self._end += len(data)
        return first

    def model_inputs(self, offsets: Sequence[int], lengths: Sequence[int]) -> Iterator[tuple[Any, bytes | None]]:
        """The ``modelInput`` stored at each offset (and length), and its compact JSON if that is how it was stored,
        read a block at a time: one read for a thousand records instead of a seek and a read each. Each is a new
        value, as a new parse would give."""
        for first in range(0, len(offsets), _RECORDS_PER_READ):
            last = min(len(offsets), first + _RECORDS_PER_READ) - 1
            base = offsets[first]
            self._file.seek(base)
            block = self._file.read(offsets[last] + lengths[last] - base)
            for offset, length in zip(offsets[first : last + 1], lengths[first : last + 1], strict=True):
                data = block[offset - base : offset - base + length]
                if data[0] == _JSON_OBJECT_START:
                    yield orjson.loads(data), data
                else:
                    yield pickle.loads(data), None

    def close(self) -> None:
        self._file.close()


class _Records:
    """A job's records, kept column by column from validation to the job's end; ``inputs`` reads them back.

    One object per record (a record object and its id) was about 140 bytes of small objects a record, 140 MB for the
    21 jobs of a million rows, made while the job workflows build their requests and kept for hours of
    virtual time: it pinned the interpreter's small-object arenas that the builders had used. Here the ids are one
    string, the spans in the request file two arrays, the files their first record's index, and the errors (a
    record refused at validation) a dict.
    """

    def __init__(self, requests: _Requests | None = None) -> None:
        self.requests = requests
        self._file_starts: list[int] = []  # each file's first record, in record order
        self._file_names: list[str] = []
        self._ids: list[str] | str = []  # while parsing: the ids; then one string (``seal``)
        self._id_ends = array.array("Q")
        self._offsets, self._lengths = array.array("Q"), array.array("Q")
        self._errors: dict[int, tuple[int, str]] = {}

    def __len__(self) -> int:
        return len(self._offsets)

    def add(
        self, file: str, ids: list[str], errors: dict[int, tuple[int, str]], first: int, lengths: list[int]
    ) -> None:
        """Add the records of one block of ``file``: their ids, their validation errors (by index in the block),
        and the offset of the first in the request file and the length of each (stored one after another)."""
        if not ids:
            return
        start = len(self)
        if not self._file_names or self._file_names[-1] != file:
            self._file_starts.append(start)
            self._file_names.append(file)
        for index, error in errors.items():
            self._errors[start + index] = error
        assert isinstance(self._ids, list)
        self._ids.extend(ids)
        self._offsets.extend(itertools.accumulate(lengths[:-1], initial=first))
        self._lengths.extend(lengths)

    def seal(self) -> _Records:
        """Done adding: the ids become one string."""
        if isinstance(self._ids, list):
            self._id_ends.extend(itertools.accumulate(map(len, self._ids)))
            self._ids = "".join(self._ids)
        return self

    def file_ranges(self, stop: int) -> list[tuple[str, int, int]]:
        """(file name, first record, end) of each file that has records before ``stop``, in record order."""
        ends = [*self._file_starts[1:], len(self)]
        return [
            (name, start, min(end, stop))
            for name, start, end in zip(self._file_names, self._file_starts, ends, strict=True)
            if start < stop
        ]

    def inputs(self, start: int, stop: int) -> Iterator[tuple[str, tuple[Any, bytes | None], tuple[int, str] | None]]:
        """(record id, (modelInput, its compact JSON or None), validation error or None) of records ``start`` to
        ``stop - 1``."""
        assert self.requests is not None and isinstance(self._ids, str)  # sealed
        inputs = self.requests.model_inputs(self._offsets[start:stop], self._lengths[start:stop])
        ids, ends, errors = self._ids, self._id_ends, self._errors
        begin = ends[start - 1] if start else 0
        for i, model_input in zip(range(start, stop), inputs, strict=True):
            yield ids[begin : ends[i]], model_input, errors.get(i)
            begin = ends[i]


@dataclass
class _Answers:
    """The answers of a job's records processed so far, in record order: computed once, as the job progresses.

    GetModelInvocationJob's success and error counts during InProgress come from them, and the output reuses them,
    so the counts always agree with the output and no record is answered twice. The lines are spooled (to disk
    past 1 MiB: ten jobs run at once); ``ends`` holds the byte offset after each record's line.
    """

    # closed by close(), when the job ends: it outlives any one call
    lines: Any = field(default_factory=lambda: tempfile.SpooledTemporaryFile(max_size=2**20))  # noqa: SIM115
    ends: array.array[int] = field(default_factory=lambda: array.array("Q"))  # 8 bytes a record, not an int object
    success: int = 0
    error: int = 0
    tokens_in: int = 0
    tokens_out: int = 0

    def write(self, lines: list[bytes]) -> None:
        """Append the lines (UTF-8 JSON, each ended by a newline here) to the spool, and empty the list.

        A few megabytes at a time: joined all at once, a 50,000-record job's 110 MB of answers was three buffers
        of that size (the text, its bytes, the spool's copy), each new memory to fault in page by page.
        """
        if lines:
            lines.append(b"")  # the last line's newline
            self.lines.write(b"\n".join(lines))
            lines.clear()

    def close(self) -> None:
        self.lines.close()


@dataclass
class _Job:
    ordinal: int
    job_id: str
    arn: str
    name: str
    model_id: str
    role_arn: str
    token: str
    input_config: dict[str, Any]
    output_config: dict[str, Any]
    timeout_hours: int
    invocation_type: str
    vpc_config: dict[str, Any] | None
    tags: list[dict[str, str]]
    submit_time: float
    status: str = ""
    message: str | None = None
    last_modified: float = 0.0
    end_time: float | None = None
    records: _Records = field(default_factory=_Records)
    files: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    started_at: float | None = None
    duration: float = 0.0
    processed_at_stop: int | None = None
    answers: _Answers | None = None
    requests: _Requests | None = None  # the records' request lines, from validation to the job's end
    handle: Any = None
    expiry: Any = None

    @property
    def expiration(self) -> float:
        return self.submit_time + self.timeout_hours * 3600.0


def _parse_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _creation_time_text(when: dt.datetime) -> str:
    """The sample event's ``creationTime`` style: ``Aug 28, 2024, 10:47:53 PM``."""
    hour = when.hour % 12 or 12
    return f"{when:%b} {when.day}, {when.year}, {hour}:{when:%M:%S} {'AM' if when.hour < 12 else 'PM'}"


def _no_error(record_id: str) -> None:
    """``_injected_errors`` of a job whose records draw none."""


def _line_bytes(line: dict[str, Any], model_input: Any) -> bytes:
    """``json_bytes`` of an output line whose ``modelInput`` may be an ``orjson.Fragment``: the compact JSON of
    ``model_input`` as ``json_bytes`` writes it inside the line (see ``_exact_request``), not encoded again.

    Where orjson refuses the rest of the line (it never has: the bodies are JSON values the families build), so
    does the json module's fallback in ``json_bytes`` (it cannot write a Fragment), and the line is written from
    the value, as ``json_bytes`` writes it.
    """
    try:
        return json_bytes(line)
    except TypeError:
        return json_bytes({**line, "modelInput": model_input})


class BatchSimulator:
    """Amazon Bedrock batch inference (CreateModelInvocationJob and friends) on a virtual clock."""

    def __init__(
        self,
        clock: VirtualClock,
        s3_client: Any,
        events_client: Any,
        config: SimulatorConfig | None = None,
        backend: ModelBackend | None = None,
        account_id: str = "123456789012",
        region: str = "us-east-1",
    ) -> None:
        self.clock = clock
        self.s3 = s3_client
        self.events = events_client
        self.config = config or SimulatorConfig()
        self.backend: ModelBackend = backend or DeterministicBackend(self.config.seed)
        self.account_id = account_id
        self.region = region
        self.state_log: list[StateChange] = []
        self.emitted_events: list[dict[str, Any]] = []
        self.lost_events: list[dict[str, Any]] = []
        self._jobs: dict[str, _Job] = {}
        self._tokens: dict[str, str] = {}
        # Separate streams: job ids must not depend on how often a caller polls (request ids use the other one).
        self._id_rng = random.Random(f"bedrock-batch-simulator:jobs:{self.config.seed}")
        self._request_rng = random.Random(f"bedrock-batch-simulator:requests:{self.config.seed}")
        self._throttled = 0
        self._quota_failed = 0

    # ============================================================================================
    # API
    # ============================================================================================
    def create_model_invocation_job(self, **kwargs: Any) -> dict[str, Any]:
        op = "CreateModelInvocationJob"
        cfg = self.config
        if self._throttled < cfg.throttle_creates:
            self._throttled += 1
            raise client_error("ThrottlingException", "Too many requests, please wait before trying again.", op)
        self._validate_create(kwargs, op)
        self._check_batch_model(kwargs["modelId"], op)
        role_arn = kwargs["roleArn"]
        if role_arn in cfg.access_denied_role_arns:
            raise client_error(
                "AccessDeniedException",
                f"User is not authorized to perform: iam:PassRole on resource: {role_arn}",
                op,
            )
        # botocore fills an omitted idempotency token with a uuid4; do the same so GetModelInvocationJob shows one
        token = kwargs.get("clientRequestToken") or str(uuid.UUID(int=self._request_rng.getrandbits(128), version=4))
        if token in self._tokens:  # idempotent replay: same job, nothing created
            return {"jobArn": self._tokens[token], **self._metadata()}
        name = kwargs["jobName"]
        if cfg.duplicate_job_name_error and any(j.name == name for j in self._jobs.values()):
            raise client_error(cfg.duplicate_job_name_error, "The provided job name is currently in use.", op)
        if self._quota_failed < cfg.quota_errors:
            self._quota_failed += 1
            raise client_error("ServiceQuotaExceededException", self._quota_message(kwargs["modelId"]), op)
        model_id = kwargs["modelId"]
        if self.in_flight(model_id) >= cfg.max_jobs_in_flight_per_model:
            raise client_error("ServiceQuotaExceededException", self._quota_message(model_id), op)

        job_id = self._new_job_id()
        now = self.clock.now()
        job = _Job(
            ordinal=len(self._jobs) + 1,
            job_id=job_id,
            arn=f"arn:aws:bedrock:{self.region}:{self.account_id}:model-invocation-job/{job_id}",
            name=name,
            model_id=model_id,
            role_arn=role_arn,
            token=token,
            input_config=kwargs["inputDataConfig"],
            output_config=kwargs["outputDataConfig"],
            timeout_hours=kwargs.get("timeoutDurationInHours", cfg.default_timeout_hours),
            invocation_type=kwargs.get("modelInvocationType", "InvokeModel"),
            vpc_config=kwargs.get("vpcConfig"),
            tags=list(kwargs.get("tags", [])),
            submit_time=now,
            last_modified=now,
        )
        self._jobs[job_id] = job
        self._tokens[token] = job.arn
        self._change(job, "Submitted")
        self._schedule(job, cfg.submitted_seconds, self._to_validating)
        job.expiry = self.clock.call_later(job.expiration - now, self._guarded, job, self._on_expiry)
        return {"jobArn": job.arn, **self._metadata()}

    def get_model_invocation_job(self, *, jobIdentifier: str) -> dict[str, Any]:
        job = self._find(jobIdentifier, "GetModelInvocationJob")
        return {**self._describe(job), **self._metadata()}

    def list_model_invocation_jobs(
        self,
        *,
        submitTimeAfter: dt.datetime | None = None,
        submitTimeBefore: dt.datetime | None = None,
        statusEquals: str | None = None,
        nameContains: str | None = None,
        maxResults: int | None = None,
        nextToken: str | None = None,
        sortBy: str = "CreationTime",
        sortOrder: str = "Descending",
    ) -> dict[str, Any]:
        op = "ListModelInvocationJobs"
        if sortBy != "CreationTime" or sortOrder not in ("Ascending", "Descending"):
            raise client_error("ValidationException", "sortBy must be CreationTime; sortOrder Ascending|Descending", op)
        if maxResults is not None and not 1 <= maxResults <= 1000:
            raise client_error(
                "ValidationException",
                f"1 validation error detected: Value '{maxResults}' at 'maxResults' failed to satisfy constraint: "
                "Member must have value between 1 and 1000",
                op,
            )
        jobs = sorted(self._jobs.values(), key=lambda j: (j.submit_time, j.ordinal), reverse=sortOrder == "Descending")
        after = submitTimeAfter.timestamp() if submitTimeAfter else None
        before = submitTimeBefore.timestamp() if submitTimeBefore else None
        jobs = [
            j
            for j in jobs
            if (statusEquals is None or j.status == statusEquals)
            and (nameContains is None or nameContains in j.name)
            and (after is None or j.submit_time > after)
            and (before is None or j.submit_time < before)
        ]
        start = 0
        if nextToken is not None:
            try:
                start = int(base64.urlsafe_b64decode(nextToken.encode()).decode().removeprefix("offset:"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise client_error("ValidationException", "The nextToken is not valid.", op) from exc
        end = len(jobs) if maxResults is None else start + maxResults
        result: dict[str, Any] = {"invocationJobSummaries": [self._describe(j) for j in jobs[start:end]]}
        if end < len(jobs):
            result["nextToken"] = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode()
        return {**result, **self._metadata()}

    def get_foundation_model(self, *, modelIdentifier: str) -> dict[str, Any]:
        """API_GetFoundationModel: ``modelDetails`` of a model id or foundation-model ARN in the catalogue."""
        op = "GetFoundationModel"
        self._check_identifier(modelIdentifier, "modelIdentifier", FOUNDATION_MODEL_ID_PATTERN, op)
        model = catalogue().foundation_model(modelIdentifier, self.region)
        if model is None:
            raise client_error("ValidationException", INVALID_MODEL_MESSAGE, op)
        return {"modelDetails": catalogue().model_details(model, self.region), **self._metadata()}

    def get_inference_profile(self, *, inferenceProfileIdentifier: str) -> dict[str, Any]:
        """API_GetInferenceProfile: a system-defined (cross-Region) profile usable from this Region.

        The simulator has no application inference profiles, so their ARNs are not found either.
        """
        op = "GetInferenceProfile"
        identifier = inferenceProfileIdentifier
        self._check_identifier(identifier, "inferenceProfileIdentifier", INFERENCE_PROFILE_ID_PATTERN, op)
        resolved = catalogue().inference_profile(identifier, self.region, self.account_id)
        if resolved is None:
            raise client_error("ResourceNotFoundException", f"Inference profile {identifier} not found.", op)
        return {**catalogue().profile_details(resolved, self.region, self.account_id), **self._metadata()}

    def stop_model_invocation_job(self, *, jobIdentifier: str) -> dict[str, Any]:
        op = "StopModelInvocationJob"
        job = self._find(jobIdentifier, op)
        if job.status in TERMINAL:
            raise client_error(
                "ConflictException", f"The job {job.job_id} is in {job.status} status and cannot be stopped.", op
            )
        self._stop(job)
        return self._metadata()

    # ============================================================================================
    # Introspection for tests and reports
    # ============================================================================================
    def in_flight(self, model_id: str | None = None) -> int:
        """Jobs counted against the per-model quota now (all models when ``model_id`` is None)."""
        return sum(1 for j in self._jobs.values() if j.status in IN_FLIGHT and model_id in (None, j.model_id))

    def max_in_flight_seen(self, model_id: str | None = None) -> int:
        """Peak of concurrently in-flight jobs over the whole state log, for one model or all models together."""
        current: set[str] = set()
        peak = 0
        for change in self.state_log:
            if model_id is not None and change.model_id != model_id:
                continue
            if change.new in IN_FLIGHT:
                current.add(change.job_arn)
            else:
                current.discard(change.job_arn)
            peak = max(peak, len(current))
        return peak

    async def wait_for_job(self, jobIdentifier: str, poll_seconds: float = 60.0) -> dict[str, Any]:
        """Poll GetModelInvocationJob on the virtual clock until the job reaches a terminal status."""
        while True:
            job = self.get_model_invocation_job(jobIdentifier=jobIdentifier)
            if job["status"] in TERMINAL:
                return job
            await asyncio.sleep(poll_seconds)

    # ============================================================================================
    # Validation of CreateModelInvocationJob
    # ============================================================================================
    def _validate_create(self, kw: dict[str, Any], op: str) -> None:
        errors: list[str] = []

        def value_error(value: Any, where: str, constraint: str) -> None:
            errors.append(f"Value '{value}' at '{where}' failed to satisfy constraint: Member must {constraint}")

        def check_string(value: Any, where: str, pattern: str, lo: int, hi: int) -> None:
            if not isinstance(value, str):
                value_error(value, where, "be a string")
            elif not lo <= len(value) <= hi:
                value_error(value, where, f"have length between {lo} and {hi}")
            elif not re.fullmatch(pattern, value):
                value_error(value, where, f"satisfy regular expression pattern: {pattern}")

        for unknown in sorted(set(kw) - _CREATE_PARAMS):
            errors.append(f"Unknown parameter in input: '{unknown}'")
        for required in ("jobName", "roleArn", "modelId", "inputDataConfig", "outputDataConfig"):
            if kw.get(required) is None:
                errors.append(f"Value null at '{required}' failed to satisfy constraint: Member must not be null")
        if kw.get("jobName") is not None:
            check_string(kw["jobName"], "jobName", JOB_NAME_PATTERN, 1, 63)
        if kw.get("roleArn") is not None:
            check_string(kw["roleArn"], "roleArn", ROLE_ARN_PATTERN, 0, 2048)
        if kw.get("modelId") is not None:
            check_string(kw["modelId"], "modelId", MODEL_ID_PATTERN, 1, 2048)
        if "clientRequestToken" in kw:
            check_string(kw["clientRequestToken"], "clientRequestToken", TOKEN_PATTERN, 1, 256)
        for config_name, inner, extra in (
            ("inputDataConfig", "s3InputDataConfig", "s3InputFormat"),
            ("outputDataConfig", "s3OutputDataConfig", "s3EncryptionKeyId"),
        ):
            config = kw.get(config_name)
            if config is None:
                continue
            s3_config = config.get(inner) if isinstance(config, dict) else None
            if not isinstance(s3_config, dict):
                errors.append(
                    f"Value null at '{config_name}.{inner}' failed to satisfy constraint: Member must not be null"
                )
                continue
            check_string(s3_config.get("s3Uri"), f"{config_name}.{inner}.s3Uri", S3_URI_PATTERN, 1, 1024)
            if extra == "s3InputFormat" and s3_config.get(extra, "JSONL") != "JSONL":
                value_error(s3_config[extra], f"{config_name}.{inner}.{extra}", "satisfy enum value set: [JSONL]")
        if "timeoutDurationInHours" in kw:
            hours = kw["timeoutDurationInHours"]
            if not isinstance(hours, int) or isinstance(hours, bool) or not 24 <= hours <= 168:
                value_error(hours, "timeoutDurationInHours", "have value between 24 and 168")
        if "modelInvocationType" in kw and kw["modelInvocationType"] not in ("InvokeModel", "Converse"):
            value_error(
                kw["modelInvocationType"], "modelInvocationType", "satisfy enum value set: [InvokeModel, Converse]"
            )
        if "tags" in kw:
            tags = kw["tags"]
            if not isinstance(tags, list) or len(tags) > 200:
                value_error("tags", "tags", "have length less than or equal to 200")
            else:
                for i, tag in enumerate(tags):
                    if not isinstance(tag, dict):
                        value_error(tag, f"tags.{i + 1}", "be a structure with key and value")
                        continue
                    check_string(tag.get("key"), f"tags.{i + 1}.member.key", TAG_PATTERN, 1, 128)
                    check_string(tag.get("value"), f"tags.{i + 1}.member.value", TAG_PATTERN, 0, 256)
        if "vpcConfig" in kw:
            vpc = kw["vpcConfig"]
            subnets = vpc.get("subnetIds") if isinstance(vpc, dict) else None
            groups = vpc.get("securityGroupIds") if isinstance(vpc, dict) else None
            if not isinstance(subnets, list) or not 1 <= len(subnets) <= 16:
                value_error(subnets, "vpcConfig.subnetIds", "have length between 1 and 16")
            if not isinstance(groups, list) or not 1 <= len(groups) <= 5:
                value_error(groups, "vpcConfig.securityGroupIds", "have length between 1 and 5")
        if errors:
            plural = "s" if len(errors) > 1 else ""
            raise client_error(
                "ValidationException", f"{len(errors)} validation error{plural} detected: " + "; ".join(errors), op
            )

    def _check_batch_model(self, model_id: str, op: str) -> None:
        """The model must exist (in this Region, for a profile) and support batch inference (User Guide,
        batch-inference-supported); the catalogue says which do."""
        resolved = catalogue().resolve(model_id, self.region, self.account_id)
        if resolved is None:
            raise client_error("ValidationException", INVALID_MODEL_MESSAGE, op)
        if not resolved.model.batch:
            raise client_error("ValidationException", f"The model {model_id} does not support batch inference.", op)

    def _check_identifier(self, value: Any, where: str, pattern: str, op: str) -> None:
        if not isinstance(value, str) or not 1 <= len(value) <= 2048 or not re.fullmatch(pattern, value):
            raise client_error(
                "ValidationException",
                f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {pattern}",
                op,
            )

    def _quota_message(self, model_id: str) -> str:
        return (
            f"You have exceeded the number of submitted and in-progress batch inference jobs for model {model_id} "
            f"({self.config.max_jobs_in_flight_per_model}). Wait for a job to finish, or stop one, and try again."
        )

    # ============================================================================================
    # Lifecycle
    # ============================================================================================
    def _schedule(self, job: _Job, delay: float, step: Any) -> None:
        if job.handle is not None:
            job.handle.cancel()
        job.handle = self.clock.call_later(delay, self._guarded, job, step)

    def _guarded(self, job: _Job, step: Any) -> None:
        """Run a lifecycle step; an unexpected error fails the job instead of leaving it stuck forever."""
        try:
            step(job)
        except Exception:
            logger.exception("batch job %s: simulator step %s raised", job.job_id, getattr(step, "__name__", step))
            if job.status not in TERMINAL:
                self._finish_as(job, "Failed", "An internal error occurred while processing the batch inference job.")

    def _to_validating(self, job: _Job) -> None:
        self._change(job, "Validating")
        self._schedule(job, self.config.validating_seconds, self._validated)

    def _validated(self, job: _Job) -> None:
        cfg = self.config
        if cfg.fail_stage == "Validating" and selects(cfg.fail_jobs, job.ordinal, job.name):
            self._finish_as(job, "Failed", cfg.fail_message)
            return
        try:
            job.records = self._read_input(job)
        except _InputProblem as problem:
            self._finish_as(job, "Failed", str(problem))
            return
        job.counts = {"totalRecordCount": len(job.records)}
        self._change(job, "Scheduled")
        if selects(cfg.expire_jobs, job.ordinal, job.name):
            job.handle = None  # never starts: the expiry timer ends it
            return
        self._schedule(job, cfg.scheduled_seconds + cfg.extra_schedule_delay_seconds, self._start)

    def _start(self, job: _Job) -> None:
        cfg = self.config
        job.started_at = self.clock.now()
        job.duration = max(cfg.min_in_progress_seconds, cfg.seconds_per_record * len(job.records))
        self._change(job, "InProgress")
        if cfg.fail_stage == "InProgress" and selects(cfg.fail_jobs, job.ordinal, job.name):
            self._schedule(job, job.duration / 2, lambda j: self._finish_as(j, "Failed", cfg.fail_message))
        elif selects(cfg.stop_jobs, job.ordinal, job.name):
            self._schedule(job, job.duration / 2, self._stop)
        elif selects(cfg.stall_jobs, job.ordinal, job.name):
            job.handle = None  # never completes: the expiry timer ends it
        else:
            self._schedule(job, job.duration, self._complete)

    def _complete(self, job: _Job) -> None:
        total = len(job.records)
        processed = total
        if selects(self.config.partial_jobs, job.ordinal, job.name):
            processed = math.floor(total * self.config.partial_fraction)
        self._write_output(job, processed)
        if processed == total:
            self._finish_as(job, "Completed")
        else:
            self._finish_as(job, "PartiallyCompleted", "Not all records could be processed before the job ended.")

    def _on_expiry(self, job: _Job) -> None:
        """The timeout ran out: a job that never started is Expired; one still running ends PartiallyCompleted."""
        job.expiry = None
        hours = job.timeout_hours
        if job.status in NOT_STARTED:
            self._finish_as(job, "Expired", f"The job did not start within its timeout of {hours} hours.")
        elif job.status == "InProgress":
            self._write_output(job, self._progress(job))
            self._finish_as(job, "PartiallyCompleted", f"The job reached its timeout of {hours} hours.")

    def _stop(self, job: _Job) -> None:
        if job.status == "Stopping":
            return
        job.processed_at_stop = self._progress(job) if job.status == "InProgress" else None
        if job.expiry is not None:
            job.expiry.cancel()
            job.expiry = None
        self._change(job, "Stopping")
        self._schedule(job, self.config.stopping_seconds, self._stopped)

    def _stopped(self, job: _Job) -> None:
        if job.processed_at_stop is not None and self.config.write_output_on_stop:
            self._write_output(job, job.processed_at_stop)
        self._finish_as(job, "Stopped")

    def _progress(self, job: _Job) -> int:
        """Records processed by now: they grow evenly over the job's time InProgress up to what it will process
        (all of them, or a partial job's share), and a stalled job's stop growing at its stall point."""
        if job.started_at is None or job.duration <= 0:
            return 0
        cfg = self.config
        total = len(job.records)
        share = (self.clock.now() - job.started_at) / job.duration
        if selects(cfg.stall_jobs, job.ordinal, job.name):
            return max(0, min(math.floor(total * cfg.stall_fraction), math.floor(total * share)))
        target = math.floor(total * cfg.partial_fraction) if selects(cfg.partial_jobs, job.ordinal, job.name) else total
        return max(0, min(target, math.floor(target * share)))

    def _finish_as(self, job: _Job, status: str, message: str | None = None) -> None:
        for attr in ("handle", "expiry"):
            handle = getattr(job, attr)
            if handle is not None:
                handle.cancel()
                setattr(job, attr, None)
        if job.answers is not None:
            job.answers.close()
            job.answers = None
        # An ended job never reads its requests again (its counts are set): dropping them keeps the simulator's
        # memory that of the jobs still running, not of every job since the start (about 3 KB a record).
        job.records = _Records()
        if job.requests is not None:
            job.requests.close()
            job.requests = None
        job.message = message
        job.end_time = self.clock.now()
        self._change(job, status)

    def _change(self, job: _Job, status: str) -> None:
        old = job.status or None
        job.status = status
        job.last_modified = self.clock.now()
        self.state_log.append(StateChange(self.clock.now(), job.arn, job.model_id, old, status))
        logger.info("batch job %s (%s): %s -> %s", job.job_id, job.model_id, old, status)
        self._emit(job)

    # ============================================================================================
    # Input
    # ============================================================================================
    def _read_input(self, job: _Job) -> _Records:
        cfg = self.config
        uri = job.input_config["s3InputDataConfig"]["s3Uri"]
        bucket, key = _parse_s3_uri(uri)
        out_bucket, _ = _parse_s3_uri(job.output_config["s3OutputDataConfig"]["s3Uri"])
        for name in {bucket, out_bucket}:
            try:
                self.s3.head_bucket(Bucket=name)
            except ClientError as exc:
                raise _InputProblem(f"Could not access the S3 bucket {name} with role {job.role_arn}: {exc}") from exc
        objects = self._input_objects(bucket, key, uri)
        if sum(size for _, _, size in objects) > cfg.max_job_input_bytes:
            raise _InputProblem(
                f"The input files exceed the batch inference job size limit of {cfg.max_job_input_bytes} bytes."
            )
        job.requests = _Requests()
        records = _Records(job.requests)
        for object_key, name, size in objects:
            if size > cfg.max_input_file_bytes:
                raise _InputProblem(
                    f"The input file {name} exceeds the size limit of {cfg.max_input_file_bytes} bytes."
                )
            before = len(records)
            self._parse_file(job, name, self.s3.get_object(Bucket=bucket, Key=object_key)["Body"].read(), records)
            if len(records) - before > cfg.max_records_per_file:
                raise _InputProblem(
                    f"The input file {name} has {len(records) - before} records; the maximum per input file is "
                    f"{cfg.max_records_per_file}."
                )
        if len(records) < cfg.min_records_per_job:
            raise _InputProblem(
                f"The job has {len(records)} records; the minimum number of records per batch inference job is "
                f"{cfg.min_records_per_job}."
            )
        if len(records) > cfg.max_records_per_job:
            raise _InputProblem(
                f"The job has {len(records)} records; the maximum number of records per batch inference job is "
                f"{cfg.max_records_per_job}."
            )
        return records.seal()

    def _input_objects(self, bucket: str, key: str, uri: str) -> list[tuple[str, str, int]]:
        """(key, output-relative name, size) of each input file, in key order.

        A URI naming one object must end in ``.jsonl``. A prefix takes every ``.jsonl`` object under it, nested
        folders included, and ignores anything else: the user guide lets the input location also hold the content
        (images, video) that records refer to. Output names keep the path relative to the prefix.
        """
        if key and not key.endswith("/"):
            try:
                head = self.s3.head_object(Bucket=bucket, Key=key)
            except ClientError:
                head = None
            if head is not None:
                if not key.endswith(".jsonl"):
                    raise _InputProblem(f"The input file {uri} is not a .jsonl file. Input files must end in .jsonl.")
                return [(key, key.rsplit("/", 1)[-1], head["ContentLength"])]
            key += "/"
        found = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith(".jsonl"):
                    found.append((obj["Key"], obj["Key"][len(key) :], obj["Size"]))
        if not found:
            raise _InputProblem(f"No .jsonl input files were found at {uri}.")
        return sorted(found)

    def _parse_file(self, job: _Job, name: str, body: bytes, records: _Records) -> None:
        """A file that is not UTF-8 fails the job whatever its lines hold, so it is checked whole before any line is
        read: ASCII (``isascii``, which writes nothing) is UTF-8; anything else is decoded once to see."""
        try:
            if not body.isascii():
                body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _InputProblem(f"The input file {name} is not UTF-8 encoded.") from exc
        number = 0
        for block in _line_blocks(body):
            number = self._parse_block(job, name, block, number, records)

    def _parse_block(self, job: _Job, name: str, block: str, number: int, records: _Records) -> int:
        """Parse the lines of one block (after line ``number``) into ``records``; returns the last line's number."""
        requests = job.requests
        assert requests is not None  # set by _read_input
        ids: list[str] = []
        errors: dict[int, tuple[int, str]] = {}  # by index in ids
        stored: list[bytes] = []  # each modelInput as _Requests keeps it (not the values: a block's were megabytes)
        reject_extra = self.config.reject_extra_record_keys
        for number, line in enumerate(block.splitlines(), start=number + 1):  # noqa: B020 (the count goes on)
            if not line.strip():
                continue
            exact = _exact_request(line)
            if exact is not None:
                row, text = exact
            else:
                text = None
                try:
                    row = json_text.loads(line)
                except json.JSONDecodeError as exc:
                    raise _InputProblem(f"Line {number} of {name} is not valid JSON.") from exc
            if not isinstance(row, dict):
                raise _InputProblem(f"Line {number} of {name} is not a JSON object.")
            model_input = row.get("modelInput")
            if not isinstance(model_input, dict):
                raise _InputProblem(f"Line {number} of {name}: modelInput is missing or is not a JSON object.")
            record_id = row.get("recordId")
            if record_id is None:  # the user guide: if you omit recordId, Bedrock adds it in the output
                record_id = self._generated_record_id(job, name, number)
            elif not isinstance(record_id, str):
                raise _InputProblem(f"Line {number} of {name}: recordId must be a string.")
            stored.append(text if text is not None else pickle.dumps(model_input, pickle.HIGHEST_PROTOCOL))
            if reject_extra:
                if text is None and (extra := row.keys() - _RECORD_KEYS):  # (_exact_request takes no other keys)
                    errors[len(ids)] = (400, f"Extra inputs are not permitted: {', '.join(sorted(extra))}")
                elif "modelId" in model_input:
                    errors[len(ids)] = (
                        400, "The model returned the following errors: modelId: Extra inputs are not permitted"
                    )
            ids.append(record_id)
        records.add(name, ids, errors, requests.add(stored), [len(data) for data in stored])
        return number

    def _generated_record_id(self, job: _Job, name: str, number: int) -> str:
        digest = hashlib.sha256(f"{self.config.seed}:{job.job_id}:{name}:{number}".encode()).digest()
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return "".join(alphabet[b % len(alphabet)] for b in digest[:11])

    # ============================================================================================
    # Output
    # ============================================================================================
    def _write_output(self, job: _Job, processed: int) -> None:
        """Write ``<out>/<jobId>/<file>.out`` for the first ``processed`` records, and ``manifest.json.out``.

        Answers come from the job's spooled answers (``_answered``), uploaded as ``aws s3 cp`` would (in 8 MB parts
        past 8 MB, ``uploads``): a 50,000-record job's output (110 MB of text answers, about a gigabyte of
        embeddings) is never in memory, neither as Python objects nor as bytes. In record order a file's lines are
        one stretch of the spool, uploaded from there; shuffled, they are copied line by line into a file first.
        """
        cfg = self.config
        bucket, prefix = _parse_s3_uri(job.output_config["s3OutputDataConfig"]["s3Uri"])
        folder = f"{prefix.rstrip('/')}/{job.job_id}/" if prefix.strip("/") else f"{job.job_id}/"
        answers = self._answered(job, processed)
        ends = answers.ends
        for name, start, end in job.records.file_ranges(processed):
            key = f"{folder}{name}.out"
            if not cfg.shuffle_output:
                upload_stretch(self.s3, answers.lines, ends[start - 1] if start else 0, ends[end - 1], bucket, key)
                continue
            # the same permutation as shuffling the file's lines: it depends on the count only
            order = list(range(start, end))
            random.Random(f"{cfg.seed}:{job.job_id}:{name}").shuffle(order)
            with tempfile.TemporaryFile() as shuffled:
                for i in order:
                    begin = ends[i - 1] if i else 0
                    answers.lines.seek(begin)
                    shuffled.write(answers.lines.read(ends[i] - begin))
                upload_stretch(self.s3, shuffled, 0, shuffled.tell(), bucket, key)
        job.counts = {
            "totalRecordCount": len(job.records),
            "processedRecordCount": processed,
            "successRecordCount": answers.success,
            "errorRecordCount": answers.error,
        }
        manifest = {**job.counts, "inputTokenCount": answers.tokens_in, "outputTokenCount": answers.tokens_out}
        self._put(bucket, f"{folder}manifest.json.out", json.dumps(manifest).encode("utf-8"))

    def _answered(self, job: _Job, processed: int) -> _Answers:
        """The job's answers, extended to its first ``processed`` records (processed never goes back)."""
        if job.answers is None:
            job.answers = _Answers()
        answers = job.answers
        answers.lines.seek(0, 2)
        end = answers.lines.tell()
        family = family_for(job.model_id, job.invocation_type)
        injected = self._injected_errors(job)
        pending: list[bytes] = []  # written to the spool a thousand lines at a time, not one by one, nor all at once
        ends = answers.ends
        success, tokens_in, tokens_out = answers.success, answers.tokens_in, answers.tokens_out
        start = len(ends)
        try:  # the counts are kept in locals, and are the answers' again even if a record's answer raises
            for record_id, (model_input, text), error in job.records.inputs(start, processed):
                shown = model_input if text is None else orjson.Fragment(text)
                error = error or injected(record_id)
                line, ok, used_in, used_out = self._answer(job, family, record_id, model_input, shown, error)
                data = _line_bytes(line, model_input)
                pending.append(data)
                end += len(data) + 1
                ends.append(end)
                success += ok
                tokens_in += used_in
                tokens_out += used_out
                if len(pending) == _RECORDS_PER_READ:
                    answers.write(pending)
        finally:
            answers.write(pending)
            answers.error += len(ends) - start - (success - answers.success)
            answers.success, answers.tokens_in, answers.tokens_out = success, tokens_in, tokens_out
        return answers

    def _live_counts(self, job: _Job) -> dict[str, int]:
        """GetModelInvocationJob's counts while the job runs: the total from validation on, and from InProgress
        the records processed so far, split into successes and errors exactly as the output will be."""
        processed = job.processed_at_stop if job.status == "Stopping" else self._progress(job)
        if job.status not in ("InProgress", "Stopping") or processed is None:
            return job.counts
        answers = self._answered(job, processed)
        return {
            "totalRecordCount": len(job.records),
            "processedRecordCount": processed,
            "successRecordCount": answers.success,
            "errorRecordCount": answers.error,
        }

    def _put(self, bucket: str, key: str, data: bytes) -> None:
        """put_object with a precomputed CRC32: otherwise botocore streams the body aws-chunked with a trailing
        checksum, which moto decodes at about 5 MB/s (20 s for a 100 MB embedding output)."""
        self.s3.put_object(Bucket=bucket, Key=key, Body=data, ChecksumCRC32=crc32(data))

    def _answer(
        self,
        job: _Job,
        family: Family | None,
        record_id: str,
        model_input: Any,
        shown: Any,
        error: tuple[int, str] | None,
    ) -> tuple[dict[str, Any], bool, int, int]:
        """One output line: ``modelOutput`` on success, or an ``error`` object in its place. ``family`` is
        ``family_for`` the job's model; ``shown`` the line's ``modelInput`` (``model_input`` or its JSON text, for
        ``_line_bytes``); ``error`` a record's validation error, else its injected one (``_injected_errors``)."""
        if error is None:
            if family is None:
                error = (400, f"The batch simulator has no {job.invocation_type} response format for {job.model_id}.")
            else:
                try:
                    result = family.invoke(job.model_id, model_input, self.backend, f"{job.job_id}:{record_id}")
                except RecordError as exc:
                    error = (exc.code, exc.message)
                else:
                    self._maybe_invalid_structured(record_id, model_input, result.output)
                    line = {"recordId": record_id, "modelInput": shown, "modelOutput": result.output}
                    return line, True, result.input_tokens, result.output_tokens
        line = {"recordId": record_id, "modelInput": shown, "error": {"errorCode": error[0], "errorMessage": error[1]}}
        return line, False, 0, 0

    def _maybe_invalid_structured(self, record_id: str, model_input: Any, model_output: dict[str, Any]) -> None:
        """At ``invalid_structured_rate``, a request asking for JSON that fits a schema gets an answer that does not."""
        cfg = self.config
        if cfg.invalid_structured_rate <= 0:
            return
        digest = hashlib.sha256(f"{cfg.seed}:structured:{record_id}".encode()).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 >= cfg.invalid_structured_rate:
            return
        schema = structured.requested_schema(structured.request_text(model_input))
        if schema is not None:
            text = structured.invalid_answer(schema, record_id, "the review reads as mostly positive")
            structured.replace_text(model_output, text)

    def _injected_errors(self, job: _Job) -> Callable[[str], tuple[int, str] | None]:
        """The job's injected record errors, by record id: the error where the draw (the first 8 bytes of the
        SHA-256 of ``seed:salt:recordId``, as a fraction of 2**64) falls below ``record_error_rate``, else None.

        The text hashed starts the same for every record of the job: that start is hashed once, and each record's
        draw goes on from a ``copy()`` of it (the same digest as hashing the whole text; half the time of a hash,
        formatted text included, per record).
        """
        cfg = self.config
        if cfg.record_error_rate <= 0:
            return _no_error
        salt = job.job_id if cfg.record_error_salt_by_job else ""
        start = hashlib.sha256(f"{cfg.seed}:{salt}:".encode())
        error, rate = (cfg.record_error_code, cfg.record_error_message), cfg.record_error_rate

        def injected(record_id: str) -> tuple[int, str] | None:
            digest = start.copy()
            digest.update(record_id.encode())
            return error if int.from_bytes(digest.digest()[:8], "big") / 2**64 < rate else None

        return injected

    # ============================================================================================
    # Events
    # ============================================================================================
    def _emit(self, job: _Job) -> None:
        """Put a "Batch Inference Job State Change" event on the default bus (fields as the user guide's sample)."""
        cfg = self.config
        if not cfg.emit_events or self.events is None:
            return
        detail = {
            "version": "0.0",
            "accountId": self.account_id,
            "batchJobName": job.name,
            "batchJobArn": job.arn,
            "batchModelId": self._event_model_id(job.model_id),
            "status": job.status,
            "failureMessage": job.message or "",
            "creationTime": _creation_time_text(dt.datetime.fromtimestamp(job.submit_time, tz=dt.UTC)),
        }
        if selects(cfg.lose_events, job.ordinal, job.name):
            self.lost_events.append(detail)
            return
        try:
            self.events.put_events(
                Entries=[
                    {
                        "Time": self.clock.datetime(),
                        "Source": "aws.bedrock",
                        "Resources": [job.arn],
                        "DetailType": "Batch Inference Job State Change",
                        "Detail": json.dumps(detail),
                        "EventBusName": "default",
                    }
                ]
            )
        except ClientError:
            logger.warning("batch job %s: could not put the %s state-change event", job.job_id, job.status)
            self.lost_events.append(detail)
            return
        self.emitted_events.append(detail)

    def _event_model_id(self, model_id: str) -> str:
        if not self.config.event_model_id_as_arn or model_id.startswith("arn:"):
            return model_id
        if catalogue().split_profile(model_id) is not None:
            return f"arn:aws:bedrock:{self.region}:{self.account_id}:inference-profile/{model_id}"
        return f"arn:aws:bedrock:{self.region}::foundation-model/{model_id}"

    # ============================================================================================
    # Helpers
    # ============================================================================================
    def _new_job_id(self) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        while True:
            job_id = "".join(self._id_rng.choice(alphabet) for _ in range(12))
            if job_id not in self._jobs:
                return job_id

    def _find(self, identifier: str, op: str) -> _Job:
        if not isinstance(identifier, str) or not re.fullmatch(JOB_IDENTIFIER_PATTERN, identifier):
            raise client_error(
                "ValidationException",
                f"1 validation error detected: Value '{identifier}' at 'jobIdentifier' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {JOB_IDENTIFIER_PATTERN}",
                op,
            )
        job = self._jobs.get(identifier.rsplit("/", 1)[-1])
        if job is None or (identifier.startswith("arn:") and identifier != job.arn):
            raise client_error("ResourceNotFoundException", f"The model invocation job {identifier} was not found.", op)
        return job

    def _describe(self, job: _Job) -> dict[str, Any]:
        def when(seconds: float | None) -> dt.datetime | None:
            return None if seconds is None else dt.datetime.fromtimestamp(seconds, tz=dt.UTC)

        described: dict[str, Any] = {
            "jobArn": job.arn,
            "jobName": job.name,
            "modelId": job.model_id,
            "clientRequestToken": job.token,
            "roleArn": job.role_arn,
            "status": job.status,
            # botocore: "If the batch inference job failed, this field contains a message" (and when stopped)
            "message": job.message if job.status in ("Failed", "Stopped") else None,
            "submitTime": when(job.submit_time),
            "lastModifiedTime": when(job.last_modified),
            "endTime": when(job.end_time),
            "inputDataConfig": job.input_config,
            "outputDataConfig": job.output_config,
            "vpcConfig": job.vpc_config,
            "timeoutDurationInHours": job.timeout_hours,
            "jobExpirationTime": when(job.expiration),
            "modelInvocationType": job.invocation_type,
            **self._live_counts(job),
        }
        return {k: v for k, v in described.items() if v is not None}

    def _metadata(self) -> dict[str, Any]:
        request_id = str(uuid.UUID(int=self._request_rng.getrandbits(128), version=4))
        return {
            "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}
        }

    def jobs(self, statuses: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """All jobs as GetModelInvocationJob would describe them, in creation order, optionally by status."""
        wanted = None if statuses is None else set(statuses)
        return [self._describe(j) for j in self._jobs.values() if wanted is None or j.status in wanted]


__all__ = ["BatchSimulator", "StateChange", "client_error", "IN_FLIGHT", "NOT_STARTED", "TERMINAL"]
