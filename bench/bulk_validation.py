"""Bulk email and phone validation speed: N realistic spreadsheet values (default
1,000,000 of each) through normalize_emails / normalize_phones, against the per-value
loop through normalize_email / normalize_phone (timed on a sample and scaled up, unless
--full-loop). Also checks that both give the same answers on the sample. Prints
seconds; not a test.

    python bench/bulk_validation.py [--count N] [--sample N] [--full-loop] [--region US]
"""

from __future__ import annotations

import argparse
import random
import time

FIRST = ["jessica", "ashley", "sarah", "emily", "amanda", "megan", "lauren", "rachel",
         "maria", "jennifer", "nicole", "stephanie", "brittany", "samantha", "kayla",
         "michael", "david", "chris", "daniel", "olivia", "sofia", "chloe", "grace"]
LAST = ["smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis",
        "rodriguez", "martinez", "hernandez", "lopez", "gonzalez", "wilson", "anderson",
        "thomas", "taylor", "moore", "jackson", "martin", "lee", "perez", "thompson"]
DOMAINS = ["gmail.com"] * 10 + ["yahoo.com"] * 4 + ["hotmail.com"] * 3 + [
    "outlook.com", "icloud.com", "aol.com", "comcast.net", "msn.com", "live.com",
    "protonmail.com", "att.net", "verizon.net", "me.com", "sbcglobal.net"]
AREA = [201, 212, 213, 310, 312, 323, 347, 404, 408, 415, 469, 512, 602, 617, 646, 702,
        713, 718, 773, 786, 813, 832, 917, 949, 954]


def realistic_emails(count: int, rng: random.Random) -> list[str]:
    out = []
    for _ in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        roll = rng.random()
        if roll < 0.45:
            local = f"{first}.{last}{rng.randint(1, 99)}"
        elif roll < 0.7:
            local = f"{first}{last}{rng.randint(1970, 2005)}"
        elif roll < 0.85:
            local = f"{first[0]}{last}{rng.randint(1, 999)}"
        else:
            local = f"{first}_{last}.{rng.randint(1, 9999)}"
        value = f"{local}@{rng.choice(DOMAINS)}"
        roll = rng.random()
        if roll < 0.05:
            value = value.title()  # Jessica.Smith42@Gmail.Com
        elif roll < 0.07:
            value = f" {value} "
        elif roll < 0.08:
            value = ""  # no email given
        elif roll < 0.085:
            value = value.replace("@", " at ")  # invalid
        elif roll < 0.088:
            value = value.replace(".com", ".con,")  # invalid
        out.append(value)
    return out


def realistic_phones(count: int, rng: random.Random) -> list[str]:
    out = []
    for _ in range(count):
        a = rng.choice(AREA)
        b = rng.randint(200, 999)
        c = rng.randint(0, 9999)
        shape = rng.random()
        if shape < 0.3:
            value = f"({a}) {b}-{c:04d}"
        elif shape < 0.55:
            value = f"+1 {a}-{b}-{c:04d}"
        elif shape < 0.75:
            value = f"p:+1{a}{b}{c:04d}"
        elif shape < 0.93:
            value = f"{a}{b}{c:04d}"
        elif shape < 0.96:
            value = f"{a}.{b}.{c:04d}"
        elif shape < 0.98:
            value = ""  # no phone given
        elif shape < 0.99:
            value = f"{b}-{c:04d}"  # no area code: invalid
        else:
            value = f"1-{a}-{b}-{c:04d}"
        out.append(value)
    return out


def loop(function, values, *args):
    out = []
    for value in values:
        if not value.strip():
            out.append((None, None))
            continue
        try:
            out.append((function(value, *args), None))
        except ValueError as exc:
            out.append((None, str(exc)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000,
                        help="values timed through the per-value loop (then scaled up)")
    parser.add_argument("--full-loop", action="store_true",
                        help="run the per-value loop over all values (minutes)")
    parser.add_argument("--region", default="US")
    args = parser.parse_args()

    from orchid_desktop.domain.bulk_contact_points import normalize_emails, normalize_phones
    from orchid_desktop.domain.contact_points import normalize_email, normalize_phone

    rng = random.Random(20240607)
    emails = realistic_emails(args.count, rng)
    phones = realistic_phones(args.count, rng)
    print(f"{args.count:,} emails, {args.count:,} phones (region {args.region}), "
          f"{len(set(emails)):,} and {len(set(phones)):,} distinct")

    for name, bulk, single, values, extra in (
            ("emails", normalize_emails, normalize_email, emails, ()),
            ("phones", normalize_phones, normalize_phone, phones, (args.region,))):
        started = time.perf_counter()
        result, errors = bulk(values, *extra)
        bulk_seconds = time.perf_counter() - started
        sample = values if args.full_loop else values[:args.sample]
        started = time.perf_counter()
        expected = loop(single, sample, *extra)
        loop_seconds = (time.perf_counter() - started) * len(values) / len(sample)
        got = list(zip(result, errors, strict=False))[:len(sample)]
        same = "same answers" if got == expected else "DIFFERENT ANSWERS"
        scaled = "" if args.full_loop else f" (scaled from {len(sample):,})"
        print(f"{name}: bulk {bulk_seconds:6.2f} s   per-value loop {loop_seconds:7.1f} s"
              f"{scaled}   x{loop_seconds / bulk_seconds:,.0f}   "
              f"{sum(e is not None for e in errors):,} errors   {same} on {len(sample):,}")


if __name__ == "__main__":
    main()
