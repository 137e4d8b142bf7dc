"""The offline Bedrock's model catalogue: which model and inference profile ids exist, and what each supports.

The data lives in one file, ``models.json`` beside this module; this module only reads it. A model id, a
foundation-model ARN, a system-defined inference profile id (``us.``, ``eu.``, ``apac.``, ``global.`` ... followed by
the model id) or its ARN resolves to a ``Model``; anything else resolves to ``None``, and the simulators refuse it as
AWS refuses an unknown id. A profile is usable only from a Region of its geography (User Guide,
inference-profiles-support: the source Region must be one the profile is defined in).

Response shapes: botocore ``bedrock/2023-04-20`` ``GetFoundationModelResponse`` (``modelDetails``:
``FoundationModelDetails``) and ``GetInferenceProfileResponse``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CATALOGUE_FILE = Path(__file__).with_name("models.json")


@dataclass(frozen=True)
class Model:
    """One foundation model, as ``models.json`` lists it."""

    model_id: str
    name: str
    provider: str
    family: str | None
    input: tuple[str, ...]
    output: tuple[str, ...]
    streaming: bool
    customizations: tuple[str, ...]
    lifecycle: str
    batch: bool
    profiles: tuple[str, ...]


@dataclass(frozen=True)
class Resolved:
    """What a ``modelId`` names: the model, and the geography when it is reached through an inference profile."""

    model: Model
    geography: str | None


class Catalogue:
    def __init__(self, data: dict[str, Any]) -> None:
        self.geographies: dict[str, tuple[str, ...]] = {
            geo: tuple(regions) for geo, regions in data["geographies"].items()
        }
        self.models: dict[str, Model] = {
            model_id: Model(
                model_id=model_id,
                name=entry["name"],
                provider=entry["provider"],
                family=entry["family"],
                input=tuple(entry["input"]),
                output=tuple(entry["output"]),
                streaming=entry["streaming"],
                customizations=tuple(entry["customizations"]),
                lifecycle=entry["lifecycle"],
                batch=entry["batch"],
                profiles=tuple(entry["profiles"]),
            )
            for model_id, entry in data["models"].items()
        }

    # -- lookups ---------------------------------------------------------------------------------------------
    def split_profile(self, profile_id: str) -> tuple[str, str] | None:
        """``us.amazon.nova-micro-v1:0`` -> (``us``, ``amazon.nova-micro-v1:0``); ``None`` without a known prefix."""
        geo, _, model_id = profile_id.partition(".")
        return (geo, model_id) if geo in self.geographies and model_id else None

    def foundation_model(self, identifier: str, region: str) -> Model | None:
        """A model id or a foundation-model ARN of ``region``."""
        model_id = identifier
        if identifier.startswith("arn:"):
            parts = identifier.split(":", 5)
            if len(parts) < 6 or parts[3] != region or parts[4] or not parts[5].startswith("foundation-model/"):
                return None
            model_id = parts[5].removeprefix("foundation-model/")
        return self.models.get(model_id)

    def inference_profile(self, identifier: str, region: str, account_id: str) -> Resolved | None:
        """A system-defined inference profile id, or its ARN in ``region``/``account_id``, usable from ``region``."""
        profile_id = identifier
        if identifier.startswith("arn:"):
            parts = identifier.split(":", 5)
            if len(parts) < 6 or parts[3] != region or parts[4] != account_id:
                return None
            if not parts[5].startswith("inference-profile/"):
                return None
            profile_id = parts[5].removeprefix("inference-profile/")
        split = self.split_profile(profile_id)
        if split is None:
            return None
        geo, model_id = split
        model = self.models.get(model_id)
        if model is None or geo not in model.profiles or region not in self.geographies[geo]:
            return None
        return Resolved(model, geo)

    def resolve(self, identifier: str, region: str, account_id: str) -> Resolved | None:
        """What a ``modelId`` (model id, profile id, or either's ARN) names, or ``None`` if nothing."""
        model = self.foundation_model(identifier, region)
        if model is not None:
            return Resolved(model, None)
        return self.inference_profile(identifier, region, account_id)

    # -- API shapes ------------------------------------------------------------------------------------------
    def model_details(self, model: Model, region: str) -> dict[str, Any]:
        """botocore ``FoundationModelDetails``."""
        return {
            "modelArn": f"arn:aws:bedrock:{region}::foundation-model/{model.model_id}",
            "modelId": model.model_id,
            "modelName": model.name,
            "providerName": model.provider,
            "inputModalities": list(model.input),
            "outputModalities": list(model.output),
            "responseStreamingSupported": model.streaming,
            "customizationsSupported": list(model.customizations),
            "inferenceTypesSupported": ["ON_DEMAND"],
            "modelLifecycle": {"status": model.lifecycle},
        }

    def profile_details(self, resolved: Resolved, region: str, account_id: str) -> dict[str, Any]:
        """botocore ``GetInferenceProfileResponse`` for a system-defined (cross-Region) profile."""
        geo = resolved.geography or ""
        model = resolved.model
        profile_id = f"{geo}.{model.model_id}"
        return {
            "inferenceProfileName": f"{geo.upper()} {model.name}",
            "description": f"Routes requests to {model.name} in {', '.join(self.geographies[geo])}.",
            "inferenceProfileArn": f"arn:aws:bedrock:{region}:{account_id}:inference-profile/{profile_id}",
            "models": [
                {"modelArn": f"arn:aws:bedrock:{destination}::foundation-model/{model.model_id}"}
                for destination in self.geographies[geo]
            ],
            "inferenceProfileId": profile_id,
            "status": "ACTIVE",
            "type": "SYSTEM_DEFINED",
        }


@cache
def catalogue() -> Catalogue:
    """The catalogue of ``models.json``, read once."""
    return Catalogue(json.loads(CATALOGUE_FILE.read_text(encoding="utf-8")))


__all__ = ["CATALOGUE_FILE", "Catalogue", "Model", "Resolved", "catalogue"]
