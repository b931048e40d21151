"""A DQ rule declared once (``Rule``), and the rules of one applicant type
(``RuleRegistry``).

A rule brings together what used to live in three catalogues: the check function, the
typed settings it reads (a frozen dataclass whose instance in ``defaults`` holds the agency
defaults), the description of each parameter for editors and validation, and the
applicant-facing phrases. Everything else — the defaults stored at first run, the engine,
validation, the DQ settings dialog, the upgrade at start — is derived from it.

The stored form of a rule's settings (``dq_rule_sets.rules[key]``) is unchanged from the
first release: ``{"enabled": …, <each parameter by its key>…, "basis": …}``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..vocab import ApplicantType
from .answers import Answers
from .outcomes import Finding
from .params import Param

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

S = TypeVar("S", bound="DataclassInstance")  # a rule's settings: a frozen dataclass
# a check reads its typed settings and the profile and yields what it finds
Check = Callable[[S, Answers, ApplicantType], Iterable[Finding]]


@dataclass(frozen=True)
class NoSettings:
    """The settings of a rule that has no parameters (only "enabled")."""


NO_SETTINGS = NoSettings()


@dataclass(frozen=True)
class Rule(Generic[S]):
    key: str
    label: str  # staff's name for it: "Birth control"
    description: str  # one sentence under the label in the DQ settings dialog
    check: Check[S]
    defaults: S  # the settings class filled with the agency defaults
    # "Your answers meet our {topic} guidelines." — the sentence of a pass
    topic: str
    # field → what that answer is, for "We still need to know {question}."; every field the
    # check may report missing needs one (tests/test_dq_registry.py checks)
    questions: Mapping[str, str]
    parameters: tuple[Param, ...] = ()  # in the order the dialog shows them
    enabled: bool = True  # on by default (education is a preference, off)
    basis: str = ""  # where the defaults come from, shown to staff
    # (lower, upper, strict): the value of ``lower`` must be below (or not above) ``upper``
    ordered: tuple[tuple[str, str, bool], ...] = ()
    # lists that may not share a value (each value gets one outcome)
    disjoint: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        # a declaration mistake fails at import, not when staff open the dialog
        fields = {f.name for f in dataclasses.fields(self.defaults)}
        keys = [p.key for p in self.parameters]
        unknown = [k for k in keys if k not in fields]
        named = [k for pair in self.ordered for k in pair[:2]] + \
            [k for pair in self.disjoint for k in pair]
        if unknown or len(set(keys)) != len(keys) or not set(named) <= set(keys):
            raise ValueError(f"rule {self.key}: parameters {keys} do not match the fields "
                             f"{sorted(fields)} of its settings, or its checks {named}")

    def param(self, key: str) -> Param:
        for p in self.parameters:
            if p.key == key:
                return p
        raise KeyError(f"rule {self.key} has no parameter {key!r}")

    def settings(self, stored: Mapping[str, Any]) -> S:
        """The typed settings from a stored rule. Keys that are not parameters (enabled,
        basis, a newer version's parameters) are not read; a parameter missing from the
        stored rule reads as its default (the upgrade at start adds it to the stored set).
        JSON lists become tuples, so the settings are as immutable as their class says."""
        present = {p.key: _as_tuple(stored[p.key]) for p in self.parameters if p.key in stored}
        return dataclasses.replace(self.defaults, **present)

    def parameter_values(self, settings: S) -> dict[str, Any]:
        """Settings as stored: the parameters in the order of the settings class's fields,
        lists as JSON lists."""
        keys = {p.key for p in self.parameters}
        return {f.name: _as_json(getattr(settings, f.name))
                for f in dataclasses.fields(settings) if f.name in keys}

    def default_json(self) -> dict[str, Any]:
        """The rule as first run stores it (a fresh object: callers may edit it)."""
        stored: dict[str, Any] = {"enabled": self.enabled}
        stored.update(self.parameter_values(self.defaults))
        if self.basis:
            stored["basis"] = self.basis
        return stored

    def default_of(self, key: str) -> Any:
        return _as_json(getattr(self.defaults, self.param(key).key))


def _as_json(value: Any) -> Any:
    return [_as_json(v) for v in value] if isinstance(value, (tuple, list)) else value


def _as_tuple(value: Any) -> Any:
    return tuple(_as_tuple(v) for v in value) if isinstance(value, list) else value


class RuleRegistry:
    """The rules of one applicant type, in the order first run stores them — which is the
    order the engine runs them and the dialog shows them."""

    def __init__(self, applicant_type: ApplicantType, rules: Iterable[Rule[Any]] = ()):
        self.applicant_type = applicant_type
        self._rules: dict[str, Rule[Any]] = {}
        for rule in rules:
            self.register(rule)

    def register(self, rule: Rule[Any]) -> None:
        if rule.key in self._rules:
            raise ValueError(f"{self.applicant_type} already has a rule {rule.key!r}")
        self._rules[rule.key] = rule

    @contextmanager
    def temporarily(self, rule: Rule[Any]) -> Iterator[Rule[Any]]:
        """The registry with ``rule`` added (or replacing the rule of its key) until the
        block ends — for tests of what a new release's rule does to an existing database."""
        before = dict(self._rules)
        self._rules[rule.key] = rule
        try:
            yield rule
        finally:
            self._rules = before

    def get(self, key: str) -> Rule[Any] | None:
        return self._rules.get(key)

    def __getitem__(self, key: str) -> Rule[Any]:
        return self._rules[key]

    def __contains__(self, key: object) -> bool:
        return key in self._rules

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def rules(self) -> list[Rule[Any]]:
        return list(self._rules.values())

    def defaults(self) -> dict[str, dict[str, Any]]:
        """The agency defaults as a rule set is stored (fresh objects: callers may edit)."""
        return {key: rule.default_json() for key, rule in self._rules.items()}
