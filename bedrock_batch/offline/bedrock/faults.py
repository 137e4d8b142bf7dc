"""Configuration of the Bedrock batch simulator: durations, quotas and injected faults.

Every number AWS does not publish (how long a job waits in ``Scheduled``, how many jobs per model may be in flight)
is a field here rather than a constant in the simulator, so a test or a what-if run can change it. Faults pick jobs
by their 1-based ordinal in creation order or by a job-name glob, so a scenario reads like "the 3rd job fails" or
"every job named ``retry-*`` expires".
"""

from __future__ import annotations

import fnmatch
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

#: Jobs chosen by 1-based creation ordinal (``int``) or by ``fnmatch`` pattern on the job name (``str``).
JobSelector = Collection[int | str]


def selects(selector: JobSelector, ordinal: int, job_name: str) -> bool:
    """True when ``selector`` names this job by its ordinal or by a glob that matches its name."""
    for item in selector:
        if isinstance(item, int) and not isinstance(item, bool):
            if item == ordinal:
                return True
        elif isinstance(item, str) and fnmatch.fnmatchcase(job_name, item):
            return True
    return False


@dataclass
class SimulatorConfig:
    """Everything the simulator does that the AWS documentation leaves open, plus the faults to inject."""

    seed: int = 0
    """Seeds job ids, generated record ids, shuffling and the deterministic record-error draw."""

    # -- lifecycle durations, virtual seconds (none is published by AWS) --------------------------
    submitted_seconds: float = 60.0
    validating_seconds: float = 300.0
    scheduled_seconds: float = 600.0
    extra_schedule_delay_seconds: float = 0.0
    """Added to ``scheduled_seconds``; set it past the job timeout to make jobs expire naturally."""
    seconds_per_record: float = 0.65
    """InProgress time per record. With the minimum below a 1,000-record job runs about an hour, and a
    49,000-record job about 9 hours, which is what the SimpleCoT orchestration blog measured (45 jobs, ~9 h each)."""
    min_in_progress_seconds: float = 3600.0
    stopping_seconds: float = 60.0
    default_timeout_hours: int = 24
    """Used when ``timeoutDurationInHours`` is omitted (the API's default is not documented)."""

    # -- quotas (per model and region; AWS lists them as adjustable; values here are unconfirmed) ---
    max_jobs_in_flight_per_model: int = 20
    """Submitted + Validating + Scheduled + InProgress + Stopping jobs per model id. Sources say 10-20."""
    min_records_per_job: int = 100
    """Some sources say 1,000; the quota differs by model."""
    max_records_per_job: int = 50_000
    max_records_per_file: int = 50_000
    max_input_file_bytes: int = 1024**3
    max_job_input_bytes: int = 5 * 1024**3

    # -- API behaviours the documentation does not pin down -----------------------------------------
    duplicate_job_name_error: str | None = "ValidationException"
    """Error code when a job name is reused with another token; ``None`` allows duplicates. Bedrock's sibling
    create-job APIs (model customization, model import) answer ``ValidationException`` "The provided job name is
    currently in use."; for batch jobs it is unconfirmed, so ``"ConflictException"`` is also a sensible choice."""
    reject_extra_record_keys: bool = True
    """Top-level keys other than ``recordId``/``modelInput``, and ``modelId`` inside ``modelInput``, make that record
    an error line ("Extra inputs are not permitted"), not a job failure."""
    write_output_on_stop: bool = True
    """A stopped InProgress job writes the records processed so far (AWS: you are charged for those tokens)."""
    event_model_id_as_arn: bool = True
    """The EventBridge sample event carries a foundation-model ARN in ``batchModelId``; plain ids are expanded."""
    shuffle_output: bool = False
    """Output line order is not guaranteed by the newer docs: shuffle it to prove consumers join on recordId."""
    access_denied_role_arns: frozenset[str] = frozenset()
    """Creating a job with one of these roles raises AccessDeniedException (as a missing iam:PassRole would)."""

    # -- faults ---------------------------------------------------------------------------------
    record_error_rate: float = 0.0
    """Fraction of records answered with an error line, drawn per recordId from a hash and ``seed``."""
    record_error_salt_by_job: bool = False
    """When true the draw also depends on the job id, so a record retried in a later job may succeed."""
    record_error_code: int = 500
    record_error_message: str = "The system encountered an unexpected error during processing. Try again."
    invalid_structured_rate: float = 0.0
    """Fraction of records whose request asks for JSON fitting a schema (a prompt template's ``output_schema``) that
    are answered with something that does not fit it (prose, a missing property, a value outside its enum, JSON cut
    short), drawn per recordId from a hash and ``seed``; the others get JSON that fits."""
    throttle_creates: int = 0
    """The first N CreateModelInvocationJob calls raise ThrottlingException."""
    quota_errors: int = 0
    """The next N accepted calls (after validation) raise ServiceQuotaExceededException."""
    fail_jobs: JobSelector = field(default_factory=frozenset)
    fail_stage: Literal["Validating", "InProgress"] = "InProgress"
    fail_message: str = "An internal error occurred while processing the batch inference job."
    expire_jobs: JobSelector = field(default_factory=frozenset)
    """These jobs stay Scheduled until their timeout, then become Expired."""
    partial_jobs: JobSelector = field(default_factory=frozenset)
    partial_fraction: float = 0.5
    """Share of records a PartiallyCompleted job processes; the rest are absent from the output."""
    stop_jobs: JobSelector = field(default_factory=frozenset)
    """These jobs are stopped (as if by a user) halfway through InProgress."""
    stall_jobs: JobSelector = field(default_factory=frozenset)
    """These jobs stop making progress at ``stall_fraction`` of their records and stay InProgress until their
    timeout, then end PartiallyCompleted with what they processed (a job stuck in the service)."""
    stall_fraction: float = 0.5
    lose_events: JobSelector = field(default_factory=frozenset)
    """EventBridge state-change events of these jobs are not emitted (Bedrock delivers them best effort)."""
    emit_events: bool = True
