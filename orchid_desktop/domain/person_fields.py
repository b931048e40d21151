"""Who a lead or contact is, field by field: the one list the rest of the app reads.

Each field of a person kept in a column of ``leads`` or ``contacts`` is described here
once: its name, the kind of value it holds, which records have it, and what each part of
the app does with it. The import (mapping targets, header synonyms, spellings of values,
row checks, the bulk writer and the matcher), merge, promotion, export and the identity
form take their lists from this one when they are imported, so a new field is this entry,
a model column, a migration and its test (docs/architecture.md, "Add a lead or contact
field"); ``tests/test_person_fields.py`` runs every field through every one of them.

The rest of a contact's application form is ``application_fields.py``. The few of its
fields that are columns the import or merge reads are listed here as well, with the
label that catalogue gives them, so the two never name one field two ways.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from .application_fields import BY_KEY as APPLICATION_FIELDS
from .vocab import ApplicantType, ContactMethod, ImportTarget, LeadSource

LEADS, CONTACTS = ImportTarget.LEADS, ImportTarget.CONTACTS
BOTH = frozenset(ImportTarget)
NOWHERE: frozenset[ImportTarget] = frozenset()


class Kind(StrEnum):
    NAME = "name"  # text, "" when blank (never NULL); an import may split a full name
    TEXT = "text"
    EMAIL = "email"  # kept as typed, and normalised for matching
    PHONE = "phone"  # kept in E.164
    CHOICE = "choice"  # a value of ``vocabulary``
    STATE = "state"  # a US state's postal code
    NUMBER = "number"
    DATE = "date"
    INSTANT = "instant"  # a moment, kept in UTC


@dataclass(frozen=True)
class PersonField:
    key: str  # the form's and the import mapping's name
    label: str
    kind: Kind
    records: frozenset[ImportTarget]  # the tables with this column
    columns: tuple[str, ...]  # where the value is kept
    max_length: int | None = None  # text: what the column holds
    vocabulary: type[StrEnum] | None = None  # choice: its values (each with a .label)
    required: bool = False  # choice: never empty (the form offers no "—")
    default: StrEnum | None = None  # choice: what a new person's form starts at
    limits: tuple[Decimal, Decimal] | None = None  # number: lies strictly between
    # import: header names recognised (see import_columns) and, for a choice, the words
    # that name each value (a cell naming none of them is noted and left out)
    synonyms: tuple[str, ...] = ()
    spellings: tuple[tuple[StrEnum, tuple[str, ...]], ...] = ()
    spelled_inside: int = 4  # a word this long also names its value inside a longer cell
    imported: frozenset[ImportTarget] = NOWHERE  # what an import of leads/contacts maps
    import_updates: bool = True  # Fill / Overwrite may change a known person's value
    matched: bool = False  # a row is the same person when this matches (import, forms)
    merged: bool = False  # merge fills it from the other contact when empty
    exported: bool = False  # a column of the exported file
    listed: frozenset[ImportTarget] = NOWHERE  # a column of these lists (each has an index)
    in_form: bool = False  # edited in the lead and contact identity form
    header: str = ""  # a shorter column title in exports, where it differs from the label

    @property
    def column_header(self) -> str:
        return self.header or self.label

    def choices(self) -> tuple[tuple[str, str], ...]:
        """A choice field's values with their labels, in the vocabulary's order."""
        return tuple((member.value, member.label) for member in self._vocabulary())

    def member(self, value: str) -> StrEnum:
        """The vocabulary's member for ``value`` (ValueError when it names none)."""
        return self._vocabulary()(value)

    def _vocabulary(self) -> Any:  # a vocab.py StrEnum, whose members have a .label
        if self.vocabulary is None:
            raise TypeError(f"{self.key} is not a choice")
        return self.vocabulary


def _field(key: str, label: str, kind: Kind, records: frozenset[ImportTarget], *,
           columns: tuple[str, ...] = (), imported: frozenset[ImportTarget] | None = None,
           **details) -> PersonField:
    """A field kept in the column named like it; one with header synonyms is imported
    into the records that have it, unless ``imported`` says otherwise."""
    if imported is None:
        imported = records if details.get("synonyms") else NOWHERE
    return PersonField(key, label, kind, records, columns or (key,), imported=imported,
                       **details)


def _application(key: str, kind: Kind, **details) -> PersonField:
    """A contact column that the application form edits (application_fields.py), under
    the label that form gives it."""
    return _field(key, APPLICATION_FIELDS[key].label, kind, frozenset({CONTACTS}), **details)


FIELDS: tuple[PersonField, ...] = (
    _field("first_name", "First name", Kind.NAME, BOTH, max_length=100, merged=True,
           exported=True, listed=BOTH, in_form=True, synonyms=(
               "first name", "firstname", "first", "given name", "forename", "vorname",
               "nombre", "prénom", "fname")),
    _field("last_name", "Last name", Kind.NAME, BOTH, max_length=100, merged=True,
           exported=True, listed=BOTH, in_form=True, synonyms=(
               "last name", "lastname", "last", "surname", "family name", "nachname",
               "apellido", "apellidos", "nom", "lname")),
    _field("email", "Email", Kind.EMAIL, BOTH, columns=("email", "email_normalized"),
           max_length=320, matched=True, merged=True, exported=True, listed=BOTH,
           in_form=True, synonyms=(
               "email", "e-mail", "email address", "e-mail address", "email addr", "mail",
               "your email", "primary email", "work email", "personal email",
               "e-mail-adresse", "correo", "correo electronico", "courriel")),
    _field("phone", "Phone", Kind.PHONE, BOTH, columns=("phone_e164",), max_length=20,
           matched=True, merged=True, exported=True, listed=BOTH, in_form=True, synonyms=(
               "phone", "phone number", "phone_number", "mobile", "mobile phone",
               "mobile number", "cell", "cell phone", "cellphone", "telephone", "tel",
               "phone no", "contact number", "your phone", "telefon", "handy", "teléfono",
               "telefono", "whatsapp")),
    # Merge refuses two contacts of different types, so the type is never "filled".
    _field("applicant_type", "Applicant type", Kind.CHOICE, BOTH, vocabulary=ApplicantType,
           required=True, default=ApplicantType.EGG_DONOR, exported=True, listed=BOTH,
           in_form=True, synonyms=(
               "applicant type", "type", "program", "programme", "interested in", "interest",
               "i am interested in", "which program", "role", "applying as", "lead type"),
           spelled_inside=3, spellings=(
               (ApplicantType.GESTATIONAL_CARRIER, ("gestational", "carrier", "surroga", "gc")),
               (ApplicantType.EGG_DONOR, ("egg", "donor", "donation", "ed", "oocyte")),
               (ApplicantType.OTHER, ("intendedparent", "parent", "ip", "other")),
           )),
    # A source is how the person first came; merging keeps the kept contact's own.
    _field("source", "Source", Kind.CHOICE, BOTH, vocabulary=LeadSource, required=True,
           default=LeadSource.PHONE, exported=True, listed=frozenset({LEADS}), in_form=True,
           synonyms=(
               "source", "lead source", "original source", "how did you hear about us",
               "how did you hear", "referral source", "platform", "channel"),
           spellings=(
               (LeadSource.FACEBOOK_INSTAGRAM,
                ("facebook", "instagram", "fb", "ig", "meta", "leadad")),
               (LeadSource.GOOGLE, ("google", "adwords", "gclid", "youtube")),
               (LeadSource.REFERRAL,
                ("referral", "referred", "friend", "pastdonor", "wordofmouth")),
               (LeadSource.WEBSITE, ("website", "web", "webform", "site", "organic", "online")),
               (LeadSource.PHONE, ("phone", "call", "telephone")),
               (LeadSource.CLINIC, ("clinic", "doctor", "ivf")),
               (LeadSource.OTHER_AGENCY, ("agency", "otheragency")),
               (LeadSource.RETURNING, ("returning", "reapply", "reapplied")),
               (LeadSource.EVENT, ("event", "campus", "fair", "college")),
           )),
    _field("state", "State", Kind.STATE, BOTH, max_length=2, merged=True, exported=True,
           listed=frozenset({CONTACTS}), in_form=True, synonyms=(
               "state", "state of residence", "state/province", "province", "region",
               "us state", "home state", "bundesland")),
    # When the inquiry arrived: a contacts file may map it too (it is read, then unused),
    # and an import never moves a known lead's first inquiry.
    _field("received_at", "Received (date and time)", Kind.INSTANT, frozenset({LEADS}),
           header="Received", imported=BOTH, import_updates=False, exported=True,
           listed=frozenset({LEADS}), synonyms=(
               "timestamp", "created_time", "created time", "created", "created at",
               "created date", "create date", "date", "submitted", "submitted at",
               "submission date", "date submitted", "received", "received at",
               "inquiry date", "optin time", "confirm time", "signup date", "date added")),
    _field("preferred_contact_method", "Preferred contact method", Kind.CHOICE, BOTH,
           vocabulary=ContactMethod, merged=True, exported=True, in_form=True, synonyms=(
               "preferred contact method", "preferred contact", "contact preference",
               "contact method", "preferred method of contact", "best way to reach",
               "best way to reach you", "best way to contact you",
               "how should we contact you", "how would you like to be contacted"),
           # whatsapp and text before phone: "WhatsApp call" and "text my phone"
           spellings=(
               (ContactMethod.WHATSAPP, ("whatsapp", "wa")),
               (ContactMethod.TEXT, ("text", "sms", "txt", "texting", "textmessage",
                                     "imessage")),
               (ContactMethod.PHONE, ("phone", "call", "phonecall", "telephone", "tel",
                                      "voice", "voicemail", "cell", "mobile")),
               (ContactMethod.EMAIL, ("email", "mail", "emailme")),
           )),
    _application("date_of_birth", Kind.DATE, merged=True, exported=True, synonyms=(
        "date of birth", "dob", "birthdate", "birth date", "birthday", "geburtsdatum",
        "fecha de nacimiento")),
    _application("address_line1", Kind.TEXT, max_length=200, merged=True, synonyms=(
        "address", "street address", "address line 1", "street", "address 1")),
    _application("address_line2", Kind.TEXT, max_length=200, merged=True),
    _application("city", Kind.TEXT, max_length=100, merged=True, exported=True,
                 synonyms=("city", "town", "stadt", "ciudad")),
    _application("postal_code", Kind.TEXT, max_length=20, merged=True, exported=True,
                 header="Postal code", synonyms=(
                     "zip", "zip code", "zipcode", "postal code", "postcode", "plz",
                     "codigo postal")),
    _application("referrer", Kind.TEXT, max_length=200, merged=True),
    # the columns hold five digits, one after the point
    _application("height_cm", Kind.NUMBER, limits=(Decimal(-10_000), Decimal(10_000)),
                 merged=True, synonyms=(
                     "height", "height cm", "height (cm)", "größe", "groesse", "körpergröße")),
    _application("weight_kg", Kind.NUMBER, limits=(Decimal(-10_000), Decimal(10_000)),
                 merged=True, synonyms=("weight", "weight kg", "weight (kg)", "gewicht")),
    # consents are given by the person, never typed by staff or imported as a guess
    _field("email_consent_at", "Email consent given", Kind.INSTANT, frozenset({CONTACTS}),
           merged=True),
    _field("sms_consent_at", "SMS consent given", Kind.INSTANT, frozenset({CONTACTS}),
           merged=True),
)
BY_KEY = {f.key: f for f in FIELDS}
BY_COLUMN = {column: f for f in FIELDS for column in f.columns}

# What the identity form edits (both records), in order; it has an editor for these kinds.
FORM_KINDS = frozenset({Kind.NAME, Kind.TEXT, Kind.EMAIL, Kind.PHONE, Kind.CHOICE, Kind.STATE})
FORM_FIELDS = tuple(f for f in FIELDS if f.in_form)
assert all(f.kind in FORM_KINDS for f in FORM_FIELDS), "the identity form cannot edit that"


def columns_of(fields: Iterable[PersonField]) -> tuple[str, ...]:
    return tuple(column for f in fields for column in f.columns)


def stored_on(record: ImportTarget) -> tuple[PersonField, ...]:
    return tuple(f for f in FIELDS if record in f.records)


def imported_into(record: ImportTarget) -> tuple[PersonField, ...]:
    """The fields an import of ``record`` reads and keeps on the people it writes."""
    return tuple(f for f in stored_on(record) if record in f.imported)


def exported_from(record: ImportTarget) -> tuple[PersonField, ...]:
    return tuple(f for f in stored_on(record) if f.exported)


# Both records have these: promoting a lead copies them onto its contact.
SHARED_COLUMNS = columns_of(f for f in FIELDS if f.records == BOTH)
# Merge fills these on the kept contact from the merged one where its own are empty.
MERGED_COLUMNS = columns_of(f for f in stored_on(CONTACTS) if f.merged)
