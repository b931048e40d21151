"""What a DQ rule finds and what an evaluation stores: the outcomes and their severity, one
rule's result, and the evaluation of all of them.

Results are stored as JSON in ``screening_evaluations.results`` (``to_json``), so their
shape is a stored format: change it only with a migration of the stored rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from ..vocab import ScreeningOutcome

PASS, DQ, FLAG, DEFER, NEEDS_DATA = (ScreeningOutcome.PASS, ScreeningOutcome.DQ,
                                     ScreeningOutcome.FLAG, ScreeningOutcome.DEFER,
                                     ScreeningOutcome.NEEDS_DATA)
# the overall outcome is the most severe one: DQ > DEFER > NEEDS_DATA > FLAG > PASS
SEVERITY = {PASS: 0, FLAG: 1, NEEDS_DATA: 2, DEFER: 3, DQ: 4}


class Finding(NamedTuple):
    """What one condition of a rule found; a rule reports its most severe finding."""
    outcome: ScreeningOutcome
    code: str
    message: str
    eligible_on: date | None = None


@dataclass(frozen=True)
class RuleResult:
    rule: str
    outcome: ScreeningOutcome
    code: str
    message: str
    eligible_on: date | None = None
    inputs: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "outcome": self.outcome.value, "code": self.code,
                "message": self.message,
                "eligible_on": self.eligible_on.isoformat() if self.eligible_on else None,
                "inputs": dict(self.inputs)}


@dataclass(frozen=True)
class Evaluation:
    outcome: ScreeningOutcome
    eligible_on: date | None
    results: tuple[RuleResult, ...]

    def fired(self) -> list[RuleResult]:
        return [r for r in self.results if r.outcome is not PASS]

    def to_json(self) -> list[dict]:
        return [r.to_json() for r in self.results]
