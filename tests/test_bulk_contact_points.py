"""normalize_emails / normalize_phones give, value for value, exactly what the per-value
normalize_email / normalize_phone give (the same normalised text or the same error
message), on large generated corpora of nasty values and with hypothesis; the pieces the
phone shortcut is built from agree with phonenumbers' own functions for every region;
and the shortcuts are really taken (the library is not called for the common shapes).
"""

from __future__ import annotations

import contextlib
import random
import string
import zlib

import email_validator
import idna
import phonenumbers
import pytest
from email_validator import rfc_constants
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneMetadata, PhoneNumberFormat, PhoneNumberType
from phonenumbers import phonenumberutil as pnu

from orchid_desktop.domain import bulk_contact_points as bulk
from orchid_desktop.domain import search_terms
from orchid_desktop.domain.bulk_contact_points import normalize_emails, normalize_phones
from orchid_desktop.domain.contact_points import (
    InvalidEmail,
    InvalidPhone,
    normalize_email,
    normalize_phone,
)

# --------------------------------------------------------------------------- helpers


def one_email(value: str) -> tuple[str | None, str | None]:
    if value is None or not value.strip():
        return None, None
    try:
        return normalize_email(value), None
    except InvalidEmail as exc:
        return None, str(exc)


def one_phone(value: str, region: str) -> tuple[str | None, str | None]:
    if value is None or not value.strip():
        return None, None
    try:
        return normalize_phone(value, region), None
    except InvalidPhone as exc:
        return None, str(exc)


def assert_emails_equivalent(values: list[str]) -> None:
    normalized, errors = normalize_emails(values)
    assert len(normalized) == len(errors) == len(values)
    mismatches = [(v, (n, e), one_email(v))
                  for v, n, e in zip(values, normalized, errors, strict=True)
                  if (n, e) != one_email(v)]
    assert not mismatches, mismatches[:10]


def assert_phones_equivalent(values: list[str], region: str) -> None:
    e164, errors = normalize_phones(values, region)
    assert len(e164) == len(errors) == len(values)
    mismatches = [(v, (n, e), one_phone(v, region))
                  for v, n, e in zip(values, e164, errors, strict=True)
                  if (n, e) != one_phone(v, region)]
    assert not mismatches, mismatches[:10]


def tokens(pieces: list[str], max_size: int):
    """Strings made of the given pieces (characters or longer fragments)."""
    return st.lists(st.sampled_from(pieces), max_size=max_size).map("".join)


WHITESPACE = [" ", "  ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\r\n", "\x1f", ""]

# --------------------------------------------------------------------------- emails

FIRST = ["jessica", "ashley", "maria", "o'brien", "jean-luc", "sarah", "zoë", "José",
         "李", "müller", "info", "Sales", "POSTMASTER", "x", "a+tag", "first_last"]
DOMAINS = [
    "gmail.com", "Yahoo.COM", "hotmail.co.uk", "mail.example.org", "sub.domain.example.net",
    "a.io", "x.co", "b.c", "localhost", "example", "local", "a.local", "host.LOCAL",
    "x.test", "TEST", "a.b.test", "onion.com", "x.onion", "in-addr.arpa", "1.2.arpa",
    "arpa.com", "x.invalid", "invalid.org", "localhost.com", "test.com", "b.test.com",
    "bücher.de", "xn--bcher-kva.de", "XN--BCHER-KVA.DE", "xn--invalid.com", "xn--.com",
    "münchen.example", "例え.jp", "ex．com", "exa\u3002mple.com", "ab--cd.com",
    "a--b.com", "abc--d.com", "-a.com", "a-.com", "a.-b.com", "a..com", ".a.com",
    "a.com.", "a.com..", "a.c0m", "a.123", "a.c-m", "a.c-", "a.1c", "[1.2.3.4]",
    "[IPv6:::1]", "[999.1.1.1]", "a_b.com", "a b.com", "a.com ", "ａ.com", "a.ｃom",
    "\u0430pple.com", "a" * 63 + ".com", "a" * 64 + ".com", "b." + "c" * 63,
    "b." + "c" * 64, ".".join(["a" * 60] * 4) + ".com", ".".join(["a" * 61] * 4) + ".co",
    "xn--4dbc.com", "1.xn--4dbc.com", "gmai1.com", "g.m.a.i.l.com", "sh", "ab.c_d",
]
CLEAN_DOMAINS = ["gmail.com", "GMAIL.COM", "yahoo.co.uk", "mail.example.org", "x.io",
                 "a-b.c-d.info", "123.example.com", "e.x.a.m.p.l.e.museum", "sub.a1.dev"]
LOCALS = [
    "a", "jessica.smith42", "Jessica.Smith42", "first.last", "first..last", ".first",
    "first.", "a+b", "a!#$%&'*+/=?^_`{|}~-z", "a b", "a\tb", '"quoted"', '"a b"',
    '"a@b"', '"a\\"b"', '"unterminated', 'a"b', "a(comment)", "a,b", "a;b", "a:b",
    "a<b", "a>b", "a[b]", "a\\b", "ñandú", "ü", "用户", "a\u0301", "\u0301a",
    "e\u0301", "é", "a\u200bb", "a\u202eb", "a\u00a0b", "a\x00b", "a\x7fb",
    "a" * 64, "a" * 65, "a" * 200, "x" * 240, "INFO", "Webmaster", "ⅰnfo",
    "a\ud800b", "𝓪𝓫", "١٢٣",
]


def email_corpus(size: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    values: list[str] = []
    for local in LOCALS:
        for domain in DOMAINS:
            values.append(f"{local}@{domain}")
    values += ["", " ", "\t\n", "\u00a0", "no-at-sign", "a＠b.com", "a﹫b.com", "a@",
               "@b.com", "@", "a@@b.com", "a@b@c.com", "<a@b.com>", "Name <a@b.com>",
               "Name <a@b.com", "\"Name\" <a@b.com>", "a@b.com <x>", "mailto:a@b.com",
               "a@b.com,c@d.com", "a@b.com; c@d.com", "n/a", "N/A", "none", "-", "0",
               "<", "a<b", "\"@\"", "x" * 300, "x" * 300 + "@b.com", "a@" + "b" * 300]
    # Lengths around the 254-character limit.
    for extra in range(-3, 4):
        local = "a" * (254 - len("@example.com") + extra)
        values.append(f"{local}@example.com")
        values.append(f"{local}@EXAMPLE.COM")
    alphabet = (string.ascii_letters + string.digits + ".-_+@!#$%&'*/=?^`{|}~\"<>()[]\\,;: "
                + "\t\u00a0\u00e9\u00fc\u0301\u200b\uff20\uff0e\u3002ı\u0130\u212a")
    while len(values) < size:
        roll = rng.random()
        local = rng.choice(LOCALS) if roll < 0.3 else (
            f"{rng.choice(FIRST)}{rng.choice(['.', '_', '', '-', '+'])}"
            f"{rng.choice(FIRST)}{rng.randint(0, 999) if rng.random() < 0.5 else ''}")
        domain = rng.choice(DOMAINS if rng.random() < 0.5 else CLEAN_DOMAINS)
        value = f"{local}@{domain}"
        for _ in range(rng.choice([0, 0, 0, 0, 1, 1, 2, 3])):
            position = rng.randint(0, len(value))
            action = rng.random()
            if action < 0.5:
                value = value[:position] + rng.choice(alphabet) + value[position:]
            elif action < 0.8:
                value = value[:position] + value[position + 1:]
            else:
                value = value.swapcase() if rng.random() < 0.5 else value.upper()
        if rng.random() < 0.2:
            value = rng.choice(WHITESPACE) + value + rng.choice(WHITESPACE)
        values.append(value)
    return values


def test_emails_equal_the_per_value_function_on_a_nasty_corpus():
    assert_emails_equivalent(email_corpus(30_000, seed=1))


def test_repeated_emails_give_the_same_answers():
    values = email_corpus(2_000, seed=2) * 3
    assert_emails_equivalent(values)


def test_emails_follow_changes_to_the_library_settings(monkeypatch):
    values = [*email_corpus(3000, seed=3), "a@b.example", "a@x.EXAMPLE", "a@example",
              "x" * 70 + "@b.com"]
    monkeypatch.setattr(email_validator, "SPECIAL_USE_DOMAIN_NAMES",
                        [*email_validator.SPECIAL_USE_DOMAIN_NAMES, "example"])
    assert_emails_equivalent(values)
    monkeypatch.setattr(email_validator, "STRICT", True)
    assert_emails_equivalent(values)
    monkeypatch.setattr(email_validator, "SPECIAL_USE_DOMAIN_NAMES", [])
    monkeypatch.setattr(email_validator, "STRICT", False)
    assert_emails_equivalent(values)


def test_common_addresses_never_reach_the_library(monkeypatch):
    def refuse(text):
        raise AssertionError(f"library called for {text!r}")

    monkeypatch.setattr(bulk, "_library_email", refuse)
    values = ["jessica.smith42@gmail.com", " Jessica.Smith42@Gmail.COM ", "a+b@x.co.uk",
              "first_last.99@sub.example.org", "INFO@Example.com", "no at sign", ""]
    normalized, errors = normalize_emails(values)
    assert normalized[:5] == ["jessica.smith42@gmail.com", "jessica.smith42@gmail.com",
                              "a+b@x.co.uk", "first_last.99@sub.example.org",
                              "info@example.com"]
    assert errors[5] == ("'no at sign' is not a valid email address: "
                         "An email address must have an @-sign.")
    assert (normalized[6], errors[6]) == (None, None)


def test_the_email_shortcut_uses_the_library_character_sets():
    # Every character the local-part pattern allows is atext to the library, and the
    # other way round.
    allowed = {c for c in map(chr, range(128)) if bulk.re.fullmatch(f"[{bulk._ATEXT}]", c)}
    library = {c for c in map(chr, range(128)) if rfc_constants.DOT_ATOM_TEXT.match(c)}
    assert allowed == library
    # UTS-46 mapping of the domain characters the shortcut allows only lower-cases.
    for c in string.ascii_letters + string.digits + "-.":
        assert idna.uts46_remap(c, std3_rules=False, transitional=False) == c.lower()
    assert rfc_constants.EMAIL_MAX_LENGTH == bulk._EMAIL_MAX_LENGTH


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(tokens(
    [*list(string.ascii_letters + string.digits + ".-_+@!#$%&'*/=?^`{|}~\"<> \t"),
     "é", "́", "\xa0", "＠", "xn--", "--", ".com", "@gmail.com", "local", "test", "localhost",
     "arpa", "İ", "K"], 40), max_size=30))
def test_emails_equivalent_hypothesis_text(values):
    assert_emails_equivalent(values)


label = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,66}[A-Za-z0-9])?", fullmatch=True)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.builds(
    lambda local, labels, tld, pad: f"{pad}{local}@{'.'.join(labels)}.{tld}{pad}",
    st.from_regex(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,80}", fullmatch=True),
    st.lists(label, min_size=0, max_size=5),
    st.one_of(st.sampled_from(["com", "COM", "local", "test", "onion", "arpa", "invalid",
                               "localhost", "c0m", "x", "co-uk", "uk-"]), label),
    st.sampled_from(["", " ", "\t", "\u00a0"])), max_size=20))
def test_emails_equivalent_hypothesis_structured(values):
    assert_emails_equivalent(values)


# --------------------------------------------------------------------------- phones

REGIONS = ["US", "GB", "DE", "CA", "FR", "IT", "AU", "IN", "BR", "AR", "JP", "MX", "JE",
           "AG", "RU", "KZ", "NO", "SJ", "FI"]
EXAMPLE_TYPES = [PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE,
                 PhoneNumberType.TOLL_FREE, PhoneNumberType.PREMIUM_RATE,
                 PhoneNumberType.SHARED_COST, PhoneNumberType.VOIP,
                 PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.PAGER,
                 PhoneNumberType.UAN, PhoneNumberType.VOICEMAIL]


def example_numbers(regions) -> list[phonenumbers.PhoneNumber]:
    numbers = []
    for region in regions:
        for kind in EXAMPLE_TYPES:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                numbers.append(number)
        invalid = phonenumbers.invalid_example_number(region)
        if invalid is not None:
            numbers.append(invalid)
    return numbers


def formatted(number: phonenumbers.PhoneNumber) -> list[str]:
    return [phonenumbers.format_number(number, f) for f in (
        PhoneNumberFormat.E164, PhoneNumberFormat.INTERNATIONAL,
        PhoneNumberFormat.NATIONAL, PhoneNumberFormat.RFC3966)]


SEPARATORS = ["", "", " ", "-", ".", "/", "  ", " - ", "\u00a0", "\u2011", "\t"]
PREFIXES = ["", "", "", "p:", "P:", "p: ", "tel:", "TEL: ", "p:tel:", "tel:p:", "Tel:",
            "phone: ", "+", "++", "(", "00", "011 ", "0011", "001", "1 ", "0"]
SUFFIXES = ["", "", "", " x12", " ext. 5", " #", "#", " ext 123#", ",,12", ";ext=7",
            " (home)", ".", " ", ")", "-", " / 555 0199", ";isub=12", " x", "abc"]


def digits_grouped(digits: str, rng: random.Random) -> str:
    out, i = "", 0
    sep = rng.choice(SEPARATORS)
    while i < len(digits):
        size = rng.randint(1, 4)
        out += (sep if out else "") + digits[i:i + size]
        i += size
    if rng.random() < 0.25 and len(digits) >= 6:
        k = rng.randint(1, 4)
        out = f"({digits[:k]}) " + digits_grouped(digits[k:], rng) if rng.random() < 0.5 \
            else out
    return out


def phone_corpus(size: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    values: list[str] = [
        "", " ", "\t", "\u00a0", "n/a", "N/A", "none", "-", "+", "++", "p:", "tel:", "()",
        "(415) 555-0123", "+1 415-555-0123", "p:+14155550123", "4155550123",
        "415.555.0123", "415 555 0123", "1-415-555-0123", "1 (415) 555-0123",
        "14155550123", "+14155550123", "+1 (415) 555-0123", "+1.415.555.0123",
        "001 415 555 0123", "011 1 415 555 0123", "0014155550123", "+1 1415 555 0123",
        "+1 0415 555 0123", "+11 415 555 0123", "(415) 555-0123 x12", "415-555-0123 ext. 5",
        "1-800-FLOWERS", "1-800-356-9377", "800 555 0199", "(800) 555-0199", "900 555 0199",
        "555-0123", "555 0123", "5550123", "(555) 555-5555", "(212) 555-0100",
        "(268) 555-0123", "+1 268 555 0123", "+1 (604) 555-0123", "604-555-0123",
        "+1 684 733 1234", "+1 441 555 0123", "+1 876 555 0123",
        "020 7946 0958", "+44 20 7946 0958", "+44 (0)20 7946 0958", "0044 20 7946 0958",
        "07700 900123", "+44 7700 900123", "01624 456789", "+44 1624 456789",
        "01534 456789", "+44 1534 456789", "0800 123 4567", "0845 464 1234", "(020) 7946 0958",
        "030 1234567", "030/1234567", "+49 30 1234567", "+49 (0)30 1234567",
        "0151 12345678", "+49 151 12345678", "0049 30 1234567", "49 30 1234567",
        "+33 1 23 45 67 89", "01 23 45 67 89", "+39 06 1234 5678", "06 1234 5678",
        "+39 312 345 6789", "+61 2 9876 5432", "+61 412 345 678", "+91 98765 43210",
        "+81 3-1234-5678", "+55 11 91234-5678", "+54 9 11 1234-5678", "+52 55 1234 5678",
        "+7 495 123-45-67", "+7 701 123 4567", "+86 10 1234 5678", "+800 1234 5678",
        "+882 1234 5678", "+0 123", "+999 123 456", "+1", "+12", "+123", "1", "12", "123",
        "1234", "12345678901234567890", "+1234567890123456789", "0" * 10, "+" + "0" * 12,
        "١٢٣٤٥٦٧٨٩٠", "４１５５５５０１２３", "(415)\u00a0555\u20110123", "415 555 0123\n",
        "415\n555\n0123", "+1 415 555 0123;phone-context=+1", "tel:+1-415-555-0123;isub=1",
        "415-555-0123;phone-context=example.com", "tel:4155550123;phone-context=+1",
        "1+415 555 0123", "+1+415 555 0123", "415*555*0123", "415_555_0123",
        "415) 555-0123", "(415 555-0123", "((415)) 555--0123", "-415-555-0123-", ".4155550123",
        "+ 1 415 555 0123", "+(1) 415 555 0123", "+1 (415)555-0123", "p:+1 415 555 0123",
        "p:p:+14155550123", "P:+14155550123", "TEL:+14155550123", "tel: +1 415 555 0123",
        "phone 415 555 0123", "call 415-555-0123 now", "4155550123 / 4155550124",
        "415-555-0123 or 415-555-0124", "+1-415-555-0123 x", "+1 415 555 0123 #",
    ]
    numbers = example_numbers(REGIONS)
    for number in numbers:
        values += formatted(number)
    while len(values) < size:
        roll = rng.random()
        if roll < 0.35:
            number = rng.choice(numbers)
            text = rng.choice(formatted(number))
            if rng.random() < 0.5:
                # Change a digit or two: usually still the same shape, maybe not valid.
                chars = list(text)
                spots = [i for i, c in enumerate(chars) if c.isdigit()]
                for i in rng.sample(spots, min(len(spots), rng.randint(1, 2))):
                    chars[i] = rng.choice(string.digits)
                text = "".join(chars)
        elif roll < 0.6:
            # NANP-like: area code and exchange of any first digit, sometimes 555-01xx.
            area = f"{rng.randint(0, 999):03d}"
            exchange = "555" if rng.random() < 0.2 else f"{rng.randint(0, 999):03d}"
            line = f"01{rng.randint(0, 99):02d}" if rng.random() < 0.2 else \
                f"{rng.randint(0, 9999):04d}"
            digits = area + exchange + line
            text = rng.choice([
                f"({area}) {exchange}-{line}", f"{area}-{exchange}-{line}",
                f"{area}.{exchange}.{line}", digits, f"1{digits}", f"1-{area}-{exchange}-{line}",
                f"+1 {area}-{exchange}-{line}", f"+1{digits}", f"p:+1{digits}",
                f"+1 ({area}) {exchange}-{line}", f"{exchange}-{line}", f"+{digits}"])
        elif roll < 0.85:
            # Any digits, any length, any grouping.
            digits = "".join(rng.choice(string.digits) for _ in range(rng.randint(1, 19)))
            text = digits_grouped(digits, rng)
            if rng.random() < 0.4:
                text = "+" + rng.choice(["", " "]) + text
        else:
            # A national number of a region, written with its trunk prefix or not.
            number = rng.choice(numbers)
            nsn = phonenumbers.national_significant_number(number)
            text = digits_grouped(rng.choice(["", "0", "1", "00", "0049", "44"]) + nsn, rng)
        if rng.random() < 0.3:
            text = rng.choice(PREFIXES) + text + rng.choice(SUFFIXES)
        elif rng.random() < 0.2:
            text = rng.choice(["p:", "tel:", "P: ", "p:tel:"]) + text
        if rng.random() < 0.15:
            text = rng.choice(WHITESPACE) + text + rng.choice(WHITESPACE)
        values.append(text)
    return values


@pytest.mark.parametrize("region", ["US", "GB", "DE", "CA", "AU", "IT"])
def test_phones_equal_the_per_value_function_on_a_nasty_corpus(region):
    assert_phones_equivalent(phone_corpus(25_000, seed=zlib.crc32(region.encode())), region)


def test_repeated_phones_give_the_same_answers():
    values = phone_corpus(2_000, seed=7) * 3
    random.Random(8).shuffle(values)
    assert_phones_equivalent(values, "US")


def test_phones_for_every_supported_region():
    """Each region as the default, over its own and its neighbours' example numbers in
    every format, with and without trunk prefixes: exercises every region's metadata
    (national prefixes, IDD prefixes, shared country codes, leading digits)."""
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    rng = random.Random(11)
    for index, region in enumerate(regions):
        neighbours = [*regions[max(0, index - 2):index + 3], "US", "GB"]
        values = []
        for number in example_numbers(neighbours):
            values += formatted(number)
            nsn = phonenumbers.national_significant_number(number)
            values += [nsn, "0" + nsn, "1" + nsn, str(number.country_code) + nsn,
                       "00" + str(number.country_code) + nsn, nsn[:-1], nsn + "5"]
            values.append(digits_grouped(nsn, rng))
        values += ["12", "123", "+1 415 555 0123", "n/a"]
        assert_phones_equivalent(values, region)


def test_phones_with_an_unknown_or_odd_region_go_to_the_library():
    values = phone_corpus(500, seed=12)
    for region in ["us", "ZZ", "001", "XX", ""]:
        assert_phones_equivalent(values, region)


def test_common_phones_never_reach_the_library(monkeypatch):
    def refuse(text, region):
        raise AssertionError(f"library called for {text!r}")

    monkeypatch.setattr(bulk, "_library_phone", refuse)
    values = ["(415) 555-0123", "+1 415-555-0123", "p:+14155550123", "4155550123",
              "415.555.0123", "1-415-555-0123", "+44 20 7946 0958", "+49 30 1234567",
              "(604) 555-0123", "555-0123", "n/a", ""]
    e164, errors = normalize_phones(values, "US")
    assert e164[:10] == ["+14155550123"] * 6 + ["+442079460958", "+49301234567",
                                                 "+16045550123", None]
    assert errors[9] == "'555-0123' is not a valid phone number for US."
    assert errors[10] == "'n/a' is not a phone number."
    assert (e164[11], errors[11]) == (None, None)
    gb, _ = normalize_phones(["020 7946 0958", "07400 123456", "(020) 7946 0958"], "GB")
    assert gb == ["+442079460958", "+447400123456", "+442079460958"]


def test_the_commonest_us_shapes_are_settled_by_the_one_regex(monkeypatch):
    def refuse(self, key):
        raise AssertionError(f"decided in Python: {key!r}")

    monkeypatch.setattr(bulk._PhonePlan, "decide", refuse)
    e164, errors = normalize_phones(["(415) 555-0123", "+1 415-555-0123",
                                     "p:+14155550123", "4155550123"], "US")
    assert e164 == ["+14155550123"] * 4 and errors == [None] * 4


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.builds(
    lambda prefix, plus, groups, sep, suffix: prefix + plus + sep.join(groups) + suffix,
    st.sampled_from(PREFIXES), st.sampled_from(["", "+", "+ ", "(", "+("]),
    st.lists(st.from_regex(r"[0-9]{1,5}", fullmatch=True), min_size=1, max_size=5),
    st.sampled_from([*SEPARATORS, ") ", "("]), st.sampled_from(SUFFIXES)), max_size=25),
    st.sampled_from(REGIONS))
def test_phones_equivalent_hypothesis(values, region):
    assert_phones_equivalent(values, region)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(tokens(
    [*list(string.digits * 3 + " ()+-./xX#;,:"), "p:", "tel:", "\xa0", "٣", "ext"], 25),
    max_size=25), st.sampled_from(["US", "GB", "DE"]))
def test_phones_equivalent_hypothesis_text(values, region):
    assert_phones_equivalent(values, region)


# --- the pieces the phone shortcut is built from, against phonenumbers' own code -----


def candidate_numbers(region: str, rng: random.Random) -> list[str]:
    numbers = [phonenumbers.national_significant_number(n) for n in example_numbers([region])]
    out = set(numbers)
    for nsn in numbers:
        for cut in range(1, len(nsn)):
            out.add(nsn[:cut])
        for _ in range(20):
            chars = list(nsn)
            chars[rng.randrange(len(chars))] = rng.choice(string.digits)
            out.add("".join(chars))
            out.add(nsn + rng.choice(string.digits))
    for _ in range(200):
        out.add("".join(rng.choice(string.digits) for _ in range(rng.randint(2, 17))))
    return sorted(out)


def test_type_checks_equal_the_library_for_every_region():
    rng = random.Random(5)
    for code in sorted(phonenumbers.SUPPORTED_REGIONS):
        region = bulk._region(code)
        metadata = PhoneMetadata.metadata_for_region(code)
        assert region.typed is not None, code
        for nsn in candidate_numbers(code, rng):
            expected = pnu._number_type_helper(nsn, metadata) != PhoneNumberType.UNKNOWN
            assert region.has_type(nsn) == expected, (code, nsn)
            assert (region.typed.fullmatch(nsn) is not None) == expected, (code, nsn)


def test_length_results_equal_the_library_for_every_region():
    for code in sorted(phonenumbers.SUPPORTED_REGIONS):
        metadata = PhoneMetadata.metadata_for_region(code)
        for length in range(0, 21):
            assert (bulk._length_result(length, metadata)
                    == pnu._test_number_length("5" * length, metadata)), (code, length)


def test_country_codes_are_prefix_free():
    codes = {str(c) for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE}
    assert not [(a, b) for a in codes for b in codes if a != b and b.startswith(a)]


def test_every_region_has_a_one_regex_shortcut():
    for code in sorted(phonenumbers.SUPPORTED_REGIONS):
        assert bulk._phone_plan(code).fast is not None, code


# --------------------------------------------------------------------------- phone_words


def old_phone_words(e164):
    """search_terms.phone_words as it was before its NANP shortcut."""
    if not e164:
        return []
    digits = e164.lstrip("+")
    variants = [digits]
    with contextlib.suppress(phonenumbers.NumberParseException):
        variants.append(phonenumbers.national_significant_number(phonenumbers.parse(e164)))
    variants += [digits[-7:], digits[-4:]]
    return list(dict.fromkeys(variants))


def test_phone_words_shortcut_equals_the_old_behaviour():
    rng = random.Random(9)
    values = [None, "", "+", "+1", "+14155550123", "+10155550123", "+11155550123",
              "+1415555012", "+141555501234", "+442079460958", "+49301234567",
              "+390612345678", "+1٤١٥5550123", "+1 415 555 0123", "14155550123", "junk"]
    values += [f"+1{rng.randint(0, 9_999_999_999):010d}" for _ in range(20_000)]
    values += [f"+1{rng.randint(2, 9)}{rng.randint(0, 999_999_999):09d}" for _ in range(5_000)]
    values += [phonenumbers.format_number(n, PhoneNumberFormat.E164)
               for n in example_numbers(sorted(phonenumbers.SUPPORTED_REGIONS))]
    for value in values:
        assert search_terms.phone_words(value) == old_phone_words(value), value


def test_phone_words_shortcut_skips_parse(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("parse called")

    monkeypatch.setattr(search_terms.phonenumbers, "parse", refuse)
    assert search_terms.phone_words("+14155550123") == [
        "14155550123", "4155550123", "5550123", "0123"]
