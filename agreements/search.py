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
from django.db.models import Q
from django.db.models.expressions import RawSQL

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


def search(queryset, text):
    """Meetings or commitments of `queryset` matching every word of `text`."""
    from .models import Meeting

    vendor = connections[queryset.db].vendor
    of_meetings = queryset.model is Meeting
    meeting_key = "pk__in" if of_meetings else "meeting_id__in"
    for term in words(text):
        condition = Q(**{meeting_key: with_word(Meeting, term, vendor)})
        condition |= Q(**{meeting_key: led_by_word(term, vendor)})
        if not of_meetings:
            condition |= Q(pk__in=with_word(queryset.model, term, vendor))
        queryset = queryset.filter(condition)
    return queryset
