"""Moved to ``orchid_desktop.domain.dq_rules``. Kept only because ui/people_model.py (not
part of the screening code) imports rule_label from here; import from dq_rules instead,
and delete this module once nothing imports it."""

from .dq_rules import rule_label

__all__ = ["rule_label"]
