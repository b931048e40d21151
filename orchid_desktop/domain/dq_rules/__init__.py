"""The DQ (disqualification) rules: one registry of rules per screened applicant type.

Layout (each module imports only those above it, so there is no import cycle):

- ``outcomes``, ``answers``, ``wording``, ``params``: what a check returns, reads and says,
  and how a parameter is described;
- ``spec``: ``Rule`` (a rule declared once) and ``RuleRegistry``;
- ``shared`` (age, BMI), ``egg_donor``, ``carrier``: the rules, one module per type;
- ``registry``: the registries by type, the defaults and labels derived from them;
- ``engine`` (``evaluate``), ``validation`` (``validate``), ``upgrade`` (what a stored
  rule set lacks).

How to add a rule: docs/architecture.md, "Screening".
"""

from .answers import Answers, add_months
from .engine import evaluate, run_rule
from .outcomes import DEFER, DQ, FLAG, NEEDS_DATA, PASS, SEVERITY, Evaluation, Finding, RuleResult
from .params import BOOL, CHOICE, CHOICES, DATE, FLOAT, INT, KINDS, Param
from .registry import REGISTRIES, SCREENED_TYPES, default_rules, registry_for, rule_label
from .spec import NO_SETTINGS, NoSettings, Rule, RuleRegistry
from .upgrade import add_missing_defaults
from .validation import validate

__all__ = [
    "BOOL", "CHOICE", "CHOICES", "DATE", "DEFER", "DQ", "FLAG", "FLOAT", "INT", "KINDS",
    "NEEDS_DATA", "NO_SETTINGS", "PASS", "REGISTRIES", "SCREENED_TYPES", "SEVERITY", "Answers",
    "Evaluation", "Finding", "NoSettings", "Param", "Rule", "RuleRegistry", "RuleResult",
    "add_missing_defaults", "add_months", "default_rules", "evaluate", "registry_for",
    "rule_label", "run_rule", "validate",
]
