"""Deploying the template offline: its bucket, table, queue, functions, state machines and rules, in moto.

What ``sam deploy`` creates on AWS, created here from the same template. EventBridge rules get, beside the
state machine they target on AWS, an SQS "tap" queue in moto: moto evaluates the rule's own pattern and
delivers there (moto has no Step Functions target), and the router below starts the state machine with the
event, as EventBridge would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..offline.definition import StateMachineDefinition, substitute
from ..offline.runtime import Runtime
from .template import Stack

TAP_PREFIX = "offline-rule-tap-"
_QUEUE_ATTRIBUTES = ("DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
                     "VisibilityTimeout", "SqsManagedSseEnabled")


@dataclass
class Route:
    rule_name: str
    queue_url: str
    machine_arn: str


@dataclass
class OfflineStack:
    stack: Stack
    runtime: Runtime
    routes: list[Route] = field(default_factory=list)
    events_delivered: int = 0

    # -- the resources -----------------------------------------------------------------------------------------
    def deploy(self) -> OfflineStack:
        for logical_id in self.stack.of_type("AWS::S3::Bucket"):
            self._bucket(logical_id)
        for logical_id in self.stack.of_type("AWS::DynamoDB::Table"):
            self._table(logical_id)
        for logical_id in self.stack.of_type("AWS::SQS::Queue"):
            self._queue(logical_id)
        for logical_id in self.stack.of_type("AWS::Serverless::Function"):
            self._function(logical_id)
        for logical_id in self.stack.of_type("AWS::Serverless::StateMachine"):
            self._state_machine(logical_id)
        self.runtime.clock.add_idle_hook(self.deliver_events)
        return self

    def _bucket(self, logical_id: str) -> None:
        s3 = self.runtime.client("s3")
        name = self.stack.physical_name(logical_id)
        s3.create_bucket(Bucket=name)
        props = self.stack.properties(logical_id)
        notifications = props.get("NotificationConfiguration", {})
        if notifications.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}})

    def _table(self, logical_id: str) -> None:
        props = self.stack.properties(logical_id)
        kwargs: dict[str, Any] = {
            "TableName": self.stack.physical_name(logical_id),
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if kwargs["BillingMode"] == "PROVISIONED":
            kwargs["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        self.runtime.client("dynamodb").create_table(**kwargs)

    def _queue(self, logical_id: str) -> None:
        # AWS::SQS::Queue properties that are CreateQueue attributes (the retention above all: a dead letter must
        # stay as long offline, on the virtual clock, as on AWS).
        props = self.stack.properties(logical_id)
        attributes = {name: str(props[name]).lower() if isinstance(props[name], bool) else str(props[name])
                      for name in _QUEUE_ATTRIBUTES if name in props}
        self.runtime.client("sqs").create_queue(QueueName=self.stack.physical_name(logical_id), Attributes=attributes)

    def _function(self, logical_id: str) -> None:
        props = self.stack.properties(logical_id)
        code = self.stack.root / props["CodeUri"]
        name = self.stack.physical_name(logical_id)
        self.runtime.register_function_dir(code, name, props.get("Handler", "app.handler"))

    def _state_machine(self, logical_id: str) -> None:
        props = self.stack.properties(logical_id)
        text = (self.stack.root / props["DefinitionUri"]).read_text()
        text = substitute(text, {k: str(v) for k, v in props.get("DefinitionSubstitutions", {}).items()})
        machine_type = props.get("Type", "STANDARD")
        definition = StateMachineDefinition.from_json(text, machine_type)
        machine = self.runtime.create_state_machine(self.stack.physical_name(logical_id), definition, machine_type)
        for event_name, event in props.get("Events", {}).items():
            if event.get("Type") == "EventBridgeRule":
                self._rule(f"{logical_id}{event_name}", event["Properties"], machine.arn)

    def _rule(self, name: str, properties: dict[str, Any], machine_arn: str) -> None:
        sqs, events = self.runtime.client("sqs"), self.runtime.client("events")
        queue_url = sqs.create_queue(QueueName=TAP_PREFIX + name[:60])["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        bus = properties.get("EventBusName", "default")
        events.put_rule(Name=name, EventPattern=json.dumps(properties["Pattern"]), EventBusName=bus, State="ENABLED")
        events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "tap", "Arn": queue_arn}])
        self.routes.append(Route(name, queue_url, machine_arn))

    # -- routing -----------------------------------------------------------------------------------------------
    def deliver_events(self) -> bool:
        """Start a state machine execution for every event its rule matched; True when any started."""
        sqs = self.runtime.client("sqs")
        started = False
        for route in self.routes:
            while True:
                messages = sqs.receive_message(QueueUrl=route.queue_url, MaxNumberOfMessages=10).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    event = normalise_event(json.loads(message["Body"]))
                    self.runtime.start_execution(route.machine_arn, event)
                    sqs.delete_message(QueueUrl=route.queue_url, ReceiptHandle=message["ReceiptHandle"])
                    self.events_delivered += 1
                    started = True
        return started

    # -- what a user of the deployed stack reads ---------------------------------------------------------------
    def output(self, name: str) -> Any:
        return self.stack.outputs()[name]

    def upload_prompts(self, templates: Path) -> None:
        """What ``make deploy`` does after ``sam deploy``: put prompts/templates.json in the bucket."""
        bucket = self.stack.physical_name(next(iter(self.stack.of_type("AWS::S3::Bucket"))))
        self.runtime.client("s3").put_object(Bucket=bucket, Key="config/prompt-templates.json",
                                             Body=templates.read_bytes())


def normalise_event(event: dict[str, Any]) -> dict[str, Any]:
    """Make moto's S3 event match the S3 User Guide (ev-events): the object's ETag is ``etag``; moto writes ``eTag``."""
    obj = event.get("detail", {}).get("object")
    if isinstance(obj, dict) and "eTag" in obj and "etag" not in obj:
        obj["etag"] = obj.pop("eTag")
    return event
