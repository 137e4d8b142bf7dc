"""Fixtures: a freshly deployed offline stack per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from offline_stack import Pipeline, make_pipeline

from bedrock_batch.offline.bedrock import SimulatorConfig


@pytest.fixture
def pipeline() -> Iterator[Pipeline]:
    yield from make_pipeline()


@pytest.fixture
def pipeline_with_dynamodb_sink() -> Iterator[Pipeline]:
    yield from make_pipeline(ResultsToDynamoDB="true")


@pytest.fixture(params=["false", "true"], ids=["dynamodb-sink-off", "dynamodb-sink-on"])
def pipeline_with_record_errors(request: pytest.FixtureRequest) -> Iterator[Pipeline]:
    """Both output paths: sink off (the Parquet writer lists failed records) and on (every line is split)."""
    yield from make_pipeline(SimulatorConfig(record_error_rate=0.1, seed=3), ResultsToDynamoDB=request.param)
