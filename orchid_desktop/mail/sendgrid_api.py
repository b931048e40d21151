"""Reading from SendGrid: its suppression lists and per-category engagement figures.

A desktop app cannot receive SendGrid's webhooks, so the app asks instead: the
suppression lists (who unsubscribed, bounced, reported spam…) and the daily figures of
each category our messages carry. Everything goes through the official ``sendgrid``
client with a timeout (it waits forever otherwise), and every failure becomes a
``SendGridApiError`` whose message a person can act on — never a traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from python_http_client import exceptions as http_errors

from orchid_desktop.errors import UserError

from . import sendgrid_check

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 30
PAGE_SIZE = 500  # SendGrid's largest page for the suppression lists
MAX_CATEGORIES = 10  # per /v3/categories/stats request

# kind → (path under /v3, what a person calls it)
GLOBAL_LISTS = {
    "unsubscribes": ("suppression/unsubscribes", "global unsubscribes"),
    "bounces": ("suppression/bounces", "bounces"),
    "blocks": ("suppression/blocks", "blocks"),
    "spam_reports": ("suppression/spam_reports", "spam reports"),
    "invalid_emails": ("suppression/invalid_emails", "invalid emails"),
}
GROUP_UNSUBSCRIBES = "group_unsubscribes"
SUPPRESSION_KINDS = ("unsubscribes", GROUP_UNSUBSCRIBES, "bounces", "blocks", "spam_reports",
                     "invalid_emails")
KIND_WORDS = {**{kind: words for kind, (_, words) in GLOBAL_LISTS.items()},
              GROUP_UNSUBSCRIBES: "group unsubscribes"}

METRICS = ("delivered", "opens", "unique_opens", "clicks", "unique_clicks", "bounces",
           "spam_reports", "unsubscribes")


class SendGridApiError(UserError):
    """SendGrid could not be read; ``str(error)`` says why in plain words."""

    status: int | None = None


class KeyRefused(SendGridApiError):
    """401/403: the key is wrong, revoked, or lacks the read permission."""


class TryLater(SendGridApiError):
    """429, 5xx, a timeout or no connection: nothing is wrong here; ask again later."""

    retry_after: float | None = None


@dataclass(frozen=True)
class SuppressionEntry:
    email: str
    created: int | None  # unix seconds; None where SendGrid does not say (one group's list)
    detail: str = ""  # a bounce's or block's reason, as SendGrid gives it


@dataclass(frozen=True)
class SuppressionPage:
    kind: str
    offset: int
    next_offset: int
    entries: list[SuppressionEntry]


@dataclass(frozen=True)
class CategoryDay:
    category: str
    day: date
    metrics: dict[str, int]


class SendGridApi:
    """Read-only calls the suppression and stats syncs need."""

    def __init__(self, api_key: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS,
                 page_size: int = PAGE_SIZE):
        if not api_key or not api_key.strip():
            raise KeyRefused("No SendGrid API key is set: add it in Settings.")
        self._client = sendgrid_check.client(api_key.strip(), timeout).client
        self.page_size = page_size

    # -- suppressions -------------------------------------------------------------------
    def suppression_pages(self, kind: str, *, start_time: int | None = None, offset: int = 0,
                          group_id: int | None = None) -> Iterator[SuppressionPage]:
        """Each page of one list, oldest request first; stops after a short page.

        ``start_time`` (unix seconds) asks only for entries created since then. The
        unsubscribe groups have no paging in SendGrid's API: they come as one page."""
        if kind == GROUP_UNSUBSCRIBES:
            yield self._group_unsubscribes(start_time, group_id)
            return
        path, words = GLOBAL_LISTS[kind]
        while True:
            params = {"limit": self.page_size, "offset": offset}
            if start_time is not None:
                params["start_time"] = int(start_time)
            rows = self._get(path, params, words)
            if not isinstance(rows, list):
                raise SendGridApiError(f"SendGrid's answer for {words} was not a list; "
                                       "try again later.")
            entries = [_entry(row) for row in rows if isinstance(row, dict) and row.get("email")]
            yield SuppressionPage(kind, offset, offset + len(rows), entries)
            if len(rows) < self.page_size:
                return
            offset += len(rows)

    def _group_unsubscribes(self, start_time: int | None,
                            group_id: int | None) -> SuppressionPage:
        if group_id is not None:  # the one group our mail uses: a plain list of addresses
            rows = self._get(f"asm/groups/{int(group_id)}/suppressions", None,
                             "group unsubscribes")
            entries = [SuppressionEntry(str(email), None) for email in rows or []
                       if isinstance(email, str) and email]
        else:  # every group's, with when each was added
            rows = self._get("asm/suppressions", None, "group unsubscribes")
            entries = [SuppressionEntry(str(row["email"]), _int(row.get("created_at")),
                                        str(row.get("group_name") or ""))
                       for row in rows or [] if isinstance(row, dict) and row.get("email")]
            if start_time is not None:
                entries = [e for e in entries if e.created is None or e.created >= start_time]
        return SuppressionPage(GROUP_UNSUBSCRIBES, 0, len(entries), entries)

    # -- stats --------------------------------------------------------------------------
    def category_stats(self, categories: Sequence[str], start: date,
                       end: date) -> list[CategoryDay]:
        """Daily figures of each category from ``start`` to ``end`` (inclusive), asked
        ten categories at a time. A category SendGrid has never seen has no figures: it
        is left out rather than failing the others."""
        found: list[CategoryDay] = []
        wanted = sorted(set(categories))
        for first in range(0, len(wanted), MAX_CATEGORIES):
            batch = wanted[first:first + MAX_CATEGORIES]
            try:
                found += self._stats(batch, start, end)
            except _UnknownCategory:
                if len(batch) == 1:
                    log.info("SendGrid has no figures for category %s", batch[0])
                    continue
                for category in batch:  # find the one(s) SendGrid does not know
                    try:
                        found += self._stats([category], start, end)
                    except _UnknownCategory:
                        log.info("SendGrid has no figures for category %s", category)
        return found

    def _stats(self, categories: list[str], start: date, end: date) -> list[CategoryDay]:
        params = {"start_date": start.isoformat(), "end_date": end.isoformat(),
                  "aggregated_by": "day", "categories": categories}
        days = self._get("categories/stats", params, "category statistics",
                         not_found=_UnknownCategory)
        result = []
        for day in days or []:
            when = date.fromisoformat(day["date"])
            for stat in day.get("stats") or []:
                metrics = stat.get("metrics") or {}
                result.append(CategoryDay(str(stat.get("name")), when,
                                          {m: _int(metrics.get(m)) or 0 for m in METRICS}))
        return result

    # -- one request --------------------------------------------------------------------
    def _get(self, path: str, params: dict | None, words: str, *, not_found=None):
        endpoint = self._client
        for part in path.split("/"):
            endpoint = endpoint._(part)
        try:
            response = endpoint.get(query_params=params) if params else endpoint.get()
        except (http_errors.UnauthorizedError, http_errors.ForbiddenError) as exc:
            refused = KeyRefused(
                "SendGrid refused the API key" + (
                    f" while reading {words}: check in Settings that the key was copied "
                    "whole and has not been deleted." if exc.status_code == 401 else
                    f": it may not read {words}. Give it read access to Suppressions and "
                    "Stats in SendGrid (Settings → API Keys)."))
            refused.status = exc.status_code
            raise refused from None
        except http_errors.HTTPError as exc:
            if exc.status_code == 404 and not_found is not None:
                raise not_found() from None
            if exc.status_code == 429 or exc.status_code >= 500:
                busy = TryLater(f"SendGrid is busy ({exc.status_code}) and could not give "
                                f"the {words} now; the app tries again later.")
                busy.retry_after = _retry_after(exc.headers)
                error: SendGridApiError = busy
            else:
                error = SendGridApiError(f"SendGrid answered with an error ({exc.status_code}) "
                                         f"when asked for {words}: {_message(exc.body)}")
            error.status = exc.status_code
            raise error from None
        except (OSError, TimeoutError) as exc:  # URLError, socket timeouts, refused
            raise TryLater(f"Could not reach SendGrid for the {words} "
                           f"({exc.__class__.__name__}): check the internet connection; "
                           "the app tries again later.") from None
        try:
            return json.loads(response.body or b"null")
        except ValueError:
            raise TryLater(f"SendGrid's answer for the {words} could not be read; the app "
                           "tries again later.") from None


class _UnknownCategory(Exception):
    pass


def _entry(row: dict) -> SuppressionEntry:
    detail = row.get("reason") or row.get("status") or ""
    return SuppressionEntry(str(row["email"]), _int(row.get("created")), str(detail)[:500])


def _int(value) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _retry_after(headers) -> float | None:
    value = (headers or {}).get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _message(body) -> str:
    try:
        errors = json.loads(body or b"{}").get("errors") or []
        return "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict)) \
            or "no reason given"
    except (ValueError, AttributeError):
        return "no reason given"
