"""The one cache: public pages as rendered HTML, kept for one version of the record.

The version is a token that database triggers replace on every write to the tables pages are
made of (migrations 0006 and 0007; on PostgreSQL as the writer's transaction commits, 0030),
whoever writes; with the day (what is overdue changes at
midnight) it is part of every key, so a kept page is never served after an edit. A key holds
nothing else but what the page declares: its name and the values of its declared parameters, so
a parameter the page does not know never makes a new entry. Pages over `MAX_PAGE_BYTES` are not
kept, and the cache's own bound (`MAX_ENTRIES` in settings, `maxmemory` for Redis) caps the
total. A cache that fails or is down is passed by: the page is computed, never a 500.
"""

import datetime
import hashlib
import logging

from django.core.cache import cache
from django.db import connections, router
from django.http import HttpResponse
from django.utils import timezone

DATA_VERSION_TABLE = "agreements_dataversion"
MAX_PAGE_BYTES = 256 * 1024
TIMEOUT = 60 * 60

logger = logging.getLogger(__name__)


def read_alias():
    """The database pages are read from (the replica when routed there): the version must come
    from where the rows come from, or a replica's stale rows would be kept under a fresh token."""
    from .models import Meeting

    return router.db_for_read(Meeting)


def token_sql(vendor):
    """The SQL expression of the version token, read from `DATA_VERSION_TABLE`.

    On PostgreSQL a writer's transaction also sees the writes it has not committed yet (0030):
    its own version changes with each of them, while other transactions see the committed one."""
    if vendor == "postgresql":
        return "token || coalesce('+' || (SELECT max(id) FROM agreements_dataversion_pending)::text, '')"
    return "token"


def data_version():
    """The record's version token, or None when the database has no version table."""
    connection = connections[read_alias()]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {token_sql(connection.vendor)} FROM {DATA_VERSION_TABLE} ORDER BY id LIMIT 1")
        row = cursor.fetchone()
    return row[0] if row else None


def record_updated():
    """The moment the record last changed: kept beside the version token by the database
    (migration 0027), so one row's read. None when the database has no version table."""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(f"SELECT changed_at FROM {DATA_VERSION_TABLE} ORDER BY id LIMIT 1")
        row = cursor.fetchone()
    if not row:
        return None
    changed = row[0]
    if isinstance(changed, str):  # SQLite keeps it as text, in UTC
        changed = datetime.datetime.fromisoformat(changed).replace(tzinfo=datetime.UTC)
    return changed


def _cache_call(method, *args):
    try:
        return getattr(cache, method)(*args)
    except Exception:  # a cache that is down or failing costs a computed page, not an error
        logger.warning("The page cache failed on %s; serving without it.", method, exc_info=True)
        return None


def cached_page(key, render):
    """The response of `render()` for `key`, kept as HTML for this version of the record and day.

    `render()` returns a response; only a 200 of at most MAX_PAGE_BYTES whose `cacheable`
    attribute is not False is kept.
    """
    token = data_version()
    if token is None:
        return render()
    digest = hashlib.sha256(repr((token, timezone.localdate().isoformat(), key)).encode()).hexdigest()
    cache_key = f"agreements:page:{digest}"
    content = _cache_call("get", cache_key)
    if content is not None:
        return HttpResponse(content)
    response = render()
    if hasattr(response, "render"):
        response.render()
    if (
        response.status_code == 200
        and not response.streaming
        and getattr(response, "cacheable", True)
        and len(response.content) <= MAX_PAGE_BYTES
    ):
        _cache_call("set", cache_key, response.content, TIMEOUT)
    return response
