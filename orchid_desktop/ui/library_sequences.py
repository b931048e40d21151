"""The template library's sequences ("Egg donor welcome", "Gestational carrier welcome",
"Deferred re-engagement") as ready-made drip steps: the library gives each template the
day it goes out, and the steps keep that spacing, each counted from the step before so a
weekend that moves one email moves the rest with it."""

from __future__ import annotations

from orchid_desktop.domain.vocab import CampaignTarget, DelayFrom, StepKind
from orchid_desktop.services.drips import StepForm
from orchid_desktop.services.first_run import library_entries
from orchid_desktop.services.templates import TemplateSummary

RELATIVE_SPACING = 14  # days between emails of a sequence timed from another date
TARGETS = {"egg donor": CampaignTarget.EGG_DONOR,
           "gestational carrier": CampaignTarget.GESTATIONAL_CARRIER}


def library_sequences(templates: list[TemplateSummary]
                      ) -> dict[str, list[tuple[TemplateSummary, int]]]:
    """Each library sequence with its templates (not archived) and their days, in order."""
    days = {entry["slug"]: entry.get("day", 0) for entry in library_entries()}
    sequences: dict[str, list[tuple[TemplateSummary, int]]] = {}
    for template in templates:
        if template.sequence and template.slug in days and not template.archived:
            sequences.setdefault(template.sequence, []).append((template, days[template.slug]))
    for members in sequences.values():
        members.sort(key=lambda pair: (pair[1], pair[0].slug or ""))
    return dict(sorted(sequences.items()))


def sequence_steps(members: list[tuple[TemplateSummary, int]]) -> list[StepForm]:
    """One email step per template. Days before a date the library counts from (a
    deferred person's eligible date: negative days) mean nothing to a drip, which counts
    from enrolment: those emails go at once and then every two weeks."""
    relative = any(day < 0 for _, day in members)
    steps, previous = [], 0
    for number, (template, day) in enumerate(members):
        if relative:
            delay = 0 if number == 0 else RELATIVE_SPACING
        else:
            delay, previous = max(day - previous, 0), day
        # the first counts from enrolment (the same day, and plainer to read)
        steps.append(StepForm(StepKind.EMAIL, delay, DelayFrom.PREVIOUS_STEP if number
                              else DelayFrom.ENROLMENT, None, template.id))
    return steps


def sequence_target(name: str) -> CampaignTarget | None:
    lowered = name.lower()
    return next((target for words, target in TARGETS.items() if words in lowered), None)
