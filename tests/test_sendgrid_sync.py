"""Suppression and engagement-stats sync: the real ``sendgrid`` client against the local
fake SendGrid, on a real database; and the stats dialog that shows the figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, update

from orchid_desktop.db.models import (
    AgencySettings,
    AppState,
    CategoryStat,
    DripStep,
    Enrolment,
    OutboxMessage,
    Suppression,
)
from orchid_desktop.domain.vocab import (
    EmailKind,
    EnrolmentStatus,
    OutboxOrigin,
    OutboxStatus,
    SuppressionReason,
)
from orchid_desktop.mail.sendgrid_api import (
    METRICS,
    CategoryDay,
    KeyRefused,
    SendGridApi,
    SendGridApiError,
    TryLater,
)
from orchid_desktop.services import (
    campaign_queue,
    campaign_stats,
    drip_lifecycle,
    enrolment,
    sendgrid_sync,
)
from tests.fakes.sendgrid_server import FakeSendGrid, Fault

from .campaign_helpers import TUESDAY_10AM_PACIFIC, make_drip, ready_to_send
from .people_helpers import add_contact

NOW = TUESDAY_10AM_PACIFIC
T0 = int(datetime(2026, 11, 20, tzinfo=UTC).timestamp())
KEY = "SG.test-key"


@pytest.fixture
def fake(monkeypatch):
    with FakeSendGrid() as server:
        monkeypatch.setenv("ORCHID_SENDGRID_HOST", server.host)
        yield server


def api(page_size: int = 500, key: str = KEY) -> SendGridApi:
    return SendGridApi(key, timeout=5, page_size=page_size)


def gets(fake, prefix: str) -> list[dict[str, list[str]]]:
    """The query of each GET the fake received under ``prefix``."""
    return [parse_qs(urlsplit(path).query) for method, path in fake.requests
            if method == "GET" and urlsplit(path).path.startswith(prefix)]


def running_drip(context, emails: list[str]) -> tuple[int, list[int]]:
    """A launched two-step drip with these people on it and its first emails queued."""
    sender = ready_to_send(context)
    campaign = make_drip(context, sender_id=sender)
    people = [add_contact(context, f"P{i}", "X", email=email) for i, email in enumerate(emails)]
    with context.sessions.begin() as session:
        enrolment.enrol(session, campaign, contact_ids=people, staff_id=None, now=NOW)
        drip_lifecycle.launch(session, campaign, staff_id=None, now=NOW)
    with context.sessions.begin() as session:
        assert campaign_queue.queue_due(session, now=NOW).drip_messages == len(emails)
    return campaign, people


def suppressions(context) -> set[tuple[str, SuppressionReason]]:
    with context.sessions() as session:
        return set(session.execute(select(Suppression.email_normalized, Suppression.reason)))


# -- suppressions ---------------------------------------------------------------------
def test_every_list_is_read_page_by_page_and_mapped_to_its_reason(context, fake):
    fake.suppressions = {
        "bounces": [{"email": f"Bounce{i}@Example.com ", "created": T0 + i,
                     "reason": "550 5.1.1 mailbox does not exist", "status": "5.1.1"}
                    for i in range(7)],
        "blocks": [{"email": "blocked@example.com", "created": T0, "reason": "IP blocked"}],
        "spam_reports": [{"email": "spam@example.com", "created": T0, "ip": "10.0.0.1"}],
        "invalid_emails": [{"email": "not-an..address@example.com", "created": T0,
                            "reason": "Mail domain mentioned in email address is unknown"}],
        "unsubscribes": [{"email": "gone@example.com", "created": T0}],
        "group_unsubscribes": [{"email": "group@example.com", "group_id": 42,
                                "group_name": "Recruitment", "created_at": T0}],
    }
    report = sendgrid_sync.sync_suppressions(context.sessions, api(page_size=3), now=NOW)
    assert report.pulled == {"unsubscribes": 1, "group_unsubscribes": 1, "bounces": 7,
                             "blocks": 1, "spam_reports": 1, "invalid_emails": 1}
    assert report.added == report.pulled
    # 7 bounces in pages of 3: 3 + 3 + 1 (a short page ends the list)
    assert [q["offset"] for q in gets(fake, "/v3/suppression/bounces")] == \
        [["0"], ["3"], ["6"]]
    assert all(q["limit"] == ["3"] for q in gets(fake, "/v3/suppression/bounces"))
    assert suppressions(context) == {
        *((f"bounce{i}@example.com", SuppressionReason.BOUNCE) for i in range(7)),
        ("blocked@example.com", SuppressionReason.BLOCK),
        ("spam@example.com", SuppressionReason.SPAM_REPORT),
        ("not-an..address@example.com", SuppressionReason.INVALID),
        ("gone@example.com", SuppressionReason.UNSUBSCRIBE),
        ("group@example.com", SuppressionReason.GROUP_UNSUBSCRIBE)}
    with context.sessions() as session:
        assert set(session.scalars(select(Suppression.source))) == {"sendgrid"}
        synced_at, _ = sendgrid_sync.last_synced(session)
    assert synced_at == NOW
    assert "7 bounces" in report.summary()


def test_synced_suppressions_stop_drips_and_withhold_queued_mail(context, fake):
    _, people = running_drip(context, ["ana@example.com", "bea@example.com",
                                       "cy@example.com"])
    fake.suppressions = {
        "bounces": [{"email": "ANA@example.com", "created": T0, "reason": "550"}],
        "spam_reports": [{"email": "bea@example.com", "created": T0}]}
    report = sendgrid_sync.sync_suppressions(context.sessions, api(), now=NOW)
    assert (report.people_stopped, report.enrolments_stopped, report.messages_withheld) == \
        (2, 2, 2)
    with context.sessions() as session:
        status = dict(session.execute(select(Enrolment.contact_id, Enrolment.status)).all())
        mail = dict(session.execute(select(OutboxMessage.to_email_normalized,
                                           OutboxMessage.status)).all())
        reasons = dict(session.execute(select(OutboxMessage.to_email_normalized,
                                              OutboxMessage.status_reason)).all())
    assert [status[p] for p in people] == [EnrolmentStatus.STOPPED, EnrolmentStatus.STOPPED,
                                           EnrolmentStatus.ACTIVE]
    withheld = (OutboxStatus.CANCELLED, OutboxStatus.SUPPRESSED)
    assert mail["ana@example.com"] in withheld and mail["bea@example.com"] in withheld
    assert mail["cy@example.com"] is OutboxStatus.QUEUED
    assert "bounced" in reasons["ana@example.com"]
    assert "spam" in reasons["bea@example.com"]
    assert "2 people taken out of drips, 2 queued emails withheld." in report.summary()
    # the same lists again: nothing new, nothing stopped twice
    again = sendgrid_sync.sync_suppressions(context.sessions, api(), now=NOW)
    assert sum(again.added.values()) == 0 and again.enrolments_stopped == 0


def test_the_next_sync_asks_only_since_the_newest_entry_seen(context, fake):
    fake.suppressions = {"bounces": [{"email": "old@example.com", "created": T0},
                                     {"email": "older@example.com", "created": T0 - 86400}]}
    sendgrid_sync.sync_suppressions(context.sessions, api(), now=NOW)
    first = gets(fake, "/v3/suppression/bounces")
    assert "start_time" not in first[0]  # the first sync reads everything
    fake.requests.clear()
    fake.suppressions["bounces"].append({"email": "new@example.com", "created": T0 + 86400})
    report = sendgrid_sync.sync_suppressions(context.sessions, api(), now=NOW)
    since = gets(fake, "/v3/suppression/bounces")[0]["start_time"]
    assert since == [str(T0 - sendgrid_sync.OVERLAP_SECONDS)]  # newest seen, less an overlap
    assert report.pulled["bounces"] == 2  # the overlap re-reads "old", harmlessly
    assert report.added["bounces"] == 1
    with context.sessions() as session:
        kinds = session.get(AppState, sendgrid_sync.SYNC_KEY).value["kinds"]
    assert kinds["bounces"]["cursor"] == T0 + 86400
    assert "resume" not in kinds["bounces"]


def test_an_interrupted_first_sync_keeps_its_pages_and_resumes(context, fake):
    fake.suppressions = {"bounces": [{"email": f"b{i}@example.com", "created": T0 + i}
                                     for i in range(5)]}
    sendgrid_api = api(page_size=2)
    pages = sendgrid_api.suppression_pages
    calls = []

    def failing_on_the_second_page(kind, **kw):
        for page in pages(kind, **kw):
            calls.append((kind, page.offset))
            yield page
            if kind == "bounces" and page.offset == 0 and len(calls) < 10:
                fake.faults.append(Fault(503))

    sendgrid_api.suppression_pages = failing_on_the_second_page
    with pytest.raises(TryLater, match="tries again later"):
        sendgrid_sync.sync_suppressions(context.sessions, sendgrid_api, now=NOW)
    assert len(suppressions(context)) == 2  # the first page stayed
    fake.requests.clear()
    report = sendgrid_sync.sync_suppressions(context.sessions, api(page_size=2), now=NOW)
    assert [q["offset"] for q in gets(fake, "/v3/suppression/bounces")] == [["2"], ["4"]]
    assert report.added["bounces"] == 3
    assert len(suppressions(context)) == 5


def test_a_configured_unsubscribe_group_is_read_by_its_own_list(context, fake):
    with context.sessions.begin() as session:
        session.execute(update(AgencySettings).values(sendgrid_asm_group_id=42))
    fake.suppressions = {"group_unsubscribes": [
        {"email": "ours@example.com", "group_id": 42, "created_at": T0},
        {"email": "other@example.com", "group_id": 7, "created_at": T0}]}
    report = sendgrid_sync.sync_suppressions(context.sessions, api(), now=NOW)
    assert ("GET", "/v3/asm/groups/42/suppressions") in fake.requests
    assert report.added["group_unsubscribes"] == 1
    assert suppressions(context) == {("ours@example.com", SuppressionReason.GROUP_UNSUBSCRIBE)}


@pytest.mark.parametrize("status, error, words", [
    (401, KeyRefused, "refused the API key"),
    (403, KeyRefused, "may not read"),
    (429, TryLater, "tries again later"),
    (503, TryLater, "tries again later"),
])
def test_errors_are_said_plainly_and_change_nothing(context, fake, status, error, words):
    fake.suppressions = {"bounces": [{"email": "b@example.com", "created": T0}]}
    fake.faults = [Fault(status)]  # the very first request
    with pytest.raises(error) as raised:
        sendgrid_sync.sync_suppressions(context.sessions, api(), now=NOW)
    assert words in str(raised.value) and "Traceback" not in str(raised.value)
    assert isinstance(raised.value, SendGridApiError)
    assert suppressions(context) == set()
    with context.sessions() as session:
        assert session.get(AppState, sendgrid_sync.SYNC_KEY) is None


def test_a_wrong_key_is_refused(context, fake):
    with pytest.raises(KeyRefused, match="copied whole"):
        sendgrid_sync.sync_suppressions(context.sessions, api(key="SG.wrong"), now=NOW)
    with pytest.raises(KeyRefused, match="No SendGrid API key"):
        SendGridApi("  ")


def test_an_unreachable_sendgrid_is_try_later(context, monkeypatch):
    monkeypatch.setenv("ORCHID_SENDGRID_HOST", "http://127.0.0.1:9")  # nothing listens
    with pytest.raises(TryLater, match="Could not reach SendGrid"):
        sendgrid_sync.sync_suppressions(context.sessions, api(), now=NOW)


@pytest.mark.postgres
def test_suppression_sync_on_postgresql(pg_context, fake):
    context = pg_context
    _, people = running_drip(context, ["ana@example.com", "bea@example.com"])
    fake.suppressions = {"unsubscribes": [{"email": f"u{i}@example.com", "created": T0 + i}
                                          for i in range(5)] +
                         [{"email": "Ana@Example.com", "created": T0 + 10}]}
    report = sendgrid_sync.sync_suppressions(context.sessions, api(page_size=4), now=NOW)
    assert report.added["unsubscribes"] == 6 and report.enrolments_stopped == 1
    again = sendgrid_sync.sync_suppressions(context.sessions, api(page_size=4), now=NOW)
    assert sum(again.added.values()) == 0
    with context.sessions() as session:
        assert session.scalar(select(Enrolment.status).where(
            Enrolment.contact_id == people[0])) is EnrolmentStatus.STOPPED
        cursor = session.get(AppState, sendgrid_sync.SYNC_KEY).value["kinds"]["unsubscribes"]
    assert cursor["cursor"] == T0 + 10


# -- stats ----------------------------------------------------------------------------
TODAY = date(2026, 12, 10)


def sent_categories(context, categories: list[str], *, on: date = TODAY) -> None:
    """Sent outbox rows, one per category (what the sending engine leaves behind)."""
    when = datetime.combine(on, datetime.min.time(), UTC)
    with context.sessions.begin() as session:
        for category in categories:
            address = f"{category}@example.com"
            session.add(OutboxMessage(
                origin=OutboxOrigin.SINGLE, kind=EmailKind.MARKETING, to_email=address,
                to_email_normalized=address, category=category, status=OutboxStatus.SENT,
                due_at=when, finished_at=when))


def figures(delivered: int) -> dict[str, int]:
    return {"delivered": delivered, "opens": delivered // 2 + 3, "unique_opens": delivered // 2,
            "clicks": delivered // 10 + 1, "unique_clicks": delivered // 10, "bounces": 1,
            "spam_reports": 0, "unsubscribes": 1, "processed": delivered + 1}


def test_stats_are_fetched_ten_categories_at_a_time_and_upserted(context, fake):
    names = [f"mass-email-{i}" for i in range(12)]
    sent_categories(context, names)
    sent_categories(context, ["mass-email-99"], on=TODAY - timedelta(days=60))  # too old
    fake.stats = {name: {"2026-12-09": figures(100 + i), "2026-12-10": figures(10)}
                  for i, name in enumerate(names)}
    report = sendgrid_sync.sync_stats(context.sessions, api(), today=TODAY, days=30)
    requests = gets(fake, "/v3/categories/stats")
    assert [len(q["categories"]) for q in requests] == [10, 2]
    assert requests[0]["start_date"] == ["2026-11-10"] and requests[0]["end_date"] == \
        ["2026-12-10"] and requests[0]["aggregated_by"] == ["day"]
    assert (report.categories, report.rows) == (12, 12 * 31)
    with context.sessions() as session:
        row = session.get(CategoryStat, ("mass-email-3", date(2026, 12, 9)))
        assert {m: getattr(row, m) for m in METRICS} == {m: figures(103)[m] for m in METRICS}
        count = session.scalar(select(func.count()).select_from(CategoryStat))
    # again, with a day's opens grown: same rows, new figures
    fake.stats["mass-email-3"]["2026-12-09"] = figures(200)
    sendgrid_sync.sync_stats(context.sessions, api(), today=TODAY, days=30)
    with context.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CategoryStat)) == count
        assert session.get(CategoryStat, ("mass-email-3", date(2026, 12, 9))).delivered == 200
        _, stats_at = sendgrid_sync.last_synced(session)
    assert stats_at is not None


def test_a_category_sendgrid_does_not_know_is_left_out(context, fake):
    sent_categories(context, ["mass-email-1", "mass-email-2"])
    fake.stats = {"mass-email-1": {"2026-12-10": figures(50)}}
    report = sendgrid_sync.sync_stats(context.sessions, api(), today=TODAY, days=3)
    assert report.rows == 4  # four days of mass-email-1
    with context.sessions() as session:
        assert set(session.scalars(select(CategoryStat.category))) == {"mass-email-1"}


def test_a_campaigns_figures_are_its_steps_summed(context, fake):
    campaign, _ = running_drip(context, ["ana@example.com", "bea@example.com"])
    with context.sessions.begin() as session:
        session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT,
                                                     finished_at=NOW))
        steps = session.scalars(select(DripStep.id).where(DripStep.campaign_id == campaign)
                                .order_by(DripStep.position)).all()
    first, second = (campaign_queue.step_category(campaign, s) for s in steps)
    fake.stats = {first: {"2026-12-01": figures(2)},
                  second: {"2026-12-03": figures(10)}}
    sendgrid_sync.sync_stats(context.sessions, api(), today=date(2026, 12, 3), days=30)
    assert gets(fake, "/v3/categories/stats")[0]["categories"] == [first]
    with context.sessions.begin() as session:  # the second step's figures, pulled later
        sendgrid_sync.upsert_stats(session, [CategoryDay(second, date(2026, 12, 3),
                                                         figures(10))])
        stats = campaign_stats.drip_stats(session, campaign, days=5, today=date(2026, 12, 3))
    assert [r.label[:3] for r in stats.rows] == ["1. ", "2. "]
    assert [r.figures.sent for r in stats.rows] == [2, 0]
    assert [r.figures.delivered for r in stats.rows] == [2, 10]
    assert stats.total.unique_opens == 1 + 5
    assert stats.total.rate("bounces") == 2 / 2
    assert [(d.day.day, d.delivered) for d in stats.days] == \
        [(29, 0), (30, 0), (1, 2), (2, 0), (3, 10)]
    assert stats.has_figures


# -- the stats dialog -----------------------------------------------------------------
@pytest.fixture
def qt_app(qtbot):
    from orchid_desktop.ui.application import make_qapplication

    return make_qapplication()


def launched_and_sent(context) -> tuple[int, list[str]]:
    campaign, _ = running_drip(context, ["ana@example.com", "bea@example.com",
                                         "cy@example.com"])
    with context.sessions.begin() as session:
        session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT,
                                                     finished_at=datetime.now(UTC)))
        steps = session.scalars(select(DripStep.id).where(DripStep.campaign_id == campaign)
                                .order_by(DripStep.position)).all()
    return campaign, [campaign_queue.step_category(campaign, s) for s in steps]


def test_the_stats_dialog_shows_the_figures_and_syncs_now(qt_app, qtbot, context, fake,
                                                          monkeypatch):
    from orchid_desktop.ui.campaign_stats import CampaignStatsDialog

    monkeypatch.setenv("SENDGRID_API_KEY", KEY)
    campaign, (first, second) = launched_and_sent(context)
    today = datetime.now(UTC).date()
    with context.sessions.begin() as session:
        sendgrid_sync.upsert_stats(session, [CategoryDay(first, today - timedelta(days=1),
                                                         figures(3))])
    dialog = CampaignStatsDialog(context, "drip", campaign, "Donor welcome")
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        dialog.show()
    assert dialog.chart.isVisible() and dialog.chart.has_data()
    assert dialog.tiles["sent"].value.text() == "3"
    assert dialog.tiles["delivered"].value.text() == "3"
    assert dialog.tiles["delivered"].rate.text() == "100.0%"
    model = dialog.model
    assert model.rowCount() == 3  # two steps and the total
    cells = [model.index(0, c).data() for c in range(model.columnCount())]
    assert cells[0].startswith("1. ") and cells[1] == "3" and cells[2] == "3   100.0%"
    assert model.index(2, 0).data() == "Total"
    assert dialog.sync_button.isEnabled()
    assert "figures never" in dialog.status_label.text()
    # SendGrid has more now: a day's figures for both steps, and a bounce
    fake.stats = {first: {today.isoformat(): figures(20)},
                  second: {today.isoformat(): figures(10)}}
    fake.suppressions = {"bounces": [{"email": "cy@example.com", "created": T0}]}
    with qtbot.waitSignal(dialog.synced, timeout=10000) as synced:
        dialog.sync_button.click()
    assert synced.args[0].startswith("Figures for 1 email fetched from SendGrid (")
    assert synced.args[0].endswith("From SendGrid: 1 bounce. 1 person taken out of drips.")
    # only the first step was sent yet; SendGrid's answer replaces the days it covers
    qtbot.waitUntil(lambda: dialog.tiles["delivered"].value.text() == "20", timeout=5000)
    assert "figures never" not in dialog.status_label.text()
    assert dialog.result_label.property("ok") is True


def test_the_stats_dialog_says_why_there_are_no_figures_in_local_mode(qt_app, qtbot, context):
    from orchid_desktop.ui.campaign_stats import CampaignStatsDialog

    campaign, _ = launched_and_sent(context)
    dialog = CampaignStatsDialog(context, "drip", campaign, "Donor welcome")
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        dialog.show()
    assert not dialog.sync_button.isEnabled()
    assert dialog.status_label.text().startswith("Local mode: no SendGrid key is set")
    assert not dialog.chart.has_data() and "Local mode" in dialog.chart.empty_text
    dialog.chart.grab()  # paints its empty state without a warning


def test_a_refused_key_is_shown_in_the_dialog(qt_app, qtbot, context, fake, monkeypatch):
    from orchid_desktop.ui.campaign_stats import CampaignStatsDialog

    monkeypatch.setenv("SENDGRID_API_KEY", "SG.revoked")
    campaign, _ = launched_and_sent(context)
    dialog = CampaignStatsDialog(context, "drip", campaign, "Donor welcome")
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        dialog.show()
    with qtbot.waitSignal(dialog.synced, timeout=10000) as synced:
        dialog.sync_now()
    assert "refused the API key" in synced.args[0]
    assert dialog.result_label.property("ok") is False and dialog.sync_button.isEnabled()


def test_stats_are_opened_from_the_drip_list_and_the_mass_emails(qt_app, qtbot, context):
    from orchid_desktop.domain.vocab import MassEmailStatus
    from orchid_desktop.ui.drips_page import DripsPage
    from orchid_desktop.ui.mass_emails_panel import ALLOWED

    campaign, _ = launched_and_sent(context)
    page = DripsPage(context)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh(select=campaign)
    assert page.actions_by_key["stats"].isEnabled()
    page.actions_by_key["stats"].trigger()
    with qtbot.waitSignal(page.stats_dialog.loaded, timeout=5000):
        pass
    assert page.stats_dialog.model.rowCount() == 3
    page.stats_dialog.close()
    assert MassEmailStatus.SENT in ALLOWED["stats"] and MassEmailStatus.DRAFT not in \
        ALLOWED["stats"]
