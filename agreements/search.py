"""Word search for the `q` parameter, the same results for simple words on both databases.

A query is split into words (letters and digits); a row matches when every word begins a
word of its searched text: a meeting's title, summary, city and venue; a commitment's summary
and detail, or its meeting's text; and, for both, the names of the meeting's leaders.

Each word is looked up in a full-text index (migration 0009), never by reading every row. On
PostgreSQL the index is GIN on `to_tsvector('simple', ...)`, queried with prefix matching
(`word:*`), so no stemming makes one database find what the other misses; on SQLite it is an
FTS5 table queried with a prefix (`"word"*`). Leaders' names, a short table, are matched
directly (a case-insensitive regular expression anchored where a word begins on SQLite).
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connections
from django.db.models import F, Func, Q
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In

# Letters and digits only: PostgreSQL's parser splits words at an underscore, so SQLite must too.
WORD = re.compile(r"[^\W_]+")
# Where a word begins on SQLite: not after a letter or digit (an underscore is a boundary, as on PostgreSQL).
WORD_START = r"(?<![^\W_])"
MAX_WORDS = 10

# The indexed text of each searchable table; migration 0009 indexes exactly these columns.
INDEXED = {
    "agreements_meeting": ("title", "summary", "city", "venue"),
    "agreements_commitment": ("summary", "detail"),
}


def words(text):
    """The words of a query, lower-cased, at most MAX_WORDS of them."""
    return [word.lower() for word in WORD.findall(text or "")][:MAX_WORDS]


def with_word(model, word, vendor):
    """The primary keys of `model`'s rows whose indexed text has a word beginning with `word`."""
    table = model._meta.db_table
    if vendor == "postgresql":
        document = SearchVector(*INDEXED[table], config="simple")
        query = SearchQuery(f"'{word}':*", search_type="raw", config="simple")
        return (
            model._default_manager.annotate(search_document=document)
            .filter(search_document=query)
            .order_by()
            .values("pk")
        )
    return RawSQL(f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH %s", [f'"{word}"*'])


def led_by_word(word, vendor):
    """The meetings one of whose leaders has a name with a word beginning with `word`."""
    from .models import Leader, Meeting

    if vendor == "postgresql":
        document = SearchVector("name", "native_name", config="simple")
        query = SearchQuery(f"'{word}':*", search_type="raw", config="simple")
        leaders = Leader.objects.annotate(search_document=document).filter(search_document=query)
    else:
        pattern = WORD_START + re.escape(word)
        leaders = Leader.objects.filter(Q(name__iregex=pattern) | Q(native_name__iregex=pattern))
    return Meeting.leaders.through.objects.filter(leader__in=leaders.values("pk")).values("meeting_id")


class Unindexed(Func):
    """A column as an expression (`+id`) that no index serves: the database then reads rows in
    the order of the list's own index and tests each one, rather than looking matches up."""

    template = "+%(expressions)s"


def union_all(*parts):
    """One subquery of the keys `parts` select (querysets of one column, or raw SQL)."""
    statements, params = [], []
    for part in parts:
        raw = isinstance(part, RawSQL)
        sql, part_params = (part.sql, part.params) if raw else part.query.sql_with_params()
        statements.append(sql)
        params.extend(part_params)
    return RawSQL(" UNION ALL ".join(statements), params)


def search(queryset, text, in_list_order=False):
    """Meetings or commitments of `queryset` matching every word of `text`.

    The longest word (the likeliest to be rare) drives: its matches are collected from the
    indexes into one subquery and the rows looked up by key; each other word's matches are
    then tested row by row, and the rows sorted. With `in_list_order`, for words that match many
    rows, every word is tested row by row while the rows are read in the list's order, so the
    first page stops after a few dozen rows rather than sorting thousands.
    """
    from .models import Commitment, Meeting

    vendor = connections[queryset.db].vendor
    of_meetings = queryset.model is Meeting
    terms = sorted(words(text), key=len, reverse=True)
    if terms and not in_list_order:
        meetings = union_all(with_word(Meeting, terms[0], vendor), led_by_word(terms[0], vendor))
        if of_meetings:
            keys = meetings
        else:
            of_meeting = Commitment.objects.order_by().filter(meeting_id__in=meetings).values("pk")
            keys = union_all(of_meeting, with_word(Commitment, terms[0], vendor))
        queryset = queryset.filter(pk__in=keys)
        terms = terms[1:]
    own_key = Unindexed(F("pk")) if in_list_order else F("pk")
    meeting_key = own_key if of_meetings else Unindexed(F("meeting_id")) if in_list_order else F("meeting_id")
    for term in terms:
        condition = Q(In(meeting_key, with_word(Meeting, term, vendor)))
        condition |= Q(In(meeting_key, led_by_word(term, vendor)))
        if not of_meetings:
            condition |= Q(In(own_key, with_word(Commitment, term, vendor)))
        queryset = queryset.filter(condition)
    return queryset
