"""``orchid-desktop worker``: the sending engine without a window.

For an office server (or a workstation without a display) that should send the
agency's scheduled email around the clock. Several may run against one shared
PostgreSQL database: claims use ``SKIP LOCKED`` and leases, so no message goes out
twice. ``--once`` sends what is due now and exits (cron, a quick check).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from datetime import timedelta

from orchid_desktop.scheduler.jobs import (
    SendingScheduler,
    did_something,
    local_mode,
    make_dispatcher,
)
from orchid_desktop.services.dispatch import DispatchSettings

log = logging.getLogger(__name__)


def _settings(args: argparse.Namespace, context) -> DispatchSettings:
    timeout = float(context.settings.get("sending.request_timeout_seconds") or 20.0)
    return DispatchSettings(batch_size=max(1, args.batch_size),
                            concurrency=max(1, args.concurrency), request_timeout=timeout,
                            claim_lease=timedelta(seconds=max(1.0, args.claim_lease)))


def run_worker(args: argparse.Namespace, database: str | None) -> int:
    from orchid_desktop.app import open_context

    context = open_context(database)
    mode = "local mode: saving .eml files to " + str(context.paths.outbox_dir) \
        if local_mode(context) else "sending through SendGrid"
    print(f"Orchid Desktop worker on {context.target.describe()} ({mode}).", flush=True)
    try:
        if args.once:
            return _once(args, context)
        return _forever(args, context)
    finally:
        context.close()


def _say(kind: str, payload) -> None:
    """The worker's output on stdout: what staff must know, a line for each round that
    did something (not for the quiet ones every 30 s), the syncs' results. The log file
    has its own lines; the terminal shows log lines only for warnings and errors (so a
    failed job is said there, once, not here again)."""
    if kind in ("key refused", "campaign paused", "deferred due"):
        print(f"{kind}: {payload}", flush=True)
    elif kind == "dispatched" and did_something(payload):
        print(f"dispatch: {payload.summary()}", flush=True)
    elif kind in ("suppressions synced", "stats synced") and hasattr(payload, "summary"):
        print(payload.summary(), flush=True)


def _once(args: argparse.Namespace, context) -> int:
    """Tick until a tick finds nothing more to claim (a tick stops after ~25 s or when
    the rate limit is reached, so one may not be enough)."""
    dispatcher = make_dispatcher(context, notify=_say, settings=_settings(args, context))
    total = 0
    try:
        while True:
            report = dispatcher.tick()
            print(f"dispatch: {report.summary()}", flush=True)
            total += report.claimed
            if not report.claimed or report.paused or report.retry_later:
                break
    finally:
        dispatcher.close()
    return 0


def _forever(args: argparse.Namespace, context) -> int:
    stop = threading.Event()
    scheduler = SendingScheduler(context, on_event=_say, dispatch_seconds=args.interval,
                                 settings=_settings(args, context))
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    scheduler.start()
    print(f"Sending every {args.interval:g} s; Ctrl+C stops.", flush=True)
    try:
        stop.wait()
    finally:
        print("Stopping: finishing the requests in flight…", flush=True)
        scheduler.shutdown(wait=True)
    return 0
