"""Offline Amazon Bedrock batch inference: a moto-style backend for model invocation jobs on the virtual clock.

``BatchSimulator`` answers ``create/get/list/stop_model_invocation_job`` like the boto3 ``bedrock`` client, reads
input and writes output in Bedrock's format through a boto3 S3 client, and puts "Batch Inference Job State Change"
events on EventBridge. ``SimulatorConfig`` holds durations, quotas and faults; ``families`` the per-model response
bodies; ``backends`` what produces the text and vectors.
"""

from .backends import BackendUnavailable, DeterministicBackend, MiniLMBackend, ModelBackend, count_tokens
from .families import Family, RecordError, family_for
from .faults import JobSelector, SimulatorConfig
from .simulator import IN_FLIGHT, NOT_STARTED, TERMINAL, BatchSimulator, StateChange, client_error

__all__ = [
    "IN_FLIGHT",
    "NOT_STARTED",
    "TERMINAL",
    "BackendUnavailable",
    "BatchSimulator",
    "DeterministicBackend",
    "Family",
    "JobSelector",
    "MiniLMBackend",
    "ModelBackend",
    "RecordError",
    "SimulatorConfig",
    "StateChange",
    "client_error",
    "count_tokens",
    "family_for",
]
