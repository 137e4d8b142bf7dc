"""Reading ``template.yaml`` and resolving the intrinsic functions it uses.

CloudFormation User Guide, intrinsic-function-reference: ``Ref`` (parameters, pseudo parameters, resources),
``Fn::Sub`` (with and without a variable map), ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Select``, ``Fn::Split``,
``Fn::If`` with ``Conditions`` (``Fn::Equals``, ``Fn::Not``, ``Fn::And``, ``Fn::Or``), ``AWS::NoValue``.
Physical names follow the template where it sets them and a deterministic ``<stack>-<LogicalId>-<suffix>``
otherwise, as CloudFormation generates them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_NO_VALUE = object()


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (``!Ref``, ``!Sub``, ``!GetAtt`` ...)."""


def _tag(name: str):
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    return construct


for _short in ("Ref", "Condition"):
    _Loader.add_constructor(f"!{_short}", _tag(_short))
for _fn in ("Sub", "GetAtt", "Join", "Select", "Split", "If", "Equals", "Not", "And", "Or", "FindInMap",
            "Base64", "GetAZs", "ImportValue", "Cidr"):
    _Loader.add_constructor(f"!{_fn}", _tag(f"Fn::{_fn}"))


def load(path: str | Path) -> dict[str, Any]:
    return yaml.load(Path(path).read_text(), Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)


@dataclass
class Stack:
    """A template with values for its parameters, resolving to the values CloudFormation would produce."""

    template: dict[str, Any]
    name: str = "bedrock-batch"
    region: str = "us-east-1"
    account_id: str = "123456789012"
    overrides: dict[str, str] = field(default_factory=dict)
    root: Path = Path(".")

    def __post_init__(self) -> None:
        self.resources: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        self.parameters = self._parameters()
        conditions = self.template.get("Conditions", {})
        self._conditions = {name: bool(self.resolve(expr)) for name, expr in conditions.items()}

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> Stack:
        path = Path(path)
        return cls(load(path), root=path.parent, **kwargs)

    def _parameters(self) -> dict[str, str]:
        values = {}
        for name, spec in self.template.get("Parameters", {}).items():
            if name in self.overrides:
                values[name] = str(self.overrides[name])
            elif "Default" in spec:
                values[name] = str(spec["Default"])
            else:
                raise ValueError(f"template parameter {name} has no default and no value was given")
        unknown = set(self.overrides) - set(values)
        if unknown:
            raise ValueError(f"unknown template parameters: {sorted(unknown)}")
        return values

    # -- physical names ----------------------------------------------------------------------------------------
    def _suffix(self, logical_id: str) -> str:
        return hashlib.sha256(f"{self.name}/{logical_id}".encode()).hexdigest()[:12].upper()

    def physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        props = resource.get("Properties", {})
        explicit = {
            "AWS::S3::Bucket": "BucketName", "AWS::DynamoDB::Table": "TableName", "AWS::SQS::Queue": "QueueName",
            "AWS::Serverless::Function": "FunctionName", "AWS::Lambda::Function": "FunctionName",
            "AWS::Serverless::StateMachine": "Name", "AWS::IAM::Role": "RoleName",
            "AWS::Logs::LogGroup": "LogGroupName",
        }.get(resource["Type"])
        if explicit and explicit in props:
            return str(self.resolve(props[explicit]))
        generated = f"{self.name}-{logical_id}-{self._suffix(logical_id)}"
        return generated.lower() if resource["Type"] == "AWS::S3::Bucket" else generated

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        r, a = self.region, self.account_id
        return {
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{r}:{a}:table/{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{r}:{a}:{name}",
            "AWS::Serverless::Function": f"arn:aws:lambda:{r}:{a}:function:{name}",
            "AWS::Lambda::Function": f"arn:aws:lambda:{r}:{a}:function:{name}",
            "AWS::Serverless::StateMachine": f"arn:aws:states:{r}:{a}:stateMachine:{name}",
            "AWS::IAM::Role": f"arn:aws:iam::{a}:role/{name}",
            "AWS::Logs::LogGroup": f"arn:aws:logs:{r}:{a}:log-group:{name}:*",
        }.get(kind, f"arn:aws:cloudformation:{r}:{a}:{logical_id}")

    def ref(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{self.physical_name(logical_id)}"
        if kind == "AWS::Serverless::StateMachine":
            return self.arn(logical_id)
        return self.physical_name(logical_id)

    def get_att(self, logical_id: str, attribute: str) -> str:
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute in ("Name", "QueueName", "TableName"):
            return self.physical_name(logical_id)
        if attribute == "QueueUrl":
            return self.ref(logical_id)
        raise ValueError(f"Fn::GetAtt {logical_id}.{attribute} is not supported offline")

    # -- intrinsics --------------------------------------------------------------------------------------------
    def _pseudo(self, name: str) -> Any:
        return {
            "AWS::StackName": self.name, "AWS::Region": self.region, "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": _NO_VALUE,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.name}/offline",
        }.get(name)

    def _lookup(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        pseudo = self._pseudo(name)
        if pseudo is not None:
            return pseudo
        if name in self.resources:
            return self.ref(name)
        raise ValueError(f"Ref {name}: not a parameter, pseudo parameter or resource")

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token.startswith("!"):
                return "${" + token[1:] + "}"
            if token in variables:
                return str(variables[token])
            if "." in token and token.split(".", 1)[0] in self.resources:
                logical_id, attribute = token.split(".", 1)
                return self.get_att(logical_id, attribute)
            return str(self._lookup(token))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic function in ``value``."""
        if isinstance(value, list):
            return [v for v in (self.resolve(v) for v in value) if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self._lookup(arg)
            if key == "Fn::Sub":
                if isinstance(arg, list):
                    return self._sub(arg[0], {k: self.resolve(v) for k, v in arg[1].items()})
                return self._sub(arg, {})
            if key == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical_id, attribute)
            if key == "Fn::Join":
                return arg[0].join(str(v) for v in self.resolve(arg[1]))
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(self.resolve(arg[0]))]
            if key == "Fn::Split":
                return str(self.resolve(arg[1])).split(arg[0])
            if key == "Fn::If":
                return self.resolve(arg[1] if self._conditions[arg[0]] else arg[2])
            if key == "Fn::Equals":
                return self.resolve(arg[0]) == self.resolve(arg[1])
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(a) for a in arg)
            if key == "Fn::Or":
                return any(self.resolve(a) for a in arg)
            if key == "Condition":
                return self._conditions[arg]
        out = {}
        for k, v in value.items():
            resolved = self.resolve(v)
            if resolved is not _NO_VALUE:
                out[k] = resolved
        return out

    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {lid: r for lid, r in self.resources.items() if r["Type"] in types}

    def properties(self, logical_id: str) -> dict[str, Any]:
        return self.resolve(self.resources[logical_id].get("Properties", {}))

    def outputs(self) -> dict[str, Any]:
        return {name: self.resolve(spec["Value"]) for name, spec in self.template.get("Outputs", {}).items()}
