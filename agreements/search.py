"""Word search for the `q` parameter, the same results for simple words on both databases.

A query is split into words (letters and digits); a row matches when every word begins a
word in one of the searched fields (titles, summaries, places, leaders' names). On
PostgreSQL this is full-text search with the `simple` configuration and prefix matching
(`word:*`), so no stemming makes one database find what the other misses; on SQLite it is
a case-insensitive regular expression anchored where a word begins (not after a letter or digit).
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connections
from django.db.models import Exists, OuterRef, Q

# Letters and digits only: PostgreSQL's parser splits words at an underscore, so SQLite must too.
WORD = re.compile(r"[^\W_]+")
# Where a word begins on SQLite: not after a letter or digit (an underscore is a boundary, as on PostgreSQL).
WORD_START = r"(?<![^\W_])"
MAX_WORDS = 10


def words(text):
    """The words of a query, lower-cased, at most MAX_WORDS of them."""
    return [word.lower() for word in WORD.findall(text or "")][:MAX_WORDS]


def search(queryset, text, fields, leaders, leader_ref):
    """Rows of `queryset` matching every word of `text`.

    `fields` are the text fields searched on the row itself (they may follow foreign keys);
    `leaders` is the meeting-leader through model and `leader_ref` the path from the row
    to its meeting's primary key, so leaders' names are searched with an EXISTS subquery
    that never duplicates rows.
    """
    terms = words(text)
    if not terms:
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        queryset = queryset.annotate(search_document=SearchVector(*fields, config="simple"))
        for term in terms:
            query = SearchQuery(f"'{term}':*", search_type="raw", config="simple")
            named = leaders.objects.annotate(
                search_document=SearchVector("leader__name", "leader__native_name", config="simple")
            ).filter(meeting=OuterRef(leader_ref), search_document=query)
            queryset = queryset.filter(Q(search_document=query) | Exists(named))
        return queryset
    for term in terms:
        pattern = WORD_START + re.escape(term)
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__iregex": pattern})
        named = leaders.objects.filter(meeting=OuterRef(leader_ref)).filter(
            Q(leader__name__iregex=pattern) | Q(leader__native_name__iregex=pattern)
        )
        queryset = queryset.filter(condition | Exists(named))
    return queryset
