"""The search box's syntax, parsed here into a safe SQLite FTS5 expression.

What a user may type (``q``):

- plain words: every word must match (stemmed by the index's Porter tokenizer, so
  *repatriate* finds *repatriation*); a word of four letters or more also matches the longer
  words that start with its stem (*identification* -> stem *identif* -> *identify*,
  *identified*), listed after the steps found by the words themselves (``strict``); the
  price: *police* (stem *polic*) also finds *policy* (*polici*) there. A British or
  American spelling finds the other where the index holds it (*labour* / *labor*,
  *programme* / *program*, *centre* / *center*, *organisation* / *organization*); a compound
  finds its two halves written apart (*hotline* -> "hot line") and two words find their
  compound;
  common English words (*of*, *the*, *for*...) are left out unless they are all there is;
- ``"quoted phrases"``: the words in this order, next to each other;
- ``OR`` between two terms: either (``shelter OR hotline training`` is
  ``(shelter OR hotline) AND training``);
- ``NOT`` or ``-`` before a term: steps without it;
- a trailing ``*``: a prefix of at least three letters (``traffick*``, ``"victim ident"*``).

Everything else is text: parentheses, colons (``text:``), ``NEAR``, ``^`` and lone ``*`` are
never FTS5 syntax, because every term is reduced to its words (runs of letters and digits)
and put in double quotes. Control characters (NUL...) are removed. A query that still cannot
be searched (no words at all, too long, too many terms, a prefix of fewer than three letters)
is a :class:`QueryError` naming
``q``; the caller also turns an FTS5 error into one, so a user never causes a 500.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from plangraph.errors import QueryError

PARAM = "q"
MAX_LENGTH = 1000  # characters of q
MAX_TERMS = 32  # terms (words, phrases) in q
PREFIX_MIN = 4  # a plain word this long also matches longer words starting with its stem
EXPLICIT_PREFIX_MIN = 3  # letters before a typed * (t* would expand to most of the index)
COMPOUND_PART_MIN = 3  # each half of a compound split ("hot" + "line")

_WORD = re.compile(r"[^\W_]+")
STOP_WORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is"}
    | {"it", "its", "of", "on", "or", "the", "their", "to", "with"}
)
# British <-> American spellings: (pattern, replacement) on one lower-cased word; a variant is
# used only when the index holds that word (plangraph.views.search.build keeps its vocabulary).
_SUFFIXES = "(?=(?:s|ed|ing|al|ism|ist|ite|able)?$)"
SPELLING_VARIANTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"(?<=\w{3})our" + _SUFFIXES, "or"),  # labour -> labor
        (r"(?<=\w{3})or" + _SUFFIXES, "our"),  # labor -> labour
        (r"(?<=\w{2})is(?=(?:e|es|ed|ing|ation|ations|er|ers)$)", "iz"),  # organise
        (r"(?<=\w{2})iz(?=(?:e|es|ed|ing|ation|ations|er|ers)$)", "is"),  # organize
        (r"(?<=\w{2})ys(?=(?:e|es|ed|ing)$)", "yz"),  # analyse
        (r"(?<=\w{2})yz(?=(?:e|es|ed|ing)$)", "ys"),  # analyze
        (r"(?<=\w{2})tre(s?)$", r"ter\1"),  # centre -> center
        (r"(?<=\w{2})ter(s?)$", r"tre\1"),  # center -> centre
        (r"(?<=\w)mme(s?)$", r"m\1"),  # programme -> program
        (r"(?<=\w{3}[aeiou])m(s?)$", r"mme\1"),  # program -> programme
        (r"ll(ed|ing|er|ers|or|ors)$", r"l\1"),  # counselling -> counseling
        (r"(?<=[aeiou])l(ed|ing|er|ers|or|ors)$", r"ll\1"),  # counseling -> counselling
        (r"(?<=\w{2})ence$", "ense"),  # defence -> defense
        (r"(?<=\w{2})ense$", "ence"),  # defense -> defence
        (r"(?<=\w{2})ogue(s?)$", r"og\1"),  # dialogue -> dialog
        (r"(?<=\w{2})og(s?)$", r"ogue\1"),  # dialog -> dialogue
    )
)


def fold(text: str) -> str:
    """Lower case without diacritics: how the index's tokenizer (unicode61,
    remove_diacritics 2) compares words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of ``text`` as the index sees them (folded runs of letters and digits)."""
    return _WORD.findall(fold(text))


def _clean(text: str) -> str:
    """Control, format, surrogate, private-use and unassigned characters -> spaces (NUL ends
    an FTS5 query string early; a lone surrogate cannot be encoded for SQLite)."""
    return "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    phrase: bool = False  # typed in double quotes
    prefix: bool = False  # typed with a trailing *
    negated: bool = False  # typed after NOT or -

    @property
    def plain_word(self) -> str | None:
        """The word of a plain one-word term (not quoted, not a prefix), else None."""
        if self.phrase or self.prefix or len(self.words) != 1:
            return None
        return self.words[0]


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # q as given
    groups: tuple[tuple[Term, ...], ...]  # AND of groups, each an OR of terms
    excluded: tuple[Term, ...] = ()
    expression: str = ""  # the FTS5 MATCH expression
    strict: str = ""  # the same without the longer words of a stem (ranked first)
    ignored: tuple[str, ...] = field(default_factory=tuple)  # stop words left out

    @property
    def terms(self) -> list[Term]:
        return [t for g in self.groups for t in g]


_OR, _NOT = "OR", "NOT"


def _lex(q: str) -> list[Term | str]:
    """Terms and the operators OR / NOT, in order."""
    out: list[Term | str] = []
    i, n = 0, len(q)
    negate = False
    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
            continue
        if c == '"':
            end = q.find('"', i + 1)
            end = n if end < 0 else end
            body, i = q[i + 1 : end], end + 1
            prefix = False
            while i < n and q[i] == "*":
                prefix, i = True, i + 1
            out.append(Term(tuple(words(body)), phrase=True, prefix=prefix, negated=negate))
            negate = False
            continue
        end = i
        while end < n and not q[end].isspace() and q[end] != '"':
            end += 1
        chunk, i = q[i:end], end
        if chunk in (_OR, _NOT, "AND"):
            if chunk == _NOT:
                negate = True
            elif chunk == _OR:
                out.append(_OR)
            continue
        if chunk.startswith("-") and len(chunk) > 1:
            negate, chunk = True, chunk.lstrip("-")
        prefix = chunk.endswith("*")
        found = tuple(words(chunk))
        out.append(Term(found, phrase=len(found) > 1, prefix=prefix, negated=negate))
        negate = False
    return out


def _quote(tokens: Sequence[str]) -> str:
    return '"' + " ".join(tokens) + '"'  # tokens are letters and digits: no quote inside


def variants(word: str, vocabulary: Collection[str]) -> list[str]:
    """Other spellings of ``word`` that the index holds (British / American)."""
    out = []
    for pattern, replacement in SPELLING_VARIANTS:
        other = pattern.sub(replacement, word, count=1)
        if other != word and other in vocabulary and other not in out:
            out.append(other)
    return out


def compound_splits(word: str, vocabulary: Collection[str]) -> list[tuple[str, str]]:
    """``word`` as two words the index holds (hotline -> hot, line)."""
    out = []
    for i in range(COMPOUND_PART_MIN, len(word) - COMPOUND_PART_MIN + 1):
        head, rest = word[:i], word[i:]
        if head in vocabulary and rest in vocabulary:
            out.append((head, rest))
    return out


def term_expression(term: Term, vocabulary: Collection[str], expand: bool = True) -> str:
    """One term as an FTS5 expression: a quoted phrase, a prefix, or a word with the
    alternatives described in the module docstring (``expand``: with the longer words of its
    stem)."""
    star = " *" if term.prefix else ""
    word = term.plain_word
    if word is None:
        base = _quote(term.words) + star
        joined = "".join(term.words)
        if not term.phrase or term.prefix or len(term.words) != 2 or joined not in vocabulary:
            return base
        return f"({base} OR {_quote([joined])})"  # "cross border" also finds crossborder
    alternatives: list[str] = []
    for w in [word, *variants(word, vocabulary)]:
        alternatives.append(_quote([w]))
        if expand and len(w) >= PREFIX_MIN and w.isalpha():
            alternatives.append(_quote([w]) + " *")
    for head, rest in compound_splits(word, vocabulary):
        alternatives.append(_quote([head, rest]))
    return alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")"


def _group_expression(group: Sequence[Term], vocabulary: Collection[str], expand: bool) -> str:
    parts = [term_expression(t, vocabulary, expand) for t in group]
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def parse(q: str, vocabulary: Collection[str] = frozenset()) -> ParsedQuery | None:
    """``q`` as a safe FTS5 expression, or None for an empty (blank) query.

    ``vocabulary``: the folded words the index holds (for spelling variants and compounds).
    Raises :class:`QueryError` (param ``q``) for a query with nothing to search for, longer
    than :data:`MAX_LENGTH` characters, with more than :data:`MAX_TERMS` terms or with a
    prefix shorter than :data:`EXPLICIT_PREFIX_MIN` (what limits the cost of a search: the
    worst is a few hundred milliseconds for a page of 1000 hits).
    """
    if len(q) > MAX_LENGTH:
        raise QueryError(f"longer than {MAX_LENGTH} characters", param=PARAM)
    text = _clean(q)
    if not text.strip():
        return None
    items = _lex(text)
    if sum(1 for t in items if isinstance(t, Term)) > MAX_TERMS:
        raise QueryError(f"more than {MAX_TERMS} terms", param=PARAM)
    usable = [t for t in items if not isinstance(t, Term) or t.words]
    for t in usable:
        if isinstance(t, Term) and t.prefix and len(t.words[-1]) < EXPLICIT_PREFIX_MIN:
            raise QueryError(
                f"a prefix needs at least {EXPLICIT_PREFIX_MIN} letters before the * "
                f"({t.words[-1]}*)",
                param=PARAM,
            )
    positive_words = [t.plain_word for t in usable if isinstance(t, Term) and not t.negated]
    only_stop = all(w in STOP_WORDS for w in positive_words if w is not None) and all(
        w is not None for w in positive_words
    )
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    ignored: list[str] = []
    pending_or = False
    for item in usable:
        if item == _OR:
            pending_or = bool(groups)
            continue
        assert isinstance(item, Term)
        if item.negated:
            excluded.append(item)
            pending_or = False
            continue
        if item.plain_word in STOP_WORDS and not only_stop:
            ignored.append(item.plain_word or "")
            continue
        if pending_or:
            groups[-1].append(item)
        else:
            groups.append([item])
        pending_or = False
    if not groups:
        what = "only excluded terms" if excluded else "no words to search for"
        raise QueryError(f"{what} in {q[:80]!r}", param=PARAM)
    return ParsedQuery(
        text=q,
        groups=tuple(tuple(g) for g in groups),
        excluded=tuple(excluded),
        expression=_expression(groups, excluded, vocabulary, expand=True),
        strict=_expression(groups, excluded, vocabulary, expand=False),
        ignored=tuple(ignored),
    )


def _expression(
    groups: Sequence[Sequence[Term]],
    excluded: Sequence[Term],
    vocabulary: Collection[str],
    expand: bool,
) -> str:
    """The FTS5 expression of the AND of ``groups`` without the ``excluded`` terms;
    ``expand``: plain words also match longer words of their stem."""
    parts: list[str] = []
    i = 0
    while i < len(groups):  # two plain words side by side also find their compound
        here = groups[i]
        nxt = groups[i + 1] if i + 1 < len(groups) else None
        if (
            nxt is not None
            and len(here) == 1
            and len(nxt) == 1
            and here[0].plain_word
            and nxt[0].plain_word
            and (joined := f"{here[0].plain_word}{nxt[0].plain_word}") in vocabulary
        ):
            first = _group_expression(here, vocabulary, expand)
            second = _group_expression(nxt, vocabulary, expand)
            parts.append(f"(({first} AND {second}) OR {_quote([joined])})")
            i += 2
            continue
        parts.append(_group_expression(here, vocabulary, expand))
        i += 1
    expression = " AND ".join(parts)
    if excluded:
        negative = " OR ".join(term_expression(t, vocabulary) for t in excluded)
        expression = f"({expression}) NOT ({negative})"
    return expression
