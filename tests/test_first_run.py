import pytest
from sqlalchemy import func, select

from orchid_desktop.db.models import (
    AgencySettings,
    AuditEntry,
    Contact,
    DQRuleSet,
    Lead,
    Template,
    TemplateVersion,
)
from orchid_desktop.domain.dq_rules import default_rules
from orchid_desktop.domain.templating import DECLARED_VARIABLES, make_environment
from orchid_desktop.domain.vocab import ApplicantType, EmailKind
from orchid_desktop.errors import UserError
from orchid_desktop.services.demo import load_demo_data
from orchid_desktop.services.first_run import ensure_first_run, library_entries


def test_a_new_database_gets_the_agency_row_rules_and_templates(context):
    assert "agency settings" in context.first_run_created
    with context.sessions() as session:
        assert session.get(AgencySettings, 1).default_phone_region == "US"
        rule_sets = session.scalars(select(DQRuleSet)).all()
        assert {r.applicant_type for r in rule_sets} == {
            ApplicantType.EGG_DONOR, ApplicantType.GESTATIONAL_CARRIER}
        donor = next(r for r in rule_sets if r.applicant_type == ApplicantType.EGG_DONOR)
        assert donor.rules["age"]["dq_under"] == 21 and donor.rules["age"]["dq_over"] == 34
        assert donor.rules["education"]["enabled"] is False
        assert session.scalar(select(func.count()).select_from(Template)) == len(library_entries())


def test_first_run_is_idempotent(context):
    assert ensure_first_run(context.sessions, context.staff_id) == []
    with context.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DQRuleSet)) == 2


def test_the_carrier_defaults_follow_the_domain():
    rules = default_rules(ApplicantType.GESTATIONAL_CARRIER)
    assert rules["state"]["blocked_states"] == ["LA", "NE"]
    assert (rules["age"]["dq_under"], rules["age"]["dq_over"], rules["age"]["flag_from"]) == \
        (21, 45, 40)
    assert rules["postpartum"]["months_after_c_section"] == 12


def test_library_templates_use_only_declared_variables_and_render(context):
    env = make_environment()
    with context.sessions() as session:
        versions = session.scalars(select(TemplateVersion)).all()
        kinds = {t.slug: t.kind for t in session.scalars(select(Template))}
    assert kinds["kind-rejection-notice"] == EmailKind.SERVICE
    for version in versions:
        assert set(version.variables) <= DECLARED_VARIABLES
        html = env.from_string(version.html_body).render(
            first_name="Maya <script>", agency_name="Bloom Agency",
            application_link="https://example.org/apply")
        assert "<script>" not in html  # autoescaped
        assert "Bloom Agency" in html or "Bloom Agency" in version.subject or \
            "agency_name" not in version.variables


def test_demo_data_is_loaded_once_and_audited(context):
    result = load_demo_data(context.sessions, context.staff_id, leads=40, contacts=15)
    with context.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 40
        assert session.scalar(select(func.count()).select_from(Contact)) == 15
        stages = set(session.scalars(select(Contact.stage)))
        assert len(stages) > 3
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "demo_loaded")) == 1
        emails = session.scalars(select(Lead.email).where(Lead.email.is_not(None))).all()
        assert all(e.rsplit("@", 1)[1].startswith("example.") for e in emails)
    assert result.batch_id
    with pytest.raises(UserError, match="already loaded"):
        load_demo_data(context.sessions, context.staff_id)
