"""The one record of what moto_speedups replaced, so that ``uninstall()`` can put moto's own code back."""

from __future__ import annotations

from typing import Any

ABSENT = object()  # the attribute was not in the class's own dict (inherited or missing)
originals: list[tuple[Any, str, Any]] = []  # (class or module, attribute, moto's own value), in patching order


def set_attribute(owner: Any, name: str, value: Any) -> None:
    """Replace ``owner.name`` with ``value``, remembering moto's own."""
    originals.append((owner, name, owner.__dict__.get(name, ABSENT)))
    setattr(owner, name, value)


def restore_all() -> None:
    """Put back every attribute replaced, the last first."""
    while originals:
        owner, name, value = originals.pop()
        if value is ABSENT:
            delattr(owner, name)
        else:
            setattr(owner, name, value)
