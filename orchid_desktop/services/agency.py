"""The agency's shared settings: name, postal address, time zone, phone region, link,
and the sending window. Validated here, so every caller gets the same answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from orchid_desktop.db.models import AgencySettings
from orchid_desktop.errors import ConflictError, UserError, ValidationError

from . import audit

MAX_RATE_PER_MINUTE = 1_000_000


@dataclass
class AgencyForm:
    name: str
    postal_address: str
    time_zone: str
    default_phone_region: str
    application_link: str
    window_start: time
    window_end: time
    weekdays: str  # ISO weekday digits, "12345" = Monday to Friday
    version: int
    # SendGrid unsubscribe group for marketing email; None = subscription tracking
    asm_group_id: int | None = None
    rate_per_minute: int = 600  # emails a minute each sending process may post


def load_agency(sessions: sessionmaker[Session]) -> AgencyForm:
    with sessions() as session:
        return load_from_row(_settings_row(session))


def _settings_row(session: Session) -> AgencySettings:
    """The one settings row, which the first run creates (``first_run``)."""
    row = session.get(AgencySettings, 1)
    if row is None:
        raise UserError("This database has no agency settings yet: restart Orchid Desktop, "
                        "which creates them.")
    return row


def validate(form: AgencyForm) -> list[str]:
    problems = []
    try:
        ZoneInfo(form.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"'{form.time_zone}' is not a time zone (e.g. America/Chicago).")
    if form.default_phone_region not in phonenumbers.SUPPORTED_REGIONS:
        problems.append(f"'{form.default_phone_region}' is not a country code for phone numbers "
                        "(e.g. US).")
    if form.window_end <= form.window_start:
        problems.append("The sending window must end after it starts.")
    if not form.weekdays or any(d not in "1234567" for d in form.weekdays):
        problems.append("Choose at least one weekday for sending.")
    if form.application_link and not form.application_link.startswith(("https://", "http://")):
        problems.append("The application link must start with https://.")
    if form.asm_group_id is not None and not 0 < form.asm_group_id < 2**31:
        problems.append("The unsubscribe group id is the number SendGrid shows for the group.")
    if not 1 <= form.rate_per_minute <= MAX_RATE_PER_MINUTE:
        problems.append(f"The sending rate must be between 1 and {MAX_RATE_PER_MINUTE:,} "
                        "emails a minute.")
    return problems


def save_agency(sessions: sessionmaker[Session], form: AgencyForm, staff_id: int | None) -> int:
    """Save the form; returns the new version. Raises ValidationError or ConflictError."""
    problems = validate(form)
    if problems:
        raise ValidationError(problems)
    try:
        with sessions.begin() as session:
            row = _settings_row(session)
            if row.version != form.version:
                raise StaleDataError()
            before = asdict(load_from_row(row))
            row.name = form.name.strip()
            row.postal_address = form.postal_address.strip()
            row.time_zone = form.time_zone
            row.default_phone_region = form.default_phone_region
            row.application_link = form.application_link.strip()
            row.daily_send_window_start = form.window_start
            row.daily_send_window_end = form.window_end
            row.send_weekdays = "".join(sorted(set(form.weekdays)))
            row.sendgrid_asm_group_id = form.asm_group_id
            row.global_rate_per_minute = form.rate_per_minute
            after = asdict(load_from_row(row))
            changes = {k: [str(before[k]), str(after[k])] for k in before
                       if k != "version" and before[k] != after[k]}
            if changes:
                audit.record(session, staff_id=staff_id, entity_type="agency_settings",
                             entity_id=1, action="updated", changes=changes)
            session.flush()
            return row.version
    except StaleDataError:
        raise ConflictError("The agency settings were changed on another workstation since "
                            "you opened them. Reopen Settings to see the new values.") from None


def load_from_row(row: AgencySettings) -> AgencyForm:
    return AgencyForm(row.name, row.postal_address, row.time_zone, row.default_phone_region,
                      row.application_link, row.daily_send_window_start,
                      row.daily_send_window_end, row.send_weekdays, row.version,
                      row.sendgrid_asm_group_id, row.global_rate_per_minute)
