"""The sending engine's pure rules: warm-up ramp, backoff, rate limit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from orchid_desktop.domain.send_limits import (
    BACKOFF_MAX,
    RateLimiter,
    backoff,
    daily_allowance,
)

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def test_warm_up_doubles_from_50_to_the_limit():
    start = date(2026, 12, 1)
    days = [daily_allowance(2000, start, start + timedelta(days=n)) for n in range(8)]
    assert days == [50, 100, 200, 400, 800, 1600, 2000, 2000]
    assert daily_allowance(2000, None, start) == 2000
    assert daily_allowance(30, start, start) == 30  # a limit under the ramp wins


def test_backoff_honours_retry_after_and_rate_limit_reset_and_is_capped():
    assert backoff(1, NOW, {"Retry-After": "90"}) == NOW + timedelta(seconds=90)
    assert backoff(1, NOW, {"retry-after": "Tue, 01 Dec 2026 18:05:00 GMT"}) == \
        NOW + timedelta(minutes=5)
    reset = int((NOW + timedelta(seconds=40)).timestamp())
    assert backoff(1, NOW, {"X-RateLimit-Reset": str(reset)}) == NOW + timedelta(seconds=40)
    assert backoff(1, NOW, {"Retry-After": "999999"}) == NOW + BACKOFF_MAX
    assert [backoff(n, NOW) - NOW for n in (1, 2, 3)] == [
        timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert backoff(40, NOW) == NOW + BACKOFF_MAX


def test_rate_limiter_grants_a_minutes_worth_then_refills():
    clock = [0.0]
    limiter = RateLimiter(60, clock=lambda: clock[0])
    assert limiter.take(100) == 60 and limiter.take(1) == 0
    clock[0] += 10
    assert limiter.take(100) == 10
    limiter.give_back(5)
    assert limiter.take(100) == 5
    limiter.set_rate(600)  # raising the limit frees the difference at once
    assert limiter.take(1000) == 540
