"""The timing rules of drip campaigns (domain/drip_timing.py): windows, delays, wait
steps, recipients' time zones, daylight saving, campaign dates and resuming."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchid_desktop.domain.drip_timing import (
    PlannedSend,
    SendWindow,
    StepPlan,
    Timeline,
    busiest_days,
    group_days,
    local_moment,
    next_window_slot,
    plan_steps,
    zone_for_state,
)
from orchid_desktop.domain.us_states import STATE_TIME_ZONES, US_STATES
from orchid_desktop.domain.vocab import DelayFrom, StepKind

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")
WEEKDAYS = SendWindow.from_digits(time(9), time(17), "12345")
EVERY_DAY = SendWindow.from_digits(time(8), time(20), "1234567")
ALL_HOURS = SendWindow.from_digits(time(0), time(23, 59), "1234567")  # includes 01:00-03:00
PREV, ENROL = DelayFrom.PREVIOUS_STEP, DelayFrom.ENROLMENT
OPEN_ENDED = Timeline(starts_on=None, ends_on=None)


def email(delay: int = 0, frm: DelayFrom = PREV, at: time | None = None) -> StepPlan:
    return StepPlan(StepKind.EMAIL, delay, frm, at)


def wait(days: int, frm: DelayFrom = PREV) -> StepPlan:
    return StepPlan(StepKind.WAIT, days, frm, None)


def plan(steps, enrolled_at, *, zone=NY, window=WEEKDAYS, timeline=OPEN_ENDED,
         not_before=None):
    return plan_steps(steps, enrolled_at=enrolled_at, zone=zone, window=window,
                      timeline=timeline, not_before=not_before)


def at(zone, *parts) -> datetime:
    return datetime(*parts, tzinfo=zone)


def local_dues(plans: list[PlannedSend]) -> list[datetime | None]:
    return [p.local_due.replace(tzinfo=None) if p.local_due else None for p in plans]


# --- the window -------------------------------------------------------------------------

def test_window_from_digits():
    assert WEEKDAYS.weekdays == frozenset({1, 2, 3, 4, 5})
    assert SendWindow.from_digits(time(9), time(17), "67").weekdays == frozenset({6, 7})


@pytest.mark.parametrize("moment, expected", [
    (datetime(2025, 6, 4, 12, 34), datetime(2025, 6, 4, 12, 34)),  # Wednesday, open
    (datetime(2025, 6, 4, 7, 0), datetime(2025, 6, 4, 9, 0)),  # before hours: same day
    (datetime(2025, 6, 4, 17, 0), datetime(2025, 6, 5, 9, 0)),  # at the end: next day
    (datetime(2025, 6, 6, 18, 0), datetime(2025, 6, 9, 9, 0)),  # Friday evening: Monday
    (datetime(2025, 6, 7, 10, 0), datetime(2025, 6, 9, 9, 0)),  # Saturday: Monday
])
def test_next_window_slot(moment, expected):
    slot = next_window_slot(moment.replace(tzinfo=NY), WEEKDAYS)
    assert slot.replace(tzinfo=None) == expected and slot.tzinfo is NY


def test_a_window_without_weekdays_is_refused():
    with pytest.raises(ValueError):
        next_window_slot(at(NY, 2025, 6, 4, 12), SendWindow(time(9), time(17), frozenset()))


# --- time of day, delays and chaining ---------------------------------------------------

def test_send_time_or_window_start_and_day_zero_goes_at_once():
    wednesday_11 = at(NY, 2025, 6, 4, 11)
    plans = plan([email(0, ENROL), email(1, ENROL), email(2, ENROL, time(14, 30)),
                  email(0, PREV, time(20))], wednesday_11)
    assert local_dues(plans) == [datetime(2025, 6, 4, 11), datetime(2025, 6, 5, 9),
                                 datetime(2025, 6, 6, 14, 30),
                                 datetime(2025, 6, 9, 9)]  # 20:00 is after hours: Monday
    assert plans[0].due_at == datetime(2025, 6, 4, 15, tzinfo=UTC)
    assert plans[0].due_at.tzinfo is UTC and all(p.skipped_reason is None for p in plans)


def test_a_day_zero_send_time_never_goes_before_the_enrolment():
    wednesday_11 = at(NY, 2025, 6, 4, 11)
    assert local_dues(plan([email(0, ENROL, time(15))], wednesday_11)) == [
        datetime(2025, 6, 4, 15)]
    assert local_dues(plan([email(0, ENROL, time(10))], wednesday_11)) == [
        datetime(2025, 6, 4, 11)]


def test_previous_step_chains_off_the_moved_date_enrolment_does_not():
    friday_evening = at(NY, 2025, 6, 6, 18)
    chained = plan([email(0, ENROL), email(2, PREV), email(1, PREV)], friday_evening)
    assert local_dues(chained) == [datetime(2025, 6, 9, 9), datetime(2025, 6, 11, 9),
                                   datetime(2025, 6, 12, 9)]
    fixed = plan([email(0, ENROL), email(3, ENROL), email(4, ENROL)], friday_evening)
    assert local_dues(fixed) == [datetime(2025, 6, 9, 9), datetime(2025, 6, 9, 9),
                                 datetime(2025, 6, 10, 9)]


def test_steps_keep_their_order():
    """A step timed from the enrolment but earlier than the step before it waits for it."""
    plans = plan([email(5, ENROL), email(2, ENROL)], at(NY, 2025, 6, 2, 10), window=EVERY_DAY)
    assert local_dues(plans) == [datetime(2025, 6, 7, 8), datetime(2025, 6, 7, 8)]
    after_wait = plan([email(0, ENROL), wait(10), email(2, ENROL)], at(NY, 2025, 6, 2, 10),
                      window=EVERY_DAY)
    assert local_dues(after_wait)[2] == datetime(2025, 6, 12, 8)


def test_wait_steps_group_emails_into_days():
    monday = at(NY, 2025, 6, 2, 10)
    steps = [email(0, ENROL), email(0), wait(3), email(0), email(0), wait(4, ENROL), email(0)]
    plans = plan(steps, monday, window=EVERY_DAY)
    assert [(p.local_day - monday.date()).days for p in plans] == [0, 0, 3, 3, 3, 7, 7]
    assert [p.position for p in plans] == list(range(1, 8))
    waits = [p for p in plans if p.kind is StepKind.WAIT]
    assert all(p.due_at is None and p.local_due is None for p in waits)
    grouped = group_days(plans)
    assert [((day - monday.date()).days, [p.position for p in sends])
            for day, sends in grouped] == [(0, [1, 2]), (3, [4, 5]), (7, [7])]
    assert local_dues(plans)[3] == datetime(2025, 6, 5, 8)  # the window's opening


# --- time zones -------------------------------------------------------------------------

def test_every_state_has_a_zone():
    assert set(STATE_TIME_ZONES) == set(US_STATES)
    assert all(ZoneInfo(name) for name in STATE_TIME_ZONES.values())
    assert STATE_TIME_ZONES["TX"] == "America/Chicago"
    assert STATE_TIME_ZONES["FL"] == "America/New_York"
    assert STATE_TIME_ZONES["IN"] == "America/Indiana/Indianapolis"
    assert STATE_TIME_ZONES["AZ"] == "America/Phoenix"


def test_zone_for_state():
    assert zone_for_state("CA", "America/New_York") == LA
    assert zone_for_state(" ny ", "America/Los_Angeles") == NY
    assert zone_for_state(None, "America/Chicago") == ZoneInfo("America/Chicago")
    assert zone_for_state("ZZ", "America/Chicago") == ZoneInfo("America/Chicago")


def test_same_enrolment_different_states_different_utc():
    enrolled = datetime(2025, 6, 4, 15, tzinfo=UTC)
    steps = [email(1, ENROL)]
    california = plan(steps, enrolled, zone=zone_for_state("CA", "UTC"))[0]
    new_york = plan(steps, enrolled, zone=zone_for_state("NY", "UTC"))[0]
    assert california.local_due.replace(tzinfo=None) == datetime(2025, 6, 5, 9)
    assert new_york.local_due.replace(tzinfo=None) == datetime(2025, 6, 5, 9)
    assert california.due_at == datetime(2025, 6, 5, 16, tzinfo=UTC)
    assert new_york.due_at == datetime(2025, 6, 5, 13, tzinfo=UTC)


# --- daylight saving --------------------------------------------------------------------

@pytest.mark.parametrize("zone, friday, before_utc, after_utc", [
    (NY, date(2025, 3, 7), 14, 13),  # spring forward on Sunday 9 March
    (NY, date(2025, 10, 31), 13, 14),  # fall back on Sunday 2 November
    (LONDON, date(2025, 3, 28), 9, 8),  # BST from Sunday 30 March
    (LONDON, date(2025, 10, 24), 8, 9),  # GMT from Sunday 26 October
])
def test_nine_o_clock_stays_nine_across_a_clock_change(zone, friday, before_utc, after_utc):
    enrolled = datetime.combine(friday, time(12), tzinfo=zone)
    saturday, monday = plan([email(1, ENROL, time(9)), email(3, ENROL, time(9))], enrolled,
                            zone=zone, window=EVERY_DAY)
    assert saturday.local_due.time() == monday.local_due.time() == time(9)
    assert saturday.local_due.utcoffset() != monday.local_due.utcoffset()
    assert (saturday.due_at.hour, monday.due_at.hour) == (before_utc, after_utc)


@pytest.mark.parametrize("zone, day, wall, expected_utc", [
    (NY, date(2025, 3, 9), time(2, 30), datetime(2025, 3, 9, 7)),  # gap → 03:00 EDT
    (LONDON, date(2025, 3, 30), time(1, 30), datetime(2025, 3, 30, 1)),  # gap → 02:00 BST
    (NY, date(2025, 11, 2), time(1, 30), datetime(2025, 11, 2, 5, 30)),  # first 01:30 (EDT)
    (LONDON, date(2025, 10, 26), time(1, 30), datetime(2025, 10, 26, 0, 30)),  # 01:30 BST
])
def test_gap_and_overlap(zone, day, wall, expected_utc):
    enrolled = datetime.combine(day - timedelta(days=1), time(12), tzinfo=zone)
    sent = plan([email(1, ENROL, wall)], enrolled, zone=zone, window=ALL_HOURS)[0]
    assert sent.due_at == expected_utc.replace(tzinfo=UTC)
    assert sent.local_day == day


def test_local_moment_resolves_the_gap_to_its_end():
    moment = local_moment(date(2025, 3, 9), time(2, 30), NY)
    assert (moment.hour, moment.minute, moment.utcoffset()) == (3, 0, timedelta(hours=-4))
    lord_howe = local_moment(date(2025, 10, 5), time(2, 10), ZoneInfo("Australia/Lord_Howe"))
    assert (lord_howe.hour, lord_howe.minute) == (2, 30)  # a half-hour change
    assert local_moment(date(2025, 6, 4), time(9), NY) == at(NY, 2025, 6, 4, 9)


def test_window_opening_in_the_gap_or_swallowed_by_it():
    enrolled = at(NY, 2025, 3, 8, 12)
    opens_in_gap = SendWindow.from_digits(time(2, 30), time(6), "1234567")
    assert local_dues(plan([email(1, ENROL)], enrolled, window=opens_in_gap)) == [
        datetime(2025, 3, 9, 3)]
    inside_gap = SendWindow.from_digits(time(2), time(2, 45), "1234567")
    assert local_dues(plan([email(1, ENROL)], enrolled, window=inside_gap)) == [
        datetime(2025, 3, 10, 2)]


def test_window_opening_in_the_repeated_hour_after_its_first_run():
    second_0130 = datetime(2025, 11, 2, 6, 30, tzinfo=UTC).astimezone(NY)  # 01:30 EST
    window = SendWindow.from_digits(time(1, 45), time(5), "1234567")
    slot = next_window_slot(second_0130, window)
    assert slot.astimezone(UTC) == datetime(2025, 11, 2, 6, 45, tzinfo=UTC)  # 01:45 EST


# --- campaign dates and resuming --------------------------------------------------------

def test_starts_on_in_the_future():
    enrolled = at(NY, 2025, 6, 4, 11)
    timeline = Timeline(starts_on=date(2025, 6, 16), ends_on=None)
    plans = plan([email(0, ENROL), email(2), email(1, ENROL, time(14))], enrolled,
                 timeline=timeline)
    assert local_dues(plans) == [datetime(2025, 6, 16, 9), datetime(2025, 6, 18, 9),
                                 datetime(2025, 6, 18, 9)]  # day 1 at 14:00, kept in order
    past = Timeline(starts_on=date(2025, 6, 1), ends_on=None)
    assert local_dues(plan([email(0, ENROL)], enrolled, timeline=past)) == [
        datetime(2025, 6, 4, 11)]


def test_ends_on_skips_that_step_and_all_after_it():
    monday = at(NY, 2025, 6, 2, 10)
    timeline = Timeline(starts_on=None, ends_on=date(2025, 6, 10))
    plans = plan([email(0, ENROL), email(8, ENROL), email(9, ENROL), wait(1), email(0)],
                 monday, window=EVERY_DAY, timeline=timeline)
    assert [p.due_at is not None for p in plans] == [True, True, False, False, False]
    assert plans[2].local_day == date(2025, 6, 11) and plans[2].local_due is None
    reason = "after the campaign's end date (10 Jun 2025)"
    assert [p.skipped_reason for p in plans] == [None, None, reason, reason, reason]
    assert [day for day, _ in group_days(plans)] == [date(2025, 6, 2), date(2025, 6, 10)]


def test_ends_on_counts_the_date_the_window_moved_to():
    friday_end = Timeline(starts_on=None, ends_on=date(2025, 6, 6))
    plans = plan([email(3, ENROL, time(18))], at(NY, 2025, 6, 3, 10), timeline=friday_end)
    assert plans[0].local_day == date(2025, 6, 9) and plans[0].skipped_reason


def test_not_before_pushes_and_chains():
    monday = at(NY, 2025, 6, 2, 10)
    steps = [email(0, ENROL), email(2), email(2), email(10, ENROL)]
    assert local_dues(plan(steps, monday)) == [
        datetime(2025, 6, 2, 10), datetime(2025, 6, 4, 9), datetime(2025, 6, 6, 9),
        datetime(2025, 6, 12, 9)]
    resumed = plan(steps, monday, not_before=at(NY, 2025, 6, 5, 13, 15))
    assert local_dues(resumed) == [
        datetime(2025, 6, 5, 13, 15), datetime(2025, 6, 9, 9),  # Sat → Mon
        datetime(2025, 6, 11, 9), datetime(2025, 6, 12, 9)]  # not due yet: unmoved
    evening = plan(steps[:1], monday, not_before=at(NY, 2025, 6, 5, 20))
    assert local_dues(evening) == [datetime(2025, 6, 6, 9)]


# --- the egg donor sequence (shared/DOMAIN.md) ------------------------------------------

EGG_DONOR_DAYS = [0, 1, 3, 6, 10, 14, 21, 45]


def test_egg_donor_days_from_a_friday_evening():
    friday_evening = at(NY, 2025, 6, 6, 19, 30)
    plans = plan([email(d, ENROL) for d in EGG_DONOR_DAYS], friday_evening,
                 window=SendWindow.from_digits(time(8), time(21), "1234567"))
    assert [(p.local_day - friday_evening.date()).days for p in plans] == EGG_DONOR_DAYS
    assert local_dues(plans)[:2] == [datetime(2025, 6, 6, 19, 30), datetime(2025, 6, 7, 8)]


def test_egg_donor_days_on_weekdays_only():
    friday_evening = at(NY, 2025, 6, 6, 19, 30)
    fixed = plan([email(d, ENROL) for d in EGG_DONOR_DAYS], friday_evening)
    assert [p.local_day for p in fixed] == [
        date(2025, 6, 9), date(2025, 6, 9), date(2025, 6, 9), date(2025, 6, 12),
        date(2025, 6, 16), date(2025, 6, 20), date(2025, 6, 27), date(2025, 7, 21)]
    gaps = [b - a for a, b in zip([0, *EGG_DONOR_DAYS], EGG_DONOR_DAYS, strict=False)]
    chained = plan([email(gaps[0], ENROL), *(email(g) for g in gaps[1:])], friday_evening)
    assert [p.local_day for p in chained] == [
        date(2025, 6, 9), date(2025, 6, 10), date(2025, 6, 12), date(2025, 6, 16),
        date(2025, 6, 20), date(2025, 6, 24), date(2025, 7, 1), date(2025, 7, 25)]


# --- sending limits ---------------------------------------------------------------------

def test_busiest_days_count_utc_days():
    enrolled = datetime(2025, 6, 4, 15, tzinfo=UTC)
    steps = [email(0, ENROL), wait(1), email(0, PREV, time(19, 30))]
    late = SendWindow.from_digits(time(8), time(21), "1234567")
    west = plan(steps, enrolled, zone=LA, window=late)  # 19:30 PDT is 02:30 UTC next day
    east = plan(steps, enrolled, zone=NY, window=late)  # 19:30 EDT is 23:30 UTC
    ended = plan(steps, enrolled, zone=NY, window=late,
                 timeline=Timeline(starts_on=None, ends_on=date(2025, 6, 4)))
    assert busiest_days([west, east, ended]) == {
        date(2025, 6, 4): 3, date(2025, 6, 5): 1, date(2025, 6, 6): 1}


# --- properties -------------------------------------------------------------------------

ZONES = [NY, LA, LONDON, ZoneInfo("America/Phoenix"), ZoneInfo("Pacific/Honolulu"),
         ZoneInfo("Australia/Lord_Howe"), ZoneInfo("America/Chicago")]
# wall times around the night-time clock changes turn up far more often than by chance
times = st.one_of(
    st.sampled_from([time(0), time(1), time(1, 30), time(2), time(2, 30), time(3)]),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)))
steps_strategy = st.lists(st.builds(
    StepPlan, st.sampled_from(StepKind), st.integers(0, 40), st.sampled_from(DelayFrom),
    st.none() | times), max_size=8)
windows = st.builds(lambda a, b, days: SendWindow(min(a, b), max(a, b), frozenset(days)),
                    times, times, st.sets(st.integers(1, 7), min_size=1)).filter(
    lambda w: w.start < w.end)
CLOCK_CHANGES = [datetime(2025, 3, 9, 7, tzinfo=UTC), datetime(2025, 11, 2, 6, tzinfo=UTC),
                 datetime(2025, 3, 30, 1, tzinfo=UTC), datetime(2025, 10, 26, 1, tzinfo=UTC),
                 datetime(2025, 10, 4, 15, 30, tzinfo=UTC)]  # Lord Howe
moments = st.one_of(
    st.datetimes(datetime(2024, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)),
    st.builds(lambda change, hours: change + timedelta(hours=hours),
              st.sampled_from(CLOCK_CHANGES), st.integers(-80, 30)))


@settings(max_examples=400, deadline=None)
@given(steps=steps_strategy, enrolled=moments, zone=st.sampled_from(ZONES), window=windows,
       starts_on=st.none() | st.dates(date(2024, 1, 1), date(2027, 1, 1)),
       ends_on=st.none() | st.dates(date(2024, 1, 1), date(2027, 6, 1)),
       resume_after=st.none() | st.timedeltas(timedelta(0), timedelta(days=60)))
def test_every_send_is_in_the_window_and_in_order(steps, enrolled, zone, window,
                                                   starts_on, ends_on, resume_after):
    not_before = None if resume_after is None else enrolled + resume_after
    plans = plan(steps, enrolled, zone=zone, window=window,
                 timeline=Timeline(starts_on, ends_on), not_before=not_before)
    assert [p.position for p in plans] == list(range(1, len(steps) + 1))
    previous = enrolled
    for step, sent in zip(steps, plans, strict=True):
        assert sent.kind == step.kind
        if sent.due_at is None:
            assert sent.kind is StepKind.WAIT or sent.skipped_reason
            continue
        local = sent.due_at.astimezone(zone)
        assert window.allows(local), (local, window)
        # (in UTC: an aware time in a repeated hour never equals one in another zone)
        assert sent.local_due.astimezone(UTC) == sent.due_at and sent.local_due.tzinfo is zone
        assert sent.local_day == local.date()
        assert sent.due_at >= previous and sent.due_at >= enrolled
        assert not_before is None or sent.due_at >= not_before
        assert ends_on is None or sent.local_day <= ends_on
        previous = sent.due_at
    days = [p.local_day for p in plans]
    assert days == sorted(days)
    skipped = [p.skipped_reason is not None for p in plans]
    assert skipped == sorted(skipped)  # once one is skipped, every later one is
