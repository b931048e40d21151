"""A rule parameter as people and editors see it: its label, its kind and bounds, the
choices a list may hold, and the check of one value on its own.

Kinds are what the stored JSON holds: INT and FLOAT numbers, BOOL, CHOICES (a list of
keys), CHOICE (one key) and DATE (ISO text). The DQ settings dialog builds one editor per
parameter from this description, so a new parameter needs no UI work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

INT, FLOAT, BOOL, CHOICES, CHOICE, DATE = "int", "float", "bool", "choices", "choice", "date"
KINDS = (INT, FLOAT, BOOL, CHOICES, CHOICE, DATE)


@dataclass(frozen=True)
class Param:
    key: str  # the field of the rule's settings class, and the key in the stored JSON
    label: str  # the form label: "Disqualify under age"
    kind: str
    name: str = ""  # how a problem names it: "disqualify under" (the label when empty)
    minimum: float | None = None
    maximum: float | None = None
    step: float = 1
    suffix: str = ""  # the unit after a number: " years"
    choices: tuple[tuple[str, str], ...] = ()
    non_empty: bool = False  # an empty list would disqualify everyone

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"parameter {self.key}: unknown kind {self.kind!r}")
        if self.kind in (CHOICES, CHOICE) and not self.choices:
            raise ValueError(f"parameter {self.key}: a {self.kind} parameter needs choices")

    @property
    def short(self) -> str:
        return self.name or self.label.lower()

    def problems(self, value: Any) -> list[str]:
        """Problems with one value on its own (the rule checks values against each other)."""
        name = f"'{self.short}'"
        if self.kind in (INT, FLOAT):
            if not _is_number(value, self.kind):
                return [f"{name} must be a {'whole ' if self.kind == INT else ''}number"]
            if self.minimum is not None and value < self.minimum:
                return [f"{name} ({fmt_value(value)}) must be at least {fmt_value(self.minimum)}"]
            if self.maximum is not None and value > self.maximum:
                return [f"{name} ({fmt_value(value)}) must be at most {fmt_value(self.maximum)}"]
        elif self.kind == BOOL and not isinstance(value, bool):
            return [f"{name} must be on or off"]
        elif self.kind == CHOICE and value not in [key for key, _ in self.choices]:
            return [f"{name} ({value!r}) is not one of the choices"]
        elif self.kind == CHOICES:
            if not isinstance(value, list):
                return [f"{name} must be a list"]
            known = dict(self.choices)
            unknown = [v for v in value if v not in known]
            if unknown:
                return [f"{name} has {', '.join(map(repr, unknown))}, not among the choices"]
            if self.non_empty and not value:
                return [f"{name} needs at least one choice, or every applicant is "
                        "disqualified"]
        elif self.kind == DATE:
            try:
                date.fromisoformat(str(value))
            except ValueError:
                return [f"{name} ({value!r}) is not a date"]
        return []


def fmt_value(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else repr(value)


def _is_number(value: Any, kind: str) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (kind == FLOAT and isinstance(value, float))
