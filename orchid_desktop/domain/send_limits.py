"""How fast and how much the sending engine may send: a new sender's warm-up ramp, how
long to wait after SendGrid says "not now", and the agency-wide rate limit.

Pure rules: times and dates come in as arguments.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

# A new sender starts at this many a day and doubles each day until its own limit:
# mailbox providers distrust a new address that sends thousands on its first day.
WARMUP_FIRST_DAY = 50
WARMUP_DAYS_CAP = 30  # past this, a ramp date left in place no longer limits anything

# 429 / 5xx / unreachable: wait, then try again; longer each time, never over an hour.
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
# after this many "not now" answers for one message, it fails with the last reason
MAX_ATTEMPTS = 12


def daily_allowance(daily_limit: int, warmup_started_on: date | None, today: date) -> int:
    """How many emails a sender may send today: its limit, or less while warming up
    (50 on its first day, 100 on the second, 200 on the third…)."""
    if warmup_started_on is None or today < warmup_started_on:
        return daily_limit
    day = (today - warmup_started_on).days
    if day >= WARMUP_DAYS_CAP:
        return daily_limit
    return min(daily_limit, WARMUP_FIRST_DAY << day)


def backoff(attempts: int, now: datetime, headers: Mapping[str, str] | None = None) -> datetime:
    """When to try again after the ``attempts``-th "not now": SendGrid's own word when it
    gives one (``Retry-After`` in seconds or as a date, or ``X-RateLimit-Reset`` as a
    Unix time), else 30 s doubling per attempt; never more than an hour away."""
    told = _told_when(headers or {}, now)
    if told is not None:
        return min(max(told, now), now + BACKOFF_MAX)
    step = BACKOFF_FIRST * (2 ** max(0, min(attempts - 1, 10)))
    return now + min(step, BACKOFF_MAX)


def _told_when(headers: Mapping[str, str], now: datetime) -> datetime | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    retry_after = (lowered.get("retry-after") or "").strip()
    if retry_after:
        if retry_after.isdigit():
            return now + timedelta(seconds=int(retry_after))
        try:
            when = parsedate_to_datetime(retry_after)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return when if when.tzinfo else when.replace(tzinfo=UTC)
    reset = (lowered.get("x-ratelimit-reset") or "").strip()
    if reset.isdigit():
        return datetime.fromtimestamp(int(reset), UTC)
    return None


class RateLimiter:
    """At most ``per_minute`` emails a minute from this process (a token bucket holding
    up to one minute's worth). ``take(n)`` grants what may go now, possibly fewer than
    asked; ``give_back`` returns what a claim did not use."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self.per_minute = max(1, int(per_minute))
        self._tokens = float(self.per_minute)
        self._at = clock()

    def set_rate(self, per_minute: int) -> None:
        with self._lock:
            self._refill()
            new = max(1, int(per_minute))
            # a changed rate moves the bucket by the difference: raising the limit
            # frees that much at once, lowering it takes as much away
            self._tokens = min(float(new), max(0.0, self._tokens + new - self.per_minute))
            self.per_minute = new

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(float(self.per_minute),
                           self._tokens + (now - self._at) * self.per_minute / 60.0)
        self._at = now

    def take(self, wanted: int) -> int:
        with self._lock:
            self._refill()
            granted = max(0, min(wanted, int(self._tokens)))
            self._tokens -= granted
            return granted

    def give_back(self, unused: int) -> None:
        with self._lock:
            self._tokens = min(float(self.per_minute), self._tokens + max(0, unused))

    def seconds_until(self, wanted: int) -> float:
        with self._lock:
            self._refill()
            missing = min(wanted, self.per_minute) - self._tokens
            return max(0.0, missing * 60.0 / self.per_minute)
