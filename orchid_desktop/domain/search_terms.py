"""What a person can be found by, as one string of words, and how typed text becomes a
search for those words.

Both databases index the same string (FTS5 on SQLite, a GIN ``tsvector`` on PostgreSQL),
so a search finds the same people on either. Words are folded here, in Python, rather
than by each database's tokenizer: accents removed, lower-cased, split on anything that
is not a letter or digit. A phone number is indexed under several suffixes so that
"555-0123", "(415) 555-0123" and "+1 415 555 0123" all find ``+14155550123``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import phonenumbers

_WORD = re.compile(r"[^\W_]+")
# At most this many words of a query are used: enough for a full name and an address.
MAX_QUERY_WORDS = 6


def fold(text: str) -> list[str]:
    """The words of ``text``, accent-free and lower-case."""
    if text.isascii():
        # the same words, faster (imports fold a million names): ASCII has nothing to
        # decompose and its case folding is lower()
        return _WORD.findall(text.lower())
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WORD.findall(stripped.casefold())


_PHONE_LIKE = re.compile(r"^[\s\d()+.\-/]+$")
# A NANP number in E.164 (+1 and ten ASCII digits, the first 2-9).
_NANP_E164 = re.compile(r"\+1[2-9][0-9]{9}")


def phone_words(e164: str | None) -> list[str]:
    """The number in full, its national number (without country code or trunk 0), and
    its last 7 and 4 digits: whichever way it is typed, one of these begins with it."""
    if not e164:
        return []
    digits = e164.lstrip("+")
    variants = [digits]
    if _NANP_E164.fullmatch(e164):
        # What parse would give, without its cost: +1 is the US's code; a national number
        # starting 2-9 has no national prefix ("1") to strip, so it is the 10 digits.
        variants.append(e164[2:])
    else:
        try:
            variants.append(phonenumbers.national_significant_number(phonenumbers.parse(e164)))
        except phonenumbers.NumberParseException:
            pass
    variants += [digits[-7:], digits[-4:]]
    return list(dict.fromkeys(variants))


def search_text(first_name: str | None, last_name: str | None, email: str | None,
                phone_e164: str | None) -> str:
    words: list[str] = []
    for part in (first_name, last_name, email):
        if part:
            words += fold(part)
    words += phone_words(phone_e164)
    return " ".join(dict.fromkeys(words))


def query_words(typed: str) -> list[str]:
    """The words of what was typed, each to be matched as a word prefix. Something typed
    like a phone number ("020 7946 0958", "(415) 555-0123") is one word of its digits,
    without a national trunk 0, so it meets one of ``phone_words``."""
    if _PHONE_LIKE.match(typed) and sum(ch.isdigit() for ch in typed) >= 3:
        digits = "".join(ch for ch in typed if ch.isdigit())
        if not typed.strip().startswith("+") and len(digits) >= 9:
            digits = digits.lstrip("0") or digits  # a national number's trunk prefix
        return [digits]
    return list(dict.fromkeys(fold(typed)))[:MAX_QUERY_WORDS]


def fts5_query(words: Iterable[str]) -> str:
    """An FTS5 MATCH expression: every word as a quoted prefix (quotes make operators
    such as AND or NEAR typed by a user plain words)."""
    return " AND ".join(f'"{w}"*' for w in words)


def tsquery(words: Iterable[str]) -> str:
    """A PostgreSQL ``to_tsquery('simple', …)`` expression of word prefixes. Words hold
    only letters and digits (see ``fold``), so nothing here needs escaping."""
    return " & ".join(f"{w}:*" for w in words)
