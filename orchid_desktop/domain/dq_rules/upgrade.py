"""What a stored rule set lacks that this version's registry has: new rules and new
parameters of existing rules, to be added at start as a new version
(services/screening_upgrade.py).

Only what is absent is added. Staff's values are never touched, and neither is a rule they
turned off: the DQ settings dialog stores "off" as ``enabled: false`` and never deletes a
rule, so a rule that is absent from the current set but was in an earlier version of it
was removed on purpose (by a script or an import) and is not brought back.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from typing import Any

from .spec import RuleRegistry


def add_missing_defaults(registry: RuleRegistry, stored: Mapping[str, Mapping[str, Any]],
                         removed: Collection[str] = ()) -> tuple[dict[str, Any], list[str]]:
    """The stored rules with every rule and parameter the registry has and they lack (new
    rules at the end, with their defaults), and one line per addition for the audit; the
    same rules and no lines when nothing is missing. ``removed``: rule keys of earlier
    versions, which are not added back."""
    rules: dict[str, Any] = copy.deepcopy(dict(stored))
    added: list[str] = []
    for rule in registry.rules():
        current = rules.get(rule.key)
        if current is None:
            if rule.key not in removed:
                rules[rule.key] = rule.default_json()
                added.append(f"new rule added by upgrade: {rule.label}")
            continue
        for p in rule.parameters:
            if p.key not in current:
                current[p.key] = rule.default_of(p.key)
                added.append(f"new setting added by upgrade: {rule.label} — {p.label}")
    return rules, added
