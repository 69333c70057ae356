"""Payment references: normalising, finding them in remittance text, and near misses.

Payers retype references: case, spaces, dashes and zero padding change on the way ("inv-00042",
"INV 42"). Everything is compared in one normal form so that those differences never matter, and a
typo (one wrong or two swapped characters) is recognised separately, never as an exact hit.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import lru_cache

from stdnum import iso11649
from stdnum.exceptions import ValidationError
from stdnum.iso7064 import mod_97_10

_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
#: Zeros that pad a run of digits (followed by another digit, not preceded by one).
_PADDING_ZEROS = re.compile(r"(?<!\d)0+(?=\d)")
#: Where an RF creditor reference may start; it is printed compact or in groups of four.
_RF_START = re.compile(r"\bRF\d{2}", re.IGNORECASE)
_RF_MAX_LENGTH = 25
_RF_COMPACT = re.compile(r"RF\d{2}[0-9A-Z]{1,21}\Z")
#: A reference-like token: letters and digits, optionally joined by - / . _ (e.g. "AL-2026-03").
_TOKEN = re.compile(r"[0-9A-Za-z]+(?:[-/._][0-9A-Za-z]+)*")
#: Longest run of space-separated tokens joined into one candidate ("AL 2026 03" → "AL202603").
_MAX_JOINED = 3
_MIN_TOKEN_LENGTH = 3
#: A word without digits longer than this is not a piece of a reference split by spaces.
_MAX_PIECE = 4
_HAS_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=1 << 18)
def normalise_reference(s: str) -> str:
    """The comparable form of a reference: upper case, only letters and digits, no zero padding.

    Leading zeros are dropped from every run of digits ("INV-00042" → "INV42"), because banks and
    accounting systems pad numbers to fixed widths; anything shaped like an RF creditor reference is
    kept whole, since its check digits cover every character (valid or not: a typo must stay
    comparable with the original).
    """
    return _strip_padding(_NOT_ALNUM.sub("", s.upper()))


def _strip_padding(compact: str) -> str:
    """`normalise_reference` of a string that is already upper case letters and digits only."""
    if "0" not in compact or _RF_COMPACT.match(compact):
        return compact
    return _PADDING_ZEROS.sub("", compact)


def reference_forms(s: str) -> set[str]:
    """Every form a reference is indexed and looked up under.

    `normalise_reference` strips zeros per run of digits after joining, so "AL-2026-0042" and
    "AL20260042" agree; payers also drop the padding inside a group ("AL-2026-42"), which only
    stripping each group before joining catches. Both forms are used; a collision between forms of
    different references only adds a candidate that party, direction and amount still have to fit.
    """
    if "0" not in s or s.isalnum():
        return {normalise_reference(s)}  # no padding to strip, or no groups: both forms are the same
    groups = [group for group in _NOT_ALNUM.split(s.upper()) if group]
    forms = {_strip_padding("".join(groups))}  # = normalise_reference(s), from the groups already split
    if len(groups) > 1:
        forms.add("".join([_strip_padding(group) for group in groups]))
    forms.discard("")
    return forms


@lru_cache(maxsize=1 << 16)
def is_valid_rf(s: str) -> bool:
    """True when `s` is an ISO 11649 creditor reference ("RF" + check digits) with correct check digits."""
    if _RF_COMPACT.match(s):
        # Already compact: the same ISO 7064 mod 97-10 check stdnum's iso11649 runs, minus its cleaning.
        return mod_97_10.is_valid(s[4:] + s[:4])
    try:
        iso11649.validate(s)
    except ValidationError:
        return False
    return True


def _printed_rfs(text: str) -> Iterator[str]:
    """Valid RF references, taking the longest run of following groups whose check digits hold."""
    for start in _RF_START.finditer(text):
        groups = text[start.start() :].split()
        head, rest = groups[0], groups[1:7]
        for count in range(len(rest), -1, -1):
            candidate = (head + "".join(rest[:count])).upper()
            if len(candidate) <= _RF_MAX_LENGTH and is_valid_rf(candidate):
                yield normalise_reference(candidate)
                break


def _word_parts(word: str) -> tuple[str, str, bool]:
    """What every run a token is part of needs from it, computed once per token (not once per run):
    its compact form (upper case, separators dropped), its groups each normalised alone and joined,
    and whether it has more than one group."""
    groups = _NOT_ALNUM.split(word.upper())  # a _TOKEN match: no empty groups
    compact = "".join(groups)
    if "0" not in compact:
        return compact, compact, len(groups) > 1  # without a zero, normalising changes nothing
    return compact, "".join([_strip_padding(group) for group in groups]), len(groups) > 1


#: The `_word_parts` of a word that is no piece of a reference: never read, since no run is built with it.
_NOT_A_PIECE = ("", "", False)


def _run_forms(parts: list[tuple[str, str, bool]]) -> tuple[str, ...]:
    """`reference_forms` of the run's tokens joined by spaces, built from their `_word_parts`.

    The joined run's normal form is that of its compact form ("AL 2026" and "AL2026" alike); the form
    with each group normalised alone differs only where there is a zero and more than one group.
    """
    if len(parts) == 1:
        compact, grouped, split = parts[0]
    else:
        compact = "".join([part[0] for part in parts])
        grouped = "".join([part[1] for part in parts])
        split = True
    if "0" not in compact:
        return (compact,)
    first = _strip_padding(compact)
    return (first, grouped) if split else (first,)


def extract_references(text: str | None) -> set[str]:
    """Every normalised reference candidate in remittance text.

    Candidates are the printed RF references plus every token (and runs of up to three adjacent tokens,
    since payers split numbers with spaces) that contains a digit and is at least three characters long,
    in each of its `reference_forms`.
    Candidates are only ever looked up in an index of known references, so noise costs nothing.
    """
    if not text:
        return set()
    found: set[str] = set()
    if _RF_START.search(text):  # most texts print none: skip setting up the walk over them
        found.update(_printed_rfs(text))
    tokens = _TOKEN.findall(text)
    digits = [_HAS_DIGIT.search(token) is not None for token in tokens]
    # A piece could be part of a reference split by spaces: it has a digit or is short.
    pieces = [digit or len(token) <= _MAX_PIECE for token, digit in zip(tokens, digits)]
    # Only pieces take part in a run with a digit (a long word without one is not a piece).
    parts = [_word_parts(token) if piece else _NOT_A_PIECE for token, piece in zip(tokens, pieces)]
    # Each token alone, and joined with up to two following tokens (payers split numbers by spaces)
    # when every token of the run is a piece; runs without a digit are no reference.
    for start in range(len(tokens)):
        if not pieces[start]:
            continue
        has_digit = False
        for end in range(start + 1, min(start + _MAX_JOINED, len(tokens)) + 1):
            if not pieces[end - 1]:
                break
            has_digit = has_digit or digits[end - 1]
            if has_digit:
                for normal in _run_forms(parts[start:end]):
                    if len(normal) >= _MIN_TOKEN_LENGTH:
                        found.add(normal)
    return found


def near_miss(a: str, b: str) -> str | None:
    """Why two references are nearly the same, or None.

    Compares the normalised forms (positions in the reason count in them). Recognises exactly one
    substituted character or one pair of swapped adjacent characters; references that normalise
    equal are not a near miss (that is an exact match).
    """
    a, b = normalise_reference(a), normalise_reference(b)
    if a == b or len(a) != len(b):
        return None
    diffs = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    if len(diffs) == 1:
        i = diffs[0]
        return f"one character differs at position {i + 1} ({a[i]!r} vs {b[i]!r})"
    if len(diffs) == 2 and diffs[1] == diffs[0] + 1:
        i = diffs[0]
        if a[i] == b[i + 1] and a[i + 1] == b[i]:
            return f"adjacent characters swapped at positions {i + 1}-{i + 2} ({a[i:i + 2]!r} vs {b[i:i + 2]!r})"
    return None


def _deletions(reference: str) -> set[str]:
    return {reference[:i] + reference[i + 1 :] for i in range(len(reference))}


class NearMissIndex:
    """Finds indexed references one substitution or adjacent swap away, without comparing all pairs.

    Deletion neighbourhood: both a substitution and an adjacent swap leave the two strings sharing a
    one-character deletion, so each reference is filed under its deletions and a query only looks at
    the references filed under its own; `near_miss` then confirms each candidate.
    """

    def __init__(self) -> None:
        self._by_deletion: dict[str, set[str]] = defaultdict(set)
        self._lengths: set[int] = set()

    def add(self, reference: str) -> None:
        self._lengths.add(len(reference))
        for key in _deletions(reference):
            self._by_deletion[key].add(reference)

    def add_all(self, references: Iterable[str]) -> None:
        for reference in references:
            self.add(reference)

    def lookup(self, query: str) -> list[tuple[str, str]]:
        """Indexed references that are a near miss of `query`, with the reason, in sorted order."""
        if len(query) not in self._lengths:
            return []  # both kinds of near miss keep the length
        by_deletion = self._by_deletion
        candidates: set[str] = set()
        for i in range(len(query)):
            hit = by_deletion.get(query[:i] + query[i + 1 :])
            if hit:
                candidates |= hit
        if not candidates:
            return []
        result = []
        for reference in sorted(candidates):
            reason = near_miss(query, reference)
            if reason is not None:
                result.append((reference, reason))
        return result


def near_miss_pairs(queries: Iterable[str], references: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """For each query, the references that are a near miss of it, with `near_miss(query, ref)`.

    Indexes whichever side is smaller and probes with the other, so a day's few unmatched transfers
    against a hundred thousand open invoices costs one pass over the invoices' references, not an
    index of all of them.
    """
    query_set, reference_set = set(queries), set(references)
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    if len(query_set) <= len(reference_set):
        index = NearMissIndex()
        index.add_all(query_set)
        for reference in sorted(reference_set):
            for query, _ in index.lookup(reference):
                found[query].append((reference, near_miss(query, reference) or ""))
    else:
        index = NearMissIndex()
        index.add_all(reference_set)
        for query in sorted(query_set):
            pairs = index.lookup(query)
            if pairs:
                found[query].extend(pairs)
    return {query: sorted(pairs) for query, pairs in found.items()}
