"""Flag values checked before anything runs: template parameters against template.yaml's own constraints.

A wrong ``--parameter`` would otherwise surface minutes later as a failed deployment or a refused job; here it
is one line naming the flag, what the template allows, and the closest parameter name when it is misspelled.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from .errors import UserError
from .stack.template import load


def closest(word: str, choices: list[str]) -> str:
    """`` (did you mean X?)`` for the nearest of ``choices``, or an empty string."""
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not match:
        match = [c for c in choices if c.lower() == word.lower()]
    return f" (did you mean {match[0]}?)" if match else ""


def template_parameters(template: Path) -> dict[str, dict[str, Any]]:
    return dict(load(template).get("Parameters", {}))


def parse_assignments(values: list[str], flag: str = "--parameter") -> dict[str, str]:
    pairs = {}
    for value in values:
        name, equals, setting = value.partition("=")
        if not equals or not name.strip():
            raise UserError(f"{flag} {value!r}: use NAME=VALUE, e.g. {flag} ItemsPerBatch=200")
        pairs[name.strip()] = setting.strip()
    return pairs


def check_parameter(name: str, value: str, spec: dict[str, Any], flag: str) -> None:
    """One parameter value against its Type, AllowedValues, AllowedPattern, MinValue and MaxValue."""
    where = f"{flag} {name}={value}"
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [str(a) for a in allowed]:
        raise UserError(f"{where}: not allowed; use one of {', '.join(str(a) for a in allowed)}")
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            raise UserError(f"{where}: {name} is a number") from None
        low, high = spec.get("MinValue"), spec.get("MaxValue")
        if low is not None and number < float(low) or high is not None and number > float(high):
            bounds = f"from {low}" + (f" to {high}" if high is not None else " up") if low is not None \
                else f"at most {high}"
            raise UserError(f"{where}: out of range; use a number {bounds}")
    pattern = spec.get("AllowedPattern")
    if pattern and not re.fullmatch(pattern, value):
        hint = spec.get("ConstraintDescription") or f"it must match {pattern}"
        raise UserError(f"{where}: invalid; {hint}")


def check_parameters(overrides: dict[str, str], template: Path, flag: str = "--parameter") -> None:
    """Every override names a parameter of ``template`` and has a value it allows; job quotas agree."""
    specs = template_parameters(template)
    for name, value in overrides.items():
        if name not in specs:
            raise UserError(f"{flag} {name}: not a parameter of {template.name}{closest(name, list(specs))}; "
                            f"parameters: {', '.join(specs)}")
        check_parameter(name, value, specs[name], flag)
    values = {name: str(overrides.get(name, spec.get("Default", ""))) for name, spec in specs.items()}
    if "MinRecordsPerJob" in values and "MaxRecordsPerJob" in values:
        low, high = float(values["MinRecordsPerJob"]), float(values["MaxRecordsPerJob"])
        if low > high:
            raise UserError(f"MinRecordsPerJob {values['MinRecordsPerJob']} is more than MaxRecordsPerJob "
                            f"{values['MaxRecordsPerJob']}: a job could never be planned; lower the minimum "
                            "(--min-records-per-job) or raise the maximum (--max-records-per-job)")


def check_rate(value: float, flag: str) -> None:
    if not 0 <= value <= 1:
        raise UserError(f"{flag} {value}: a share of records, from 0 to 1 (e.g. 0.02)")
