"""Word search for the `q` parameter, the same results for simple words on both databases.

A query is split into words (letters and digits); a row matches when every word begins a
word of its searched text: a meeting's title, summary, city and venue; a commitment's summary
and detail, or its meeting's text; and, for both, the names of the meeting's leaders.

Each word is looked up in a full-text index, never by reading every row. On PostgreSQL each
row keeps its text as a stored `to_tsvector('simple', ...)` column with a GIN index (migrations
0009 and 0013), queried with prefix matching (`word:*`), so no stemming makes one database find
what the other misses; on SQLite it is an FTS5 table queried with a prefix (`"word"*`).
Leaders' names, a short table, are matched directly (a case-insensitive regular expression
anchored where a word begins on SQLite).

A search is planned once per list (`Search`): one query counts how many indexed rows each word
matches (up to BROAD), the narrowest word is looked up first, and a search whose every word is
broad reads the rows in the list's order instead of collecting and sorting its matches.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connections
from django.db.models import BooleanField, F, Func, Q
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In

# Letters and digits only: PostgreSQL's parser splits words at an underscore, so SQLite must too.
WORD = re.compile(r"[^\W_]+")
# Where a word begins on SQLite: not after a letter or digit (an underscore is a boundary, as on PostgreSQL).
WORD_START = r"(?<![^\W_])"
MAX_WORDS = 10
BROAD = 1_000  # rows a word matches in an index beyond which a search reads rows in list order

# The indexed text of each searchable table; migration 0009 indexes exactly these columns.
INDEXED = {
    "agreements_meeting": ("title", "summary", "city", "venue"),
    "agreements_commitment": ("summary", "detail"),
}


def words(text):
    """The words of a query, lower-cased, at most MAX_WORDS of them."""
    return [word.lower() for word in WORD.findall(text or "")][:MAX_WORDS]


def prefix_query(word):
    """PostgreSQL: the tsquery of the words beginning with `word`."""
    return f"'{word}':*"


def with_word(model, word, vendor):
    """The primary keys of `model`'s rows whose indexed text has a word beginning with `word`."""
    table = model._meta.db_table
    if vendor == "postgresql":
        return RawSQL(
            f"SELECT id FROM {table} WHERE search_document @@ to_tsquery('simple', %s)", [prefix_query(word)]
        )
    return RawSQL(f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH %s", [f'"{word}"*'])


def has_word(model, word):
    """PostgreSQL: that a row of `model` being read (a commitment or its meeting, for a meeting's
    text) has a word beginning with `word`, from the row's stored document (migration 0013)."""
    from .models import Meeting

    table = model._meta.db_table
    condition = "search_document @@ to_tsquery('simple', %s)"
    if model is Meeting:
        return RawSQL(f"{table}.{condition}", [prefix_query(word)], output_field=BooleanField())
    return RawSQL(
        f"{table}.{condition} OR EXISTS (SELECT 1 FROM agreements_meeting m "
        f"WHERE m.id = {table}.meeting_id AND m.{condition})",
        [prefix_query(word)] * 2,
        output_field=BooleanField(),
    )


def led_by_word(word, vendor):
    """The meetings one of whose leaders has a name with a word beginning with `word`."""
    from .models import Leader, Meeting

    if vendor == "postgresql":
        document = SearchVector("name", "native_name", config="simple")
        query = SearchQuery(prefix_query(word), search_type="raw", config="simple")
        leaders = Leader.objects.annotate(search_document=document).filter(search_document=query)
    else:
        pattern = WORD_START + re.escape(word)
        leaders = Leader.objects.filter(Q(name__iregex=pattern) | Q(native_name__iregex=pattern))
    return Meeting.leaders.through.objects.filter(leader__in=leaders.values("pk")).values("meeting_id")


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


def breadths(model, terms, using):
    """{word: the rows of the full-text indexes it matches}, each index counted up to BROAD + 1,
    in one query."""
    from .models import Commitment, Meeting

    vendor = connections[using].vendor
    indexed = [Meeting, Commitment] if model is Commitment else [Meeting]
    columns, params = [], []
    for term in terms:
        counts = []
        for searched in indexed:
            sql, part_params = sql_of(with_word(searched, term, vendor))
            counts.append(f"(SELECT COUNT(*) FROM ({sql} LIMIT {BROAD + 1}) matches)")
            params += part_params
        columns.append(" + ".join(counts))
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", params)
        return dict(zip(terms, cursor.fetchone(), strict=True))


class Search:
    """The words of a query, planned once: the word that matches the fewest rows drives.

    A narrow search collects the driving word's matches from the indexes into one subquery,
    looks the rows up by key and tests the other words row by row; the rows are then sorted.
    A broad one (even its narrowest word matches more than BROAD rows) reads the rows in the
    list's order and tests every word on each, so a page stops after a few dozen rows rather
    than sorting thousands. Both give the same rows in the same order.
    """

    def __init__(self, model, text, using, broad=None):
        self.model, self.vendor = model, connections[using].vendor
        terms = words(text)
        counts = breadths(model, terms, using) if terms and broad is None else {}
        self.terms = sorted(terms, key=lambda term: counts.get(term, 0))
        self.broad = bool(self.terms) and (broad if broad is not None else counts[self.terms[0]] > BROAD)

    def apply(self, queryset):
        """The rows of `queryset` that hold every word."""
        from .models import Commitment, Meeting

        terms = self.terms
        if terms and not self.broad:
            keys = union_all(with_word(Meeting, terms[0], self.vendor), led_by_word(terms[0], self.vendor))
            if self.model is Commitment:
                of_meeting = key_in(Commitment, "meeting_id", keys, self.vendor)
                of_meeting = Commitment.objects.order_by().filter(of_meeting).values("pk")
                keys = union_all(of_meeting, with_word(Commitment, terms[0], self.vendor))
            queryset, terms = queryset.filter(key_in(self.model, "id", keys, self.vendor)), terms[1:]
        for term in terms:
            queryset = queryset.filter(self.holds(term))
        return queryset

    def holds(self, term):
        """The condition that a row holds `term`, tested row by row."""
        from .models import Commitment, Meeting

        of_commitments = self.model is Commitment
        meeting_key = F("meeting_id") if of_commitments else F("pk")
        if self.vendor == "postgresql":
            # the row's stored documents (and its meeting's) are read with it: nothing collected
            return Q(has_word(self.model, term)) | Q(In(meeting_key, led_by_word(term, self.vendor)))
        own_key = F("pk")
        if self.broad:
            meeting_key, own_key = Unindexed(meeting_key), Unindexed(own_key)
        condition = Q(In(meeting_key, led_by_word(term, self.vendor)))
        condition |= Q(In(meeting_key, with_word(Meeting, term, self.vendor)))
        if of_commitments:
            condition |= Q(In(own_key, with_word(Commitment, term, self.vendor)))
        return condition
