"""How the campaign screens say things: targets, statuses and moments in plain words.

Moments are shown on the clock they matter on: the staff member's own for "next send",
the recipient's for a planned email ("Mon 7 Dec 2026, 09:00 EST"). Day numbers are
formatted by hand: ``%-d`` does not exist on Windows.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from orchid_desktop.domain.vocab import ApplicantType, CampaignStatus, CampaignTarget

TARGET_LABELS = {
    CampaignTarget.EGG_DONOR: "Egg donors",
    CampaignTarget.GESTATIONAL_CARRIER: "Gestational carriers",
    CampaignTarget.ANY: "Anyone",
}
STATUS_LABELS = {status: status.value.capitalize() for status in CampaignStatus}
STATUS_COLOURS = {  # the status bar's colours: running green, paused amber
    CampaignStatus.ACTIVE: "#1d7a3e",
    CampaignStatus.PAUSED: "#b35900",
    CampaignStatus.COMPLETED: "#5b5f9e",
    CampaignStatus.ARCHIVED: "#a59dab",
}
APPLICANT_CHOICES = [(None, "Anyone")] + [(t.value, t.label) for t in ApplicantType]


def day_month(day: date) -> str:
    """"7 Dec"."""
    return f"{day.day} {day:%b}"


def day_label(day: date, today: date | None = None) -> str:
    """"Mon 7 Dec", with the year when it is not this year's."""
    today = today or date.today()
    text = f"{day:%a} {day.day} {day:%b}"
    return text if day.year == today.year else f"{text} {day.year}"


def local_moment(moment: datetime | None, now: datetime | None = None) -> str:
    """An instant on this computer's clock: "today 14:30", "tomorrow 09:00",
    "Mon 7 Dec, 09:00"."""
    if moment is None:
        return ""
    local = moment.astimezone()
    today = (now.astimezone() if now else datetime.now().astimezone()).date()
    if local.date() == today:
        return f"today {local:%H:%M}"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow {local:%H:%M}"
    return f"{day_label(local.date(), today)}, {local:%H:%M}"


def recipient_moment(local: datetime | None) -> str:
    """A moment already on the recipient's clock, with the year and their zone:
    "Mon 7 Dec 2026, 09:00 EST"."""
    if local is None:
        return ""
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M %Z}".strip()


def plural(n: int, noun: str, many: str | None = None) -> str:
    return f"{n:,} {noun if n == 1 else many or noun + 's'}"
