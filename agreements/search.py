"""Word search for the `q` parameter, the same results on both databases.

A query is terms, all of which a row must hold. A term is a word, a "quoted phrase" (its words
one after another), or alternatives joined by OR (`GCAP OR LNG`); a word matches the words it
begins, in any case and with or without accents ("elysee" finds "Élysée"), but a word of one or
two Latin letters or digits only itself ("UK", not "Ukraine"). Punctuation is not a word (`-` and
`&` are passed by), and letters written with dots are one word ("A.I." is "ai").

A row's searched text: a meeting's title, summary, city and venue, and the names of its countries
and leaders; a commitment's summary, detail, its topic's name and its parties' names, or its
meeting's text. A country is named by its name, official name, other names ("UK", "Britain") and
codes (migration 0028).

Each term is looked up in a full-text index, never by reading every row. On PostgreSQL each row
keeps its text as a stored `tsvector` column (`search_document`) with a GIN index, made with the
`search_words` configuration (`unaccent`, then `simple`: no stemming makes one database find
what the other misses), queried with prefix matching (`word:*`); on SQLite it is an FTS5 table
that removes diacritics, queried with a prefix (`"word"*`).

A search is planned once per list (`Search`): one query counts how many indexed rows each term
matches (up to BROAD), the narrowest term is looked up first, and a search whose every term is
broad reads the rows in the list's order instead of collecting and sorting its matches.

Leaders, countries and agreements, short tables, are matched by a regular expression in which
each letter stands for itself with or without accents (`text_matches`).
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import BooleanField, F, Func, Q
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In

# Letters and digits only: PostgreSQL's parser splits words at an underscore, so SQLite must too.
WORD = re.compile(r"[^\W_]+")
# Letters written with dots (A.I., U.S.A.): one word.
DOTTED = re.compile(r"(?<![^\W_])(?:[^\W\d_]\.)+[^\W\d_](?![^\W_])\.?")
# A quoted phrase (to the closing quote or the end) or anything else up to a space.
TOKEN = re.compile(r'"([^"]*)"?|([^\s"]+)')
QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})
OR = "OR"
MAX_QUERY_LENGTH = 200  # characters of a query
MAX_WORDS = 10  # words of a query, counting each word of a phrase and of each alternative
MAX_ALTERNATIVES = 5  # alternatives joined by OR in one term
BROAD = 1_000  # rows a term matches in an index beyond which a search reads rows in list order

# The indexed text of each searchable table; migration 0028 indexes exactly these columns.
INDEXED = {
    "agreements_meeting": ("title", "summary", "city", "venue", "names"),
    "agreements_commitment": ("summary", "detail", "names"),
}


def words(text):
    """The words of `text`, lower-cased, letters written with dots made one word."""
    text = DOTTED.sub(lambda match: match.group().replace(".", ""), text or "")
    return [word.lower() for word in WORD.findall(text)]


def terms(text):
    """The terms of a query: a tuple of terms, each a tuple of alternatives, each a tuple of words
    (a phrase, or one word). Raises ValidationError when the query holds more than MAX_WORDS
    words or a term more than MAX_ALTERNATIVES alternatives."""
    found, joined = [], False
    for quoted, bare in TOKEN.findall((text or "").translate(QUOTES)):
        if quoted == "" and bare == OR:
            joined = bool(found)
            continue
        phrase = tuple(words(quoted if bare == "" else bare))
        if not phrase:
            continue
        if joined and found:
            found[-1] = (*found[-1], phrase)
        else:
            found.append((phrase,))
        joined = False
    count = sum(len(phrase) for term in found for phrase in term)
    if count > MAX_WORDS:
        raise ValidationError(
            "Search for at most %(limit)d words (this search has %(count)d).",
            code="too_many_words",
            params={"limit": MAX_WORDS, "count": count},
        )
    if any(len(term) > MAX_ALTERNATIVES for term in found):
        raise ValidationError(
            "Join at most %(limit)d alternatives with OR.",
            code="too_many_alternatives",
            params={"limit": MAX_ALTERNATIVES},
        )
    return tuple(dict.fromkeys(tuple(dict.fromkeys(term)) for term in found))


def as_text(query_terms):
    """The terms written back as a query: `"joint statement" OR gcap lng`."""

    def phrase(words_):
        return words_[0] if len(words_) == 1 else f'"{" ".join(words_)}"'

    return " ".join(f" {OR} ".join(phrase(p) for p in term) for term in query_terms)


def whole(word):
    """Whether `word` matches only itself, not the words it begins: a word of one or two Latin
    letters or digits is a code or an abbreviation ("UK" is not "Ukraine", "AI" not "aid")."""
    return len(word) <= 2 and word.isascii()


def tsquery(term):
    """PostgreSQL: the tsquery of a term, each word matching the words it begins."""
    return " | ".join(
        " <-> ".join(f"'{word}'" if whole(word) else f"'{word}':*" for word in phrase) for phrase in term
    )


def fts_query(term):
    """SQLite: the FTS5 query of a term, each word matching the words it begins."""
    return " OR ".join(
        " + ".join(f'"{word}"' if whole(word) else f'"{word}"*' for word in phrase) for phrase in term
    )


def with_word(model, term, vendor):
    """The primary keys of `model`'s rows whose indexed text holds `term`."""
    table = model._meta.db_table
    if vendor == "postgresql":
        return RawSQL(
            f"SELECT id FROM {table} WHERE search_document @@ to_tsquery('search_words', %s)", [tsquery(term)]
        )
    return RawSQL(f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH %s", [fts_query(term)])


def has_word(model, term):
    """PostgreSQL: that a row of `model` being read (a commitment or its meeting, for a meeting's
    text) holds `term`, from the row's stored document."""
    from .models import Meeting

    table = model._meta.db_table
    condition = "search_document @@ to_tsquery('search_words', %s)"
    if model is Meeting:
        return RawSQL(f"{table}.{condition}", [tsquery(term)], output_field=BooleanField())
    return RawSQL(
        f"{table}.{condition} OR EXISTS (SELECT 1 FROM agreements_meeting m "
        f"WHERE m.id = {table}.meeting_id AND m.{condition})",
        [tsquery(term)] * 2,
        output_field=BooleanField(),
    )


def _folded_letters():
    """{a base letter: a regular expression class of it and its accented forms}."""
    forms = {}
    for code in range(0xC0, 0x250):
        letter = chr(code)
        base = unicodedata.normalize("NFKD", letter)[0].lower()
        if base.isascii() and base.isalpha() and letter.lower() != base:
            forms.setdefault(base, {base}).add(letter.lower())
    return {base: f"[{''.join(sorted(letters))}]" for base, letters in forms.items()}


FOLDED = _folded_letters()


def fold(word):
    """`word` without the accents of Latin letters (not those of other scripts)."""
    return "".join(
        base if (base := unicodedata.normalize("NFKD", letter)[0]).isascii() and letter.isalpha() else letter
        for letter in word
    )


def word_pattern(word):
    """A regular expression for `word`, each Latin letter with or without an accent."""
    return "".join(FOLDED.get(letter, re.escape(letter)) for letter in fold(word))


def text_matches(fields, query_terms, vendor, inside_words=False):
    """A condition that the text of `fields` holds every term: each word where a word of the text
    begins (or anywhere, with `inside_words`), a phrase's words one after the other. For short
    tables, read whole."""
    if vendor == "postgresql":
        start, gap, end = ("" if inside_words else r"\m"), r"\w*\W+", r"\M"
    else:
        start, gap, end = ("" if inside_words else r"(?<![^\W_])"), r"[^\W_]*[\W_]+", r"(?![^\W_])"

    def pattern_of(word):
        return word_pattern(word) + (end if whole(word) and not inside_words else "")

    condition = Q()
    for term in query_terms:
        patterns = [start + gap.join(pattern_of(word) for word in phrase) for phrase in term]
        pattern = patterns[0] if len(patterns) == 1 else "(" + "|".join(patterns) + ")"
        either = Q()
        for field in fields:
            either |= Q(**{f"{field}__iregex": pattern})
        condition &= either
    return condition


class Unindexed(Func):
    """A column as an expression (`+id`) that no index serves: the database then reads rows in
    the order of the list's own index and tests each one, rather than looking matches up."""

    template = "+%(expressions)s"


def sql_of(part):
    """The SQL and parameters of a subquery: a queryset of one column, or raw SQL."""
    if isinstance(part, RawSQL):
        return part.sql, list(part.params)
    sql, params = part.query.sql_with_params()
    return sql, list(params)


def key_in(model, column, keys, vendor):
    """That `column` of the `model` rows filtered is one of `keys` (a subquery). PostgreSQL is
    given the keys as an array computed once, so that it looks each row up by key instead of
    reading the table (its planner cannot tell how few rows a union of full-text matches holds)."""
    if vendor == "postgresql":
        column = f'"{model._meta.db_table}"."{column}"'
        return RawSQL(f"{column} = ANY(ARRAY({keys.sql}))", keys.params, output_field=BooleanField())
    return In(F(column), keys)


def union_all(*parts):
    """One subquery of the keys `parts` select."""
    statements, params = zip(*(sql_of(part) for part in parts), strict=True)
    return RawSQL(" UNION ALL ".join(statements), [param for group in params for param in group])


def breadths(model, query_terms, using):
    """{term: the rows of the full-text indexes it matches}, each index counted up to BROAD + 1,
    in one query."""
    from .models import Commitment, Meeting

    vendor = connections[using].vendor
    indexed = [Meeting, Commitment] if model is Commitment else [Meeting]
    columns, params = [], []
    for term in query_terms:
        counts = []
        for searched in indexed:
            sql, part_params = sql_of(with_word(searched, term, vendor))
            counts.append(f"(SELECT COUNT(*) FROM ({sql} LIMIT {BROAD + 1}) matches)")
            params += part_params
        columns.append(" + ".join(counts))
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", params)
        return dict(zip(query_terms, cursor.fetchone(), strict=True))


class Search:
    """The terms of a query, planned once: the term that matches the fewest rows drives.

    A narrow search collects the driving term's matches from the indexes into one subquery,
    looks the rows up by key and tests the other terms row by row; the rows are then sorted.
    A broad one (even its narrowest term matches more than BROAD rows) reads the rows in the
    list's order and tests every term on each, so a page stops after a few dozen rows rather
    than sorting thousands. Both give the same rows in the same order.

    `text` is a query, or its terms (`terms()`).
    """

    def __init__(self, model, text, using, broad=None):
        self.model, self.vendor = model, connections[using].vendor
        query_terms = terms(text) if isinstance(text, str | None) else tuple(text)
        counts = breadths(model, query_terms, using) if query_terms and broad is None else {}
        self.terms = sorted(query_terms, key=lambda term: counts.get(term, 0))
        self.broad = bool(self.terms) and (broad if broad is not None else counts[self.terms[0]] > BROAD)

    def apply(self, queryset):
        """The rows of `queryset` that hold every term."""
        from .models import Commitment, Meeting

        query_terms = self.terms
        if query_terms and not self.broad:
            keys = with_word(Meeting, query_terms[0], self.vendor)
            if self.model is Commitment:
                of_meeting = key_in(Commitment, "meeting_id", keys, self.vendor)
                of_meeting = Commitment.objects.order_by().filter(of_meeting).values("pk")
                keys = union_all(of_meeting, with_word(Commitment, query_terms[0], self.vendor))
            queryset = queryset.filter(key_in(self.model, "id", keys, self.vendor))
            query_terms = query_terms[1:]
        for term in query_terms:
            queryset = queryset.filter(self.holds(term))
        return queryset

    def holds(self, term):
        """The condition that a row holds `term`, tested row by row."""
        from .models import Commitment, Meeting

        if self.vendor == "postgresql":
            # the row's stored documents (and its meeting's) are read with it: nothing collected
            return Q(has_word(self.model, term))
        of_commitments = self.model is Commitment
        meeting_key, own_key = (F("meeting_id") if of_commitments else F("pk")), F("pk")
        if self.broad:
            meeting_key, own_key = Unindexed(meeting_key), Unindexed(own_key)
        condition = Q(In(meeting_key, with_word(Meeting, term, self.vendor)))
        if of_commitments:
            condition |= Q(In(own_key, with_word(Commitment, term, self.vendor)))
        return condition
