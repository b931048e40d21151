"""Constraints live in the database: the same tests run on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from orchid_desktop.db import migrate
from orchid_desktop.db.engine import (
    DatabaseTarget,
    create_app_engine,
    parse_database_url,
)
from orchid_desktop.db.models import (
    Contact,
    DripCampaign,
    DripStep,
    Enrolment,
    EnrolmentStep,
    Lead,
    OutboxMessage,
    Template,
)
from orchid_desktop.domain.vocab import (
    ApplicantType,
    CampaignTarget,
    EmailKind,
    LeadSource,
    OutboxOrigin,
    StepKind,
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sessions(request, tmp_path):
    if request.param == "sqlite":
        engine = create_app_engine(
            DatabaseTarget(parse_database_url(f"sqlite:///{tmp_path}/c.db")))
    else:
        engine = create_engine(request.getfixturevalue("pg_url"))
    migrate.upgrade(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def _contact(email="ana@example.com", **extra) -> Contact:
    return Contact(first_name="Ana", last_name="Lee", email=email, email_normalized=email,
                   applicant_type=ApplicantType.EGG_DONOR, source=LeadSource.WEBSITE, **extra)


def test_only_one_active_contact_per_normalised_email(sessions):
    with sessions.begin() as session:
        session.add(_contact())
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(_contact())
    # an archived contact no longer blocks the address
    with sessions.begin() as session:
        first = session.query(Contact).one()
        first.archived_at = datetime.now(UTC)
    with sessions.begin() as session:
        session.add(_contact())


def test_a_person_needs_an_email_or_a_phone(sessions):
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(Lead(first_name="No", last_name="Way",
                         applicant_type=ApplicantType.OTHER, source=LeadSource.PHONE))


def test_status_columns_reject_unknown_values_in_the_database(sessions):
    with sessions.begin() as session:
        session.add(Lead(email="x@example.com", email_normalized="x@example.com",
                         applicant_type=ApplicantType.EGG_DONOR, source=LeadSource.GOOGLE))
    with pytest.raises(IntegrityError):
        with sessions.begin() as session:  # plain SQL: the ORM's own check is bypassed
            session.execute(text("UPDATE leads SET status = 'lost'"))


def test_the_orm_refuses_unknown_enum_values_before_the_database_does(sessions):
    with pytest.raises(StatementError), sessions.begin() as session:
        session.add(Lead(email="y@example.com", email_normalized="y@example.com",
                         applicant_type="astronaut", source=LeadSource.GOOGLE))


def test_a_later_save_from_another_workstation_sees_the_conflict(sessions):
    """Both workstations read the record, each edits its copy; the second save fails
    instead of overwriting the first (the version column is in the UPDATE's WHERE)."""
    with sessions.begin() as session:
        session.add(_contact())
    with sessions() as session:
        mine = session.query(Contact).one()
    with sessions() as session:
        theirs = session.query(Contact).one()
    mine.first_name = "Anna"
    with sessions.begin() as session:
        session.add(mine)
    theirs.first_name = "Ann"
    with pytest.raises(StaleDataError), sessions.begin() as session:
        session.add(theirs)
    with sessions() as session:
        saved = session.query(Contact).one()
        assert (saved.first_name, saved.version) == ("Anna", 2)


def test_an_enrolment_step_can_be_in_the_outbox_only_once(sessions):
    with sessions.begin() as session:
        contact = _contact()
        template = Template(name="Welcome", kind=EmailKind.MARKETING)
        campaign = DripCampaign(name="Donor welcome", target=CampaignTarget.EGG_DONOR)
        session.add_all([contact, template, campaign])
        session.flush()
        step = DripStep(campaign_id=campaign.id, position=1, kind=StepKind.EMAIL,
                        template_id=template.id)
        enrolment = Enrolment(campaign_id=campaign.id, contact_id=contact.id)
        session.add_all([step, enrolment])
        session.flush()
        enrolment_step = EnrolmentStep(enrolment_id=enrolment.id, step_id=step.id)
        session.add(enrolment_step)
        session.flush()
        ids = (contact.id, enrolment_step.id)

    def message():
        return OutboxMessage(origin=OutboxOrigin.DRIP, kind=EmailKind.MARKETING,
                             enrolment_step_id=ids[1], contact_id=ids[0],
                             to_email="ana@example.com", to_email_normalized="ana@example.com")

    with sessions.begin() as session:
        session.add(message())
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(message())


def test_instants_come_back_in_utc_and_dates_as_dates(sessions):
    moment = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    with sessions.begin() as session:
        session.add(_contact(date_of_birth=date(2001, 2, 3), email_consent_at=moment))
    with sessions() as session:
        contact = session.query(Contact).one()
        assert contact.email_consent_at == moment
        assert contact.email_consent_at.tzinfo is not None
        assert contact.date_of_birth == date(2001, 2, 3)


def test_a_naive_datetime_is_a_programming_error(sessions):
    with pytest.raises(StatementError, match="naive datetime"), sessions.begin() as session:
        session.add(_contact(email_consent_at=datetime(2026, 1, 1)))
