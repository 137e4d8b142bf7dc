"""The stack name and Region ``sam deploy`` uses, read from ``samconfig.toml``.

SAM CLI developer guide, serverless-sam-cli-config: ``sam deploy`` reads ``[<env>.deploy.parameters]`` and then
``[<env>.global.parameters]`` (command-specific values win); ``sam deploy --guided`` saves the stack name and the
Region it asked for under ``[default.deploy.parameters]``. ``bedrock-batch publish-prompts`` reads the same file,
so the prompts go to the stack that was just deployed, whatever name the guided run chose.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_STACK_NAME = "bedrock-batch"


@dataclass(frozen=True)
class DeployTarget:
    stack_name: str
    region: str | None


def deploy_target(config: Path, env: str = "default") -> DeployTarget:
    """The stack name and Region of ``sam deploy`` with ``config`` (the defaults when it has none)."""
    values: dict[str, object] = {}
    if config.is_file():
        tables = tomllib.loads(config.read_text(encoding="utf-8")).get(env, {})
        for command in ("global", "deploy"):  # deploy last: its values win
            values.update(tables.get(command, {}).get("parameters", {}))
    region = values.get("region")
    return DeployTarget(str(values.get("stack_name") or DEFAULT_STACK_NAME), str(region) if region else None)
