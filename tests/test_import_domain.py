"""Column recognition and cell reading for imports: pure domain, no database or Qt."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orchid_desktop.domain.import_columns import (
    KEEP,
    SKIP,
    auto_mapping,
    header_signature,
    mapping_problems,
)
from orchid_desktop.domain.import_values import (
    parse_applicant_type,
    parse_decimal,
    parse_source,
    parse_state,
    split_full_name,
)
from orchid_desktop.domain.vocab import ApplicantType, ImportTarget, LeadSource

LEADS, CONTACTS = ImportTarget.LEADS, ImportTarget.CONTACTS


def test_facebook_lead_ad_headers():
    headers = ["id", "created_time", "ad_id", "ad_name", "form_name", "platform", "full_name",
               "email", "phone_number", "state_of_residence"]
    mapping = auto_mapping(headers, LEADS)
    assert [mapping[i] for i in range(len(headers))] == [
        KEEP, "received_at", KEEP, KEEP, KEEP, "source", "full_name", "email", "phone",
        "state"]


def test_google_forms_and_german_headers():
    google = ["Timestamp", "Email Address", "First Name", "Last Name", "Phone Number",
              "State of residence"]
    assert list(auto_mapping(google, LEADS).values()) == [
        "received_at", "email", "first_name", "last_name", "phone", "state"]
    german = ["Vorname", "Nachname", "E-Mail", "Telefon", "Geburtsdatum"]
    assert list(auto_mapping(german, CONTACTS).values()) == [
        "first_name", "last_name", "email", "phone", "date_of_birth"]
    # a lead has no date of birth column: kept in its form data
    assert auto_mapping(german, LEADS)[4] == KEEP


def test_each_field_is_taken_once_and_split_names_beat_a_whole_name():
    mapping = auto_mapping(["Email", "E-mail", "Name", "First name", "Cell"], LEADS)
    assert mapping == {0: "email", 1: KEEP, 2: KEEP, 3: "first_name", 4: "phone"}


def test_signature_ignores_spelling_of_the_same_headers_but_not_their_order():
    assert header_signature(["Email Address", "Phone"]) == header_signature(
        ["email_address", " PHONE "])
    assert header_signature(["Email", "Phone"]) != header_signature(["Phone", "Email"])


def test_mapping_problems_in_plain_words():
    assert mapping_problems({0: "first_name", 1: KEEP, 2: SKIP}, LEADS) == [
        "No column is mapped to Email or Phone, so nobody could be reached: map the column "
        "that holds either."]
    problems = mapping_problems({0: "email", 1: "email"}, LEADS)
    assert problems == ["Two columns are mapped to Email; map only one."]
    assert mapping_problems({0: "phone", 1: "date_of_birth"}, LEADS) == [
        "'date_of_birth' is not a field of leads."]
    assert mapping_problems({0: "phone", 1: "date_of_birth"}, CONTACTS) == []


@pytest.mark.parametrize("text, expected", [
    ("Egg donor", ApplicantType.EGG_DONOR), ("egg_donor", ApplicantType.EGG_DONOR),
    ("Egg Donation", ApplicantType.EGG_DONOR), ("Surrogate", ApplicantType.GESTATIONAL_CARRIER),
    ("GC", ApplicantType.GESTATIONAL_CARRIER), ("Surrogacy", ApplicantType.GESTATIONAL_CARRIER),
    ("Intended parent", ApplicantType.OTHER), ("", None), ("banana", None),
])
def test_applicant_types(text, expected):
    assert parse_applicant_type(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("fb", LeadSource.FACEBOOK_INSTAGRAM), ("Instagram Lead Ad", LeadSource.FACEBOOK_INSTAGRAM),
    ("ig", LeadSource.FACEBOOK_INSTAGRAM), ("Google Ads", LeadSource.GOOGLE),
    ("Referral", LeadSource.REFERRAL), ("Website", LeadSource.WEBSITE),
    ("Event / campus", LeadSource.EVENT), ("", None), ("zzz", None),
])
def test_sources(text, expected):
    assert parse_source(text) == expected


def test_states_by_code_or_name():
    assert parse_state("ca") == "CA"
    assert parse_state("California") == "CA"
    assert parse_state(" new york ") == "NY"
    assert parse_state("Narnia") is None


@pytest.mark.parametrize("text, expected", [
    ("165", Decimal("165")), ("165.5", Decimal("165.5")), ("165,5", Decimal("165.5")),
    ("1,234.5", Decimal("1234.5")), ("1.234,5", Decimal("1234.5")),
    ("1,234", Decimal("1234")), ("1,234,567", Decimal("1234567")), ("-2,5", Decimal("-2.5")),
    ("abc", None), ("", None), ("1.2.3,4,5", None),
])
def test_decimals_with_commas(text, expected):
    assert parse_decimal(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Jane Doe", ("Jane", "Doe")), ("Doe, Jane", ("Jane", "Doe")),
    ("Mary Ann O'Neil", ("Mary", "Ann O'Neil")), ("Cher", ("Cher", "")),
    ("  Zoë   Müller ", ("Zoë", "Müller")),
])
def test_full_names(text, expected):
    assert split_full_name(text) == expected


def test_ascii_words_fold_as_the_unicode_path_does():
    """fold's ASCII shortcut (imports fold a million names) gives the general answer."""
    import random
    import re
    import unicodedata

    from orchid_desktop.domain.search_terms import fold

    word = re.compile(r"[^\W_]+")

    def general(text: str) -> list[str]:
        decomposed = unicodedata.normalize("NFKD", text)
        kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        return word.findall(kept.casefold())

    rng = random.Random(5)
    samples = ["O'Brien-Smith", "JESSICA.smith42@Example.COM", "a_b", "\t\x00x"] + [
        "".join(chr(rng.randrange(128)) for _ in range(rng.randrange(30)))
        for _ in range(20_000)]
    for text in samples:
        assert fold(text) == general(text), text
