"""When each step of a drip campaign goes out to one person.

A drip is an ordered list of steps. An email step waits a number of days (from the
enrolment or from the step before) and may name a time of day; a wait step only moves
the clock. The agency sends inside a daily window on chosen weekdays, read on the
*recipient's* clock: "day 3 at 09:00" is 09:00 where the person lives, on either side of
a daylight-saving change. Everything here is a pure function of its arguments (no clock,
no database), so scheduling, resuming a paused campaign and the campaign simulator all
plan with the same rules, and the tests can pin each rule down.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from math import ceil, floor
from zoneinfo import ZoneInfo

from .us_states import STATE_TIME_ZONES
from .vocab import DelayFrom, StepKind

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0)


@dataclass(frozen=True)
class StepPlan:
    """One step as the campaign defines it; ``delay_from`` is ignored for a wait step,
    which always counts from the step before it."""

    kind: StepKind
    delay_days: int
    delay_from: DelayFrom
    send_time: time | None = None


@dataclass(frozen=True)
class SendWindow:
    """Local wall-clock hours [start, end) on ISO weekdays (1 = Monday ... 7 = Sunday)."""

    start: time
    end: time
    weekdays: frozenset[int]

    @classmethod
    def from_digits(cls, start: time, end: time, digits: str) -> SendWindow:
        """From the stored form of the weekdays: "12345" is Monday to Friday."""
        return cls(start, end, frozenset(int(digit) for digit in digits))

    def allows(self, moment: datetime) -> bool:
        """Whether the window is open at ``moment`` on ``moment``'s own clock."""
        return (moment.isoweekday() in self.weekdays
                and self.start <= moment.time() < self.end)


@dataclass(frozen=True)
class Timeline:
    """The campaign's first and last sending days (inclusive, on the recipient's clock)."""

    starts_on: date | None = None
    ends_on: date | None = None


@dataclass(frozen=True)
class PlannedSend:
    """Where one step lands. ``position`` numbers the steps planned from 1, as the
    campaign's stored steps are numbered.
    A wait step sends nothing (no due moment); its ``local_day`` is the day it moves the
    clock to. A skipped email keeps the day it would have had, for the simulator."""

    position: int
    kind: StepKind
    local_day: date
    due_at: datetime | None  # aware, UTC
    local_due: datetime | None  # aware, the recipient's zone
    skipped_reason: str | None = None


def local_moment(day: date, at: time, zone: tzinfo) -> datetime:
    """The real instant a wall-clock time names on ``day`` in ``zone``.

    Clocks that spring forward skip a wall time (02:30 never happens): it becomes the
    first instant after the gap (03:00), so a send is late by minutes, never a day early
    or lost. Clocks that fall back show a wall time twice: the first is taken, so a
    send is not an hour later than the person's usual one.
    """
    wall = datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)  # fold=0: first
    if wall.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return wall
    # In the gap, fold 0 and fold 1 read the wall time with the offsets before and after
    # the change: two instants either side of it. Halve the distance down to the second.
    instants = sorted(wall.replace(fold=fold).timestamp() for fold in (0, 1))
    before, after = floor(instants[0]), ceil(instants[1])
    after_offset = datetime.fromtimestamp(after, zone).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == after_offset:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, zone)


def next_window_slot(moment: datetime, window: SendWindow) -> datetime:
    """The first moment at or after ``moment`` that the window allows, on the clock of
    ``moment``'s zone: ``moment`` itself when the window is open, else the window's
    opening later that day or on the next allowed weekday."""
    if moment.tzinfo is None:
        raise ValueError("next_window_slot needs an aware moment")
    if not window.weekdays:
        raise ValueError("the send window allows no weekday")
    zone = moment.tzinfo
    candidate = moment
    for _ in range(16):  # a week, plus openings a clock change swallowed
        day = candidate.date()
        if day.isoweekday() in window.weekdays:
            if candidate.time() < window.start:
                opening = local_moment(day, window.start, zone)
                if _utc(opening) < _utc(candidate):  # past the first run of a repeated hour
                    opening = opening.replace(fold=1)
                candidate = opening
            if window.allows(candidate):
                return candidate
        candidate = local_moment(day + _ONE_DAY, _MIDNIGHT, zone)
    raise ValueError(f"no sending slot in the two weeks after {moment.isoformat()}")


def plan_steps(steps: Sequence[StepPlan], *, enrolled_at: datetime, zone: ZoneInfo,
               window: SendWindow, timeline: Timeline,
               not_before: datetime | None = None) -> list[PlannedSend]:
    """One ``PlannedSend`` per step, in order, for a person enrolled at ``enrolled_at``
    who lives in ``zone``.

    Day 0 is the enrolment's local date, or ``timeline.starts_on`` when that is later
    (the clock then starts at the window's opening that day). An email goes at its
    ``send_time``, else at the window's opening, except that on day 0 it goes as soon
    as it may. Then the window moves it on. Steps keep their order: none goes before
    the enrolment, ``not_before`` (a resumed campaign), the email before it or the end
    of a wait before it. "From the previous step" counts from the date the step before
    really got, so a step moved later moves the ones chained to it and their spacing
    is kept. Steps landing after ``timeline.ends_on`` are skipped, with the reason.
    """
    if enrolled_at.tzinfo is None:
        raise ValueError("enrolled_at must be aware")
    start = enrolled_at.astimezone(zone)
    start_day = start.date()
    if timeline.starts_on is not None and timeline.starts_on > start_day:
        start_day = timeline.starts_on
        start = local_moment(start_day, window.start, zone)
    earliest = max(_utc(enrolled_at), _utc(start))
    if not_before is not None:
        earliest = max(earliest, _utc(not_before))
    previous_day = start_day  # what "from the previous step" counts from
    skip_reason: str | None = None
    plans: list[PlannedSend] = []
    for position, step in enumerate(steps, start=1):
        if step.delay_days < 0:
            raise ValueError(f"step {position} has a negative delay")
        delay = timedelta(days=step.delay_days)
        if step.kind == StepKind.WAIT:
            day = previous_day + delay
            earliest = max(earliest, _utc(local_moment(day, _MIDNIGHT, zone)))
            due = None
        else:
            from_start = step.delay_from == DelayFrom.ENROLMENT
            day = (start_day if from_start else previous_day) + delay
            if step.send_time is not None:
                wanted = local_moment(day, step.send_time, zone)
            elif day == start_day:
                wanted = start
            else:
                wanted = local_moment(day, window.start, zone)
            due = next_window_slot(max(_utc(wanted), earliest).astimezone(zone), window)
            earliest = _utc(due)
            day = due.date()
        previous_day = day
        if skip_reason is None and timeline.ends_on is not None and day > timeline.ends_on:
            skip_reason = f"after the campaign's end date ({timeline.ends_on:%d %b %Y})"
        if skip_reason is not None:
            due = None
        plans.append(PlannedSend(position, StepKind(step.kind), day,
                                 None if due is None else due.astimezone(UTC), due,
                                 skip_reason))
    return plans


def zone_for_state(state: str | None, fallback: str) -> ZoneInfo:
    """The zone to time a person's emails in: their state's (see STATE_TIME_ZONES), or
    ``fallback`` (the agency's zone) when the state is missing or not a US one."""
    name = STATE_TIME_ZONES.get((state or "").strip().upper())
    return ZoneInfo(name or fallback)


def group_days(plans: Iterable[PlannedSend]) -> list[tuple[date, list[PlannedSend]]]:
    """The emails that will go out, by the recipient's local day, days in order and steps
    in their order within a day: what the simulator shows as "day by day"."""
    days: dict[date, list[PlannedSend]] = {}
    for plan in plans:
        if plan.kind == StepKind.EMAIL and plan.due_at is not None:
            days.setdefault(plan.local_day, []).append(plan)
    return sorted(days.items(), key=lambda item: item[0])


def busiest_days(plans_per_person: Iterable[list[PlannedSend]]) -> dict[date, int]:
    """Emails due on each UTC calendar day, in date order. Sending limits (SendGrid's
    daily quota, Gmail's bulk-sender threshold) count UTC days, not the recipients'."""
    counts = Counter(plan.due_at.astimezone(UTC).date()
                     for plans in plans_per_person for plan in plans
                     if plan.due_at is not None)
    return dict(sorted(counts.items()))


def _utc(moment: datetime) -> datetime:
    """``moment`` in UTC. Aware datetimes sharing a zone compare by wall clock, which is
    wrong across a clock change, so every comparison here is made in UTC."""
    return moment.astimezone(UTC)
