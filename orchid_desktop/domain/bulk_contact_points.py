"""Email and phone normalisation for whole columns: a spreadsheet import's million rows.

``normalize_email`` and ``normalize_phone`` (contact_points) stay the authority: every
value gets exactly what they would give it — the same normalised text, or the same error
message. They cost tens of microseconds a value, though (bench/bulk_validation.py),
too much for a million rows, so each function here first settles the *common* shapes in
bulk, and only shapes where the answer is provably the library's; everything else (and
every doubt) is handed to the library, once per distinct value.

Why each shortcut gives the library's answer is written next to it, citing the library
code it stands for (email-validator 2.x ``validate_email``; phonenumbers ``parse``,
``is_valid_number`` and ``format_number(…, E164)``). ``tests/test_bulk_contact_points.py``
checks the equivalence on large generated corpora and with hypothesis, and checks each
piece of metadata the phone shortcut is built from against the library's own functions.

Both functions return two lists as long as ``values``: the normalised value or None, and
the error message (the library's exception text) or None. An empty or whitespace-only
value (or None) is absent: (None, None), not an error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

import email_validator
import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberDesc

from .contact_points import InvalidEmail, InvalidPhone, normalize_email, normalize_phone

__all__ = ["normalize_emails", "normalize_phones"]


# --------------------------------------------------------------------------- emails

# The plain ASCII address, accepted as is by email-validator, whose normalised form is
# the stripped input lower-cased. Walking through validate_email(s) for such an ``s``:
#   * split_email: no quote, no "<", ASCII only (NFC changes nothing), one "@": the local
#     part is what is before it, the domain what is after it; no display name.
#   * validate_email_local_part: the local part matches the library's own dot-atom rule
#     (DOT_ATOM_TEXT: atext runs separated by single dots), so it is returned unchanged.
#     Its length is only checked with STRICT (see _email_fast_path_allowed). An RFC 2142
#     name ("Info", "Sales"…) is lower-cased there, which our lower() does anyway.
#   * validate_email_domain_name: letters, digits, hyphens and dots are safe characters
#     (categories L, N, Pd, Po) and valid UTS-46 characters; uts46_remap only lower-cases
#     ASCII letters. Each label starts with a letter or digit and ends with one (the last
#     label, the TLD, ends with a letter, as the library requires of every TLD), labels
#     are 1..63 characters, there is at least one dot, no ".." ".-" "-.". No "--" at all:
#     that rules out both RFC 5890 "R-LDH" labels (ab--…) and Punycode ("xn--"), the
#     only domains the IDNA round trip could change or refuse. Special-use names
#     (SPECIAL_USE_DOMAIN_NAMES: localhost, .local, .test, .onion, .arpa, .invalid…)
#     are excluded by look-behinds built from the library's list at call time.
#   * validate_email_length: ASCII, so characters are bytes; the whole address is at most
#     254, checked in Python (the domain is then at most 252 < 253). Normalising changes
#     no length.
#   So the result is ``local + "@" + domain.lower()``, and normalize_email lower-cases it
#   all: ``s.lower()``.
_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~-"  # RFC 5322 atext: email_validator's ATEXT
_LOCAL = rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TLD = r"(?:[A-Za-z0-9][A-Za-z0-9-]{0,61})?[A-Za-z]"
_EMAIL_MAX_LENGTH = 254  # email_validator's EMAIL_MAX_LENGTH, checked in Python
_EMAIL_SHAPE = _LOCAL + r"@(?![^@]*--)" + rf"(?:{_LABEL}\.)+{_TLD}"

# Without any of these characters the library stops at once: split_email finds no
# unquoted "@" or "<" to split at, and neither look-alike at-sign it names.
_EMAIL_SPLITTERS = ("@", "<", "\uff20", "\ufe6b")
_NO_AT_SIGN = "An email address must have an @-sign."


@functools.lru_cache(maxsize=8)
def _email_fast_regex(special_use: tuple[str, ...]) -> re.Pattern[str]:
    """The shape, then one look-behind per special-use name: the domain does not end
    with "@name" (it is the name) or ".name" (it is under it). Case-insensitive and
    escaped, so it refuses at least the domains the library refuses (it compares the
    lower-cased domain with each name), maybe more, and an extra refusal only sends
    the address to the library."""
    not_special = "".join(f"(?<![.@](?i:{re.escape(name)}))" for name in special_use)
    return re.compile(_EMAIL_SHAPE + not_special)


def _email_fast_path_allowed() -> bool:
    """The shortcut assumes email-validator's default (non-STRICT) rules: STRICT would
    add a 64-character limit before the @-sign. The other module-level options only
    concern forms the shortcut never accepts (quoted, internationalised, bracketed,
    display names, an empty local part) or loosen the rules (test_environment,
    globally_deliverable), so they cannot make a shortcut answer wrong."""
    return not email_validator.STRICT


def _library_email(text: str) -> tuple[str | None, str | None]:
    try:
        return normalize_email(text), None
    except InvalidEmail as exc:
        return None, str(exc)


def normalize_emails(values: Sequence[str]) -> tuple[list[str | None], list[str | None]]:
    """Per value, ``normalize_email``'s result or its error message; "" is absent.

    The common address is settled by one compiled regex (see _EMAIL_SHAPE and
    _email_fast_regex); a value with no at-sign at all is refused with the library's
    message; everything else goes to the library, once per distinct value."""
    n = len(values)
    normalized: list[str | None] = [None] * n
    errors: list[str | None] = [None] * n
    stripped = [v.strip() if v is not None else "" for v in values]
    fast: Callable[[str], object]
    if _email_fast_path_allowed():
        special = tuple(email_validator.SPECIAL_USE_DOMAIN_NAMES)
        fast = _email_fast_regex(special).fullmatch
    else:
        def fast(_text: str) -> None:
            return None  # every address goes to the library
    library: dict[str, tuple[str | None, str | None]] = {}
    for i, text in enumerate(stripped):
        if not text:
            continue
        if fast(text) is not None and len(text) <= _EMAIL_MAX_LENGTH:
            normalized[i] = text.lower()
        elif not any(ch in text for ch in _EMAIL_SPLITTERS):
            errors[i] = f"'{text}' is not a valid email address: {_NO_AT_SIGN}"
        else:
            answer = library.get(text)
            if answer is None:
                # normalize_email strips its argument; text is stripped already, and it
                # is what the message quotes.
                answer = library[text] = _library_email(text)
            normalized[i], errors[i] = answer
    return normalized, errors


# --------------------------------------------------------------------------- phones

# A phone text in a "clean" shape: ASCII digits with spaces, dots, hyphens, slashes and
# parentheses, optionally one leading "+", optionally after a "p:" and/or "tel:" prefix
# (normalize_phone strips those, in that order, then strips what follows: only spaces
# may follow here, and " *" takes them all). For the body (the text handed to
# phonenumbers.parse), parse's result depends only on whether it starts with "+" and on
# its digits, because:
#   * it is at most 250 characters (parse's input limit) and has no ";": no RFC 3966
#     phone-context or isub parameter;
#   * _extract_possible_number starts at the "+" or the first digit and drops trailing
#     punctuation only: every digit stays, in order;
#   * with no letters, "#", "~", "," or ";" no extension pattern can match (and none of
#     the allowed characters case-folds to a letter), and _normalize keeps the digits;
#   * with at least 3 digits and only digits and the library's own punctuation after
#     the "+", _is_viable_phone_number accepts it (fewer digits: see _PhonePlan.decide).
_PHONE_SHAPE = re.compile(
    r"(?:[pP]: *)?(?:[tT][eE][lL]: *)?"
    r"(?=[^\n]{1,250}\Z)"
    r"(\+?[ ().\-/]*[0-9][0-9 ().\-/]*)"
)
# Deletes the punctuation, leaving the "key": "+" and digits, or digits.
_PUNCTUATION = str.maketrans("", "", " ().-/")
# \d as phonenumbers means it (any Unicode decimal digit). Without one, parse always
# fails: a number, or an RFC 3966 phone-context starting with "+", needs digits to be
# viable, and normalize_phone then says "… is not a phone number."
_ANY_DIGIT = re.compile(r"\d")

_MIN_NSN, _MAX_NSN = 2, 17  # phonenumbers' _MIN_LENGTH_FOR_NSN, _MAX_LENGTH_FOR_NSN
_TYPE_DESCS = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number",
               "pager", "uan", "voicemail", "fixed_line")
# Metadata patterns the combined type regex may embed: digits, classes, groups,
# alternation and counted repetition only (no anchors, flags or back-references), so a
# pattern behaves the same inside a larger expression as on its own.
_EMBEDDABLE = re.compile(r"(?:[0-9\[\]()?:|{},\-]|\\d)*")


class _Length:
    """phonenumbers' ValidationResult values that _test_number_length returns."""
    POSSIBLE = phonenumbers.ValidationResult.IS_POSSIBLE
    LOCAL_ONLY = phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY
    TOO_SHORT = phonenumbers.ValidationResult.TOO_SHORT
    INVALID = phonenumbers.ValidationResult.INVALID_LENGTH
    TOO_LONG = phonenumbers.ValidationResult.TOO_LONG


def _general_desc(metadata: PhoneMetadata) -> PhoneNumberDesc:
    """A region's general description. phonenumbers types it optional (metadata can be
    built without one), but every region it ships has one and its own code relies on it."""
    desc = metadata.general_desc
    if desc is None:
        raise ValueError(f"phone metadata for {metadata.id} has no general description")
    return desc


def _length_result(length: int, metadata: PhoneMetadata) -> int:
    """phonenumbers' _test_number_length(number, metadata) (type UNKNOWN, i.e. the
    general description), which looks only at the number's length."""
    desc = _general_desc(metadata)
    if length in desc.possible_length_local_only:
        return _Length.LOCAL_ONLY
    possible = desc.possible_length
    if possible[0] == length:
        return _Length.POSSIBLE
    if possible[0] > length:
        return _Length.TOO_SHORT
    if possible[-1] < length:
        return _Length.TOO_LONG
    return _Length.POSSIBLE if length in possible[1:] else _Length.INVALID


def _digits_of_length(lengths: Sequence[int]) -> str:
    return "(?:" + "|".join(rf"\d{{{n}}}" for n in lengths if n >= 0) + r")\Z"


class _Region:
    """One region's metadata, with its patterns compiled as the library compiles them
    (re.compile(pattern), no flags)."""

    def __init__(self, code: str, metadata: PhoneMetadata) -> None:
        self.code = code
        self.metadata = metadata
        if metadata.country_code is None:  # as general_desc: every shipped region has one
            raise ValueError(f"phone metadata for {code} has no country code")
        self.country_code: int = metadata.country_code
        general = self.general_desc = _general_desc(metadata)
        self.general = (re.compile(general.national_number_pattern)
                        if general.national_number_pattern else None)
        self.leading = (re.compile(metadata.leading_digits)
                        if metadata.leading_digits is not None else None)
        prefix = metadata.national_prefix_for_parsing
        self.national_prefix = re.compile(prefix) if prefix else None
        self.transform = metadata.national_prefix_transform_rule
        idd = metadata.international_prefix
        self.idd = re.compile(idd) if idd is not None else None
        self.descs: list[tuple[tuple[int, ...], re.Pattern[str]]] = []
        names = list(_TYPE_DESCS)
        if not metadata.same_mobile_and_fixed_line_pattern:
            names.append("mobile")
        for name in names:
            desc = getattr(metadata, name)
            if desc is not None and desc.national_number_pattern:
                self.descs.append((tuple(desc.possible_length),
                                   re.compile(desc.national_number_pattern)))
        # Fixed-line and mobile first: most numbers are one of these, and the order of
        # an alternation does not change what it matches, only how soon.
        common_first = sorted(names, key=lambda name: name not in ("fixed_line", "mobile"))
        self.typed = self._typed_regex(common_first)

    def general_match(self, number: str) -> bool:
        """_match_national_number(number, general_desc, False): a full match (which
        implies the re.match the library tries first)."""
        return self.general is not None and self.general.fullmatch(number) is not None

    def has_type(self, nsn: str) -> bool:
        """_number_type_helper(nsn, metadata) != UNKNOWN, step by step: the general
        description matches, and so does at least one type's (its possible lengths, if
        it lists any, then its pattern). Mobile counts only when the region's mobile and
        fixed-line patterns differ; when they are the same, fixed-line decides."""
        general = self.general_desc
        if general.possible_length and len(nsn) not in general.possible_length:
            return False
        if not self.general_match(nsn):
            return False
        return any((not lengths or len(nsn) in lengths) and pattern.fullmatch(nsn)
                   for lengths, pattern in self.descs)

    def fits(self, nsn: str) -> bool:
        """has_type, by the one regex when there is one (the tests check they agree on
        every region's example and near-miss numbers)."""
        if self.typed is not None:
            return self.typed.fullmatch(nsn) is not None
        return self.has_type(nsn)

    def _typed_regex(self, names: list[str]) -> re.Pattern[str] | None:
        """has_type as one regex, to be run at C speed over many numbers: a look-ahead
        per condition, and an alternation over the types. A regex alternation plus \\Z
        matches when *some* alternative matches the whole number, which is exactly the
        library's "any type matches fully". None when a pattern is not plainly
        embeddable (then has_type is used)."""
        general = self.general_desc
        if not general.national_number_pattern:
            return None
        parts = []
        if general.possible_length:
            parts.append(f"(?={_digits_of_length(general.possible_length)})")
        parts.append(f"(?=(?:{general.national_number_pattern})\\Z)")
        alternatives = []
        for name in names:
            desc = getattr(self.metadata, name)
            if desc is None or not desc.national_number_pattern:
                continue
            if not _EMBEDDABLE.fullmatch(desc.national_number_pattern):
                return None
            lengths = [n for n in desc.possible_length if n >= 0]
            if desc.possible_length and not lengths:
                continue  # only impossible lengths: the type never matches
            guard = f"(?={_digits_of_length(lengths)})" if lengths else ""
            alternatives.append(f"{guard}(?:{desc.national_number_pattern})\\Z")
        if not _EMBEDDABLE.fullmatch(general.national_number_pattern):
            return None
        if not alternatives:
            return re.compile(r"(?!)")
        return re.compile("".join(parts) + "(?:" + "|".join(alternatives) + ")")


@functools.cache
def _region(code: str) -> _Region | None:
    metadata = PhoneMetadata.metadata_for_region(code, None)
    return _Region(code, metadata) if metadata is not None else None


class _Verdict(NamedTuple):
    valid: bool
    text: str  # the E.164 number when valid, else the region named in the message


class _PhonePlan:
    """The shortcut for one default region. ``decide(key)`` follows phonenumbers.parse,
    is_valid_number and format_number(E164) for a key ("+" and digits, or digits), step
    by step, and returns None wherever the library would do something it does not copy
    (IDD prefixes, national-prefix transforms, non-geographic codes, parse errors): the
    value then goes to the library."""

    def __init__(self, region_code: str) -> None:
        self.region_code = region_code
        home = _region(region_code)
        assert home is not None
        self.home = home
        self.country_code = home.country_code
        self.cc_text = str(home.country_code)
        self.fast = self._fast_regex()

    # --- parse ---------------------------------------------------------------

    def decide(self, key: str) -> _Verdict | None:
        if key[0] == "+":
            return self._international(key[1:])
        return self._national(key)

    def _international(self, digits: str) -> _Verdict | None:
        """_maybe_extract_country_code with a leading "+": the country code is the
        first 1-3 digits naming a known code (codes are prefix-free). Too few digits
        ("TOO_SHORT_AFTER_IDD") or no code (parse then retries without the "+") are left
        to the library. The number's metadata is its code's main region's."""
        if len(digits) <= _MIN_NSN or digits[0] == "0":
            return None
        for size in (1, 2, 3):
            country_code = int(digits[:size])
            regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
            if regions is not None:
                break
        else:
            return None
        main = _region(regions[0]) if regions[0] != "001" else None
        if main is None:
            return None
        return self._national_number(country_code, digits[size:], main)

    def _national(self, digits: str) -> _Verdict | None:
        """_maybe_extract_country_code without "+": an IDD prefix (011, 00…) is left to
        the library. A number starting with the region's own country code loses it when
        the library's test says so: the general pattern fits only without it, or the
        whole is too long (the remainder first passes the national-prefix strip, as in
        the library). Otherwise the digits are the national number."""
        if len(digits) < 3:  # _is_viable_phone_number: fewer digits may not even parse
            return None
        home = self.home
        if home.idd is not None and home.idd.match(digits):
            return None
        if digits.startswith(self.cc_text):
            rest = self._strip_national_prefix(digits[len(self.cc_text):], home)
            if rest is None:
                return None
            if ((not home.general_match(digits) and home.general_match(rest[1]))
                    or _length_result(len(digits), home.metadata) == _Length.TOO_LONG):
                regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[self.country_code]
                main = _region(regions[0])
                if main is None:
                    return None
                return self._national_number(self.country_code, rest[1], main)
        return self._national_number(self.country_code, digits, home)

    @staticmethod
    def _strip_national_prefix(number: str, region: _Region) -> tuple[bool, str] | None:
        """_maybe_strip_national_prefix_carrier_code, returning (stripped?, number); None
        when a transform rule would rewrite the number (left to the library). The
        carrier code it may also find is not part of an E.164 number."""
        if not number or region.national_prefix is None:
            return False, number
        match = region.national_prefix.match(number)
        if not match:
            return False, number
        if region.transform and (not match.groups() or match.groups()[-1] is not None):
            return None
        if region.general_match(number) and not region.general_match(number[match.end():]):
            return False, number
        return True, number[match.end():]

    def _national_number(self, country_code: int, number: str,
                         region: _Region) -> _Verdict | None:
        """The end of parse: the national prefix is stripped only if what remains has a
        possible length; 2..17 digits. Leading zeros are kept as they were (the
        "Italian leading zero" fields make national_significant_number give back exactly
        these digits), so the E.164 number is "+", the code and these digits."""
        if len(number) < _MIN_NSN:
            return None
        stripped = self._strip_national_prefix(number, region)
        if stripped is None:
            return None
        if stripped[0] and _length_result(len(stripped[1]), region.metadata) not in (
                _Length.TOO_SHORT, _Length.LOCAL_ONLY, _Length.INVALID):
            number = stripped[1]
        if not _MIN_NSN <= len(number) <= _MAX_NSN:
            return None
        return self._validity(country_code, number)

    # --- is_valid_number ---------------------------------------------------------

    def _validity(self, country_code: int, nsn: str) -> _Verdict | None:
        """is_valid_number: region_code_for_number picks the code's only region, or the
        first region whose leading digits begin the number (or, lacking leading digits,
        whose types fit it); the number is valid when that region's types fit it. The
        message names that region, or the default region when none was picked."""
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[country_code]
        chosen: _Region | None = None
        if len(regions) == 1:
            if regions[0] == "001":
                return None
            chosen = _region(regions[0])
            if chosen is None:
                return None
        else:
            for code in regions:
                region = _region(code)
                if region is None:
                    continue
                if region.leading is not None:
                    if region.leading.match(nsn):
                        chosen = region
                        break
                elif region.fits(nsn):
                    chosen = region
                    break
        if chosen is not None and chosen.fits(nsn):
            return _Verdict(True, f"+{country_code}{nsn}")
        return _Verdict(False, chosen.code if chosen is not None else self.region_code)

    # --- the bulk shortcut ---------------------------------------------------------

    def _fast_regex(self) -> re.Pattern[str] | None:
        """The commonest keys as one regex, decided without Python per step: a "+" with
        the home country code, or national digits, that ``decide`` would take through
        its simplest path — no IDD, no leading country code, no national prefix to strip
        (its pattern does not match; embedded as a negative look-ahead, which tests
        re.match at the same place), 2..17 digits — to a number valid in the code's main
        region (its leading digits, if any, begin the number, so region_code_for_number
        picks it; then its types fit). A match is valid with E.164 = "+" + code + the
        national digits; no match means nothing, and ``decide`` takes over."""
        home = self.home
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[self.country_code]
        main = _region(regions[0])
        if main is None or main.typed is None:
            return None
        # Patterns embedded below must mean inside the larger regex what they mean on
        # their own: plain ones only ("$" is the end of the key in both places).
        embedded = [r.metadata.national_prefix_for_parsing for r in (home, main)]
        embedded += [main.metadata.leading_digits, home.metadata.international_prefix]
        if any(p and not re.fullmatch(r"(?:[0-9\[\]()?:|{},\-$]|\\d)*", p)
               for p in embedded):
            return None

        def not_prefix(region: _Region) -> str:
            prefix = region.metadata.national_prefix_for_parsing
            return f"(?!(?:{prefix}))" if prefix else ""

        valid_in_main = ((f"(?=(?:{main.metadata.leading_digits}))" if main.leading else "")
                         + f"(?:{main.typed.pattern})")
        international = (rf"\+{self.cc_text}(?=\d{{2,17}}\Z)" + not_prefix(main)
                         + valid_in_main)
        idd = (f"(?!(?:{home.metadata.international_prefix}))"
               if home.idd is not None else "")
        national = (idd + f"(?!{self.cc_text})" + r"(?=\d{3,17}\Z)" + not_prefix(home)
                    + valid_in_main)
        return re.compile(f"(?:{international})|(?:{national})")


@functools.lru_cache(maxsize=16)
def _phone_plan(region_code: str) -> _PhonePlan | None:
    """None unless the region is one phonenumbers knows, spelt as it spells it (then
    parse's region check passes and its metadata is the region's)."""
    if region_code not in phonenumbers.SUPPORTED_REGIONS:
        return None
    return _PhonePlan(region_code)


def _library_phone(text: str, region: str) -> tuple[str | None, str | None]:
    try:
        return normalize_phone(text, region), None
    except InvalidPhone as exc:
        return None, str(exc)


def normalize_phones(values: Sequence[str],
                     default_region: str) -> tuple[list[str | None], list[str | None]]:
    """Per value, ``normalize_phone(value, default_region)``'s E.164 number or its error
    message; "" is absent.

    Clean shapes ((415) 555-0123, +1 415-555-0123, p:+14155550123, 020 7946 0958…) are
    reduced to a key of "+" and digits by one regex and one translate over the whole
    column; keys of the commonest kind are settled by one compiled regex each
    (_PhonePlan._fast_regex), the rest by _PhonePlan.decide once per distinct key.
    Values with no digit at all are refused with the library's message; anything else
    goes to the library, once per distinct value."""
    n = len(values)
    e164: list[str | None] = [None] * n
    errors: list[str | None] = [None] * n
    stripped = [v.strip() if v is not None else "" for v in values]
    plan = _phone_plan(default_region)

    def no_fast_path(_key: str) -> None:
        return None

    keys: list[str] = [""] * n  # "" : not a clean shape (or no plan): no key
    fast: Callable[[str], object] = no_fast_path
    if plan is not None:
        shape = _PHONE_SHAPE.fullmatch
        bodies = [m[1] if (m := shape(text)) else "" for text in stripped]
        # One translate over the column: bodies hold no newline, so the split gives
        # them back one to one.
        keys = "\n".join(bodies).translate(_PUNCTUATION).split("\n")
        if plan.fast is not None:
            fast = plan.fast.fullmatch
        home_prefix = "+" + plan.cc_text

    decided: dict[str, _Verdict | None] = {}
    library: dict[str, tuple[str | None, str | None]] = {}
    for i, text in enumerate(stripped):
        if not text:
            continue
        key = keys[i]
        if key:
            if fast(key) is not None:
                e164[i] = key if key[0] == "+" else home_prefix + key
                continue
            if key in decided:
                verdict = decided[key]
            else:
                assert plan is not None  # keys exist only with a plan
                verdict = decided[key] = plan.decide(key)
            if verdict is not None:
                if verdict.valid:
                    e164[i] = verdict.text
                else:
                    errors[i] = f"'{text}' is not a valid phone number for {verdict.text}."
                continue
        elif _ANY_DIGIT.search(text) is None:
            errors[i] = f"'{text}' is not a phone number."
            continue
        answer = library.get(text)
        if answer is None:
            # normalize_phone strips its argument; text is stripped already, and it is
            # what the message quotes.
            answer = library[text] = _library_phone(text, default_region)
        e164[i], errors[i] = answer
    return e164, errors
