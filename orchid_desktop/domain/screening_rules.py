"""Moved to ``orchid_desktop.domain.dq_rules``. Kept only because ui/people_model.py (not
part of the screening code) imports SEVERITY from here; import from dq_rules instead, and
delete this module once nothing imports it."""

from .dq_rules import SEVERITY

__all__ = ["SEVERITY"]
