"""``publish-prompts`` finds the stack ``sam deploy`` deployed: the name and Region in samconfig.toml.

SAM CLI developer guide, serverless-sam-cli-config: ``[default.deploy.parameters]`` wins over
``[default.global.parameters]``; ``sam deploy --guided`` saves its answers under the former.
"""

from __future__ import annotations

from pathlib import Path

from bedrock_batch.stack.samconfig import DEFAULT_STACK_NAME, DeployTarget, deploy_target

REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_samconfig_names_the_default_stack() -> None:
    assert deploy_target(REPO / "samconfig.toml") == DeployTarget("bedrock-batch", "us-east-1")


def test_the_name_a_guided_deploy_saved_wins_over_the_global_one(tmp_path: Path) -> None:
    config = tmp_path / "samconfig.toml"
    config.write_text('version = 0.1\n[default.global.parameters]\nstack_name = "bedrock-batch"\n'
                      'region = "us-east-1"\n[default.deploy.parameters]\nstack_name = "reviews-prod"\n'
                      'region = "eu-west-1"\ncapabilities = "CAPABILITY_IAM"\n')
    assert deploy_target(config) == DeployTarget("reviews-prod", "eu-west-1")


def test_without_a_samconfig_the_defaults_apply(tmp_path: Path) -> None:
    assert deploy_target(tmp_path / "samconfig.toml") == DeployTarget(DEFAULT_STACK_NAME, None)
