"""Words in journal prose: counts spelled out where a sentence opens with them, dates, no-break spaces.

Style manuals (AMA 11th ed. 18.2.1, ICMJE-following journals) never open a sentence with a numeral: a
count is spelled out ("Fifty-one patients ..."). ``keep_together`` puts no-break spaces (U+00A0) inside
"P < 0.001", "P = 0.03" and "95% CI", so a line never breaks inside them (HTML and DOCX alike).
"""

from __future__ import annotations

import datetime as dt
import re

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
NBSP = "\u00a0"


def _below_1000(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    rest = n % 100
    return f"{_ONES[n // 100]} hundred" + ("" if rest == 0 else f" and {_below_1000(rest)}")


def number_words(n, capital: bool = False) -> str:
    """A whole number 0-999,999 in words (British usage: "one hundred and five"); larger ones as digits."""
    n = int(n)
    if not 0 <= n < 1_000_000:
        return f"{n:,}"
    if n < 1000:
        text = _below_1000(n)
    else:
        thousands, rest = divmod(n, 1000)
        text = f"{_below_1000(thousands)} thousand"
        if rest:
            text += (" and " if rest < 100 else " ") + _below_1000(rest)
    return text[:1].upper() + text[1:] if capital else text


def format_date(value, kind: str = "date") -> str:
    """An ISO date as prose: ``month`` -> "March 2007", ``date`` -> "25 August 2019"."""
    d = dt.date.fromisoformat(str(value)[:10])
    return f"{d:%B %Y}" if kind == "month" else f"{d.day} {d:%B %Y}"


_SENTENCE_END = re.compile(r"(^|[.!?])\s*$")   # a colon does not end a sentence ("No: 23 patients")


def no_numeral_openings(pieces: list, num_type, format_value, ctx) -> list:
    """Spell out a count (kind ``int``) that opens a sentence; other pieces unchanged."""
    out = []
    for p in pieces:
        opens = not out or (isinstance(out[-1], str) and _SENTENCE_END.search(out[-1]))
        if opens and isinstance(p, num_type) and p.kind == "int" and p.text[:1].isdigit():
            p = num_type(format_value(ctx, "words", p.value), p.path, p.value, "words")
        out.append(p)
    return out


_P = re.compile(r"\bP ([<=>\u2264\u2265]) (?=[.\d])")
_CI = re.compile(r"(\d+(?:\.\d+)?%) CI(?=s?\b)")


def keep_together(text: str) -> str:
    """No-break spaces inside "P < 0.001", "P = .03" and "95% CI" (U+00A0)."""
    if not isinstance(text, str):
        return text
    return _CI.sub(rf"\1{NBSP}CI", _P.sub(rf"P{NBSP}\1{NBSP}", text))


#: Patient ids written out in a table note at most (a registry model may leave out 10^5 patients).
MAX_LISTED_IDS = 20


def id_list(ids, where: str, limit: int = MAX_LISTED_IDS) -> str:
    """``ids`` joined by commas; above ``limit`` the first ``limit`` and how many more, with ``where`` every id
    is listed (e.g. "results.json, cox[].dropped_patients")."""
    ids = [str(i) for i in ids]
    if len(ids) <= limit:
        return ", ".join(ids)
    return f"{', '.join(ids[:limit])} and {len(ids) - limit:,} more (every id: {where})"
