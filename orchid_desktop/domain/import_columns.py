"""What a spreadsheet column can become on import, and how a header is recognised.

Lists arrive from lead-ad exports, Google Forms, HubSpot and Mailchimp exports, clinic
spreadsheets and hand-kept lists, each naming the same thing differently ("Email
Address", "E-mail", "email", "Vorname"…). Headers are compared after folding (accents
removed, lower case, punctuation and spacing dropped), so "E-mail", "e_mail" and "EMAIL"
are one synonym. A column mapped to nothing is kept, as it was, in the lead's raw form
data; a column mapped to ``SKIP`` is dropped.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from .person_fields import FIELDS as PERSON_FIELDS
from .vocab import ImportTarget

KEEP = ""  # unmapped: kept in the raw form data
SKIP = "skip"  # dropped on import


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str
    targets: frozenset[ImportTarget]
    synonyms: tuple[str, ...]


# A whole name is not a field of a person: it is split into first and last on import.
FULL_NAME = ImportField("full_name", "Full name (split into first and last)",
                        frozenset(ImportTarget), (
                            "full name", "full_name", "name", "your name", "contact name",
                            "applicant name", "donor name", "vollständiger name",
                            "nombre completo"))
# Every other target is a person field an import reads (domain/person_fields.py).
FIELDS: tuple[ImportField, ...] = (FULL_NAME, *(
    ImportField(f.key, f.label, f.imported, f.synonyms) for f in PERSON_FIELDS if f.imported))
FIELDS_BY_KEY = {f.key: f for f in FIELDS}


def fold_header(header: str) -> str:
    """A header as compared: accents removed, lower case, only letters and digits."""
    decomposed = unicodedata.normalize("NFKD", str(header))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z]+", "", plain.casefold())


_SYNONYMS: dict[str, str] = {}
for _field in FIELDS:
    for _synonym in (_field.key, *_field.synonyms):
        _SYNONYMS.setdefault(fold_header(_synonym), _field.key)


def fields_for(target: ImportTarget) -> list[ImportField]:
    return [f for f in FIELDS if target in f.targets]


# Headers often qualify a field ("Patient first name", "Mobile Phone Number"): a header
# that ends with a synonym this long names that field, the longest such synonym winning.
_SUFFIX_MIN = 5
_SUFFIXES = sorted((s for s in _SYNONYMS if len(s) >= _SUFFIX_MIN), key=len, reverse=True)


def guess_field(header: str, target: ImportTarget) -> str:
    """The field a header names, or KEEP when it names none this target has."""
    folded = fold_header(header)
    key = _SYNONYMS.get(folded) or next(
        (_SYNONYMS[s] for s in _SUFFIXES if folded.endswith(s)), KEEP)
    if key and target not in FIELDS_BY_KEY[key].targets:
        return KEEP
    return key


def auto_mapping(headers: Sequence[str], target: ImportTarget) -> dict[int, str]:
    """Column index → field key for every column, each field taken once (the leftmost
    column wins; a second "Email" stays in the raw form data)."""
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for index, header in enumerate(headers):
        key = guess_field(header, target)
        if key in taken or (key == "full_name" and {"first_name", "last_name"} & taken):
            key = KEEP
        mapping[index] = key
        if key:
            taken.add(key)
    if "full_name" in taken and {"first_name", "last_name"} & taken:
        # "Name" beside "First name": the split columns win, the whole name is kept raw
        mapping = {i: (KEEP if k == "full_name" else k) for i, k in mapping.items()}
    return mapping


def header_signature(headers: Sequence[str]) -> str:
    """Identifies a source by its columns (folded, in order): the same export next month
    has the same signature, so its mapping is offered again."""
    return hashlib.sha256("\x1f".join(fold_header(h) for h in headers).encode()).hexdigest()


def mapping_problems(mapping: dict[int, str], target: ImportTarget) -> list[str]:
    """What makes a mapping unusable: no column for an email or phone, a field twice."""
    problems = []
    keys = [k for k in mapping.values() if k not in (KEEP, SKIP)]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"Two columns are mapped to {FIELDS_BY_KEY[key].label}; "
                        "map only one.")
    for key in keys:
        if key not in FIELDS_BY_KEY or target not in FIELDS_BY_KEY[key].targets:
            problems.append(f"'{key}' is not a field of {target.value}.")
    if "email" not in keys and "phone" not in keys:
        problems.append("No column is mapped to Email or Phone, so nobody could be "
                        "reached: map the column that holds either.")
    return problems
