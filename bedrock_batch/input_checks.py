"""The input workflow's refusals, checked on the laptop: one module, so that ``ingest`` and the docs agree with it.

The input workflow (statemachines/input.asl.json) refuses a run whose prompt id has no template ("Is the prompt
known?": UnknownPromptId, naming the known ids) and a file whose first row lacks a column the template's
``{column}`` placeholders name ("Are the columns there?": MissingColumns). Its placeholder rule is the regular
expression of "Is the prompt known?": ``{{`` and ``}}`` are literal braces, ``{word}`` (letters, digits, ``_``)
names a column. Here the same rules give the same refusals, and more help than JSONata can: the closest column
name (difflib) and the file's columns.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import UserError

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\w+)\}")


class InputRefused(UserError):
    """The input workflow would refuse this file or prompt: reported on one line."""


def required_columns(template: str) -> list[str]:
    """The columns a template's placeholders name, in order of first use, as "Is the prompt known?" finds them."""
    names = [match.group(1) for match in _PLACEHOLDER.finditer(template) if match.group(1)]
    return list(dict.fromkeys(names))


def prompt_columns(templates: Mapping[str, Any], prompt_id: str) -> list[str]:
    """The columns prompt ``prompt_id`` needs; an unknown id is refused naming the known ones."""
    entry = templates.get(prompt_id)
    if not isinstance(entry, Mapping) or not isinstance(entry.get("template"), str):
        known = ", ".join(sorted(templates)) or "none"
        raise InputRefused(f"no prompt template {prompt_id!r}; known ids: {known}")
    return required_columns(entry["template"])


def check_columns(where: str, columns: Sequence[str], required: Sequence[str], delimiter: str | None = None) -> None:
    """Refuse a file whose columns lack one the prompt needs, saying which, the closest name and the likely cause."""
    missing = [name for name in required if name not in columns]
    if not missing:
        return
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
        if close:
            hints.append(f"{name!r} (did you mean {close[0]!r}?)")
        else:
            hints.append(repr(name))
    cause = ""
    if delimiter == "," and len(columns) == 1 and "\t" in columns[0]:
        cause = "; it looks like a tab-separated file saved as .csv: rename it to .tsv"
    shown = ", ".join(repr(c) for c in columns)
    plural = "s" if len(missing) > 1 else ""
    raise InputRefused(f"{where}: lacks the column{plural} {', '.join(hints)} the prompt needs{cause}; "
                       f"its columns: {shown}")
