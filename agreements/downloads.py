"""CSV and JSON downloads of a filtered list: every row, all pages, streamed.

The JSON shape (documented in docs/urls.md):

    {"list": "meetings", "results": [{...}, ...]}

CSV cells that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`,
a tab or a carriage return) are prefixed with an apostrophe.
"""

import csv
import hashlib
import itertools
import json
from collections import defaultdict
from urllib.parse import quote

from django import forms
from django.db import connections
from django.db.models import F, OuterRef, Subquery
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import quote_etag
from django.utils.text import slugify

from .caching import DATA_VERSION_TABLE, read_alias, token_sql

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 500
KEY_MARKER = "987654321"  # stands for a record's key in a reversed URL; valid as a number and a slug


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[("", "page"), ("csv", "CSV"), ("json", "JSON")], required=False)


def detail_url(request, view_name, key):
    """The absolute URL of a record's page, from one `reverse` per download, not one per row."""
    templates = request.__dict__.setdefault("_detail_url_templates", {})
    if view_name not in templates:
        origin = request.build_absolute_uri("/")[:-1]
        before, after = reverse(view_name, args=[KEY_MARKER]).split(KEY_MARKER)
        templates[view_name] = (origin + before, after)
    before, after = templates[view_name]
    return f"{before}{quote(str(key), safe='')}{after}"


# Meetings and commitments are read as plain values, a chunk at a time, each chunk's countries,
# parties and leaders in one query per link: a download of thousands of rows builds no models.
MEETING_VALUES = ("slug", "date", "end_date", "kind", "title", "summary", "city", "venue", "host_id")
COMMITMENT_VALUES = (
    *("pk", "summary", "detail", "topic_id", "status", "target_date", "target_precision"),
    *("level_from", "level_to", "meeting__slug", "meeting_date", "meeting__title"),
    *("reviewed_on", "superseded"),
)


def linked_values(queryset, key, links):
    """Rows of `queryset` as dicts of `queryset`'s values, in chunks; `links` maps a new key to a
    function giving (row key, value) pairs, in order, for a chunk's row keys."""
    rows = queryset.iterator(chunk_size=CHUNK_SIZE)
    while chunk := list(itertools.islice(rows, CHUNK_SIZE)):
        keys = [row[key] for row in chunk]
        for name, fetch in links.items():
            found = defaultdict(list)
            for row_key, value in fetch(keys):
                found[row_key].append(value)
            for row in chunk:
                row[name] = found[row[key]]
        yield from chunk


def meeting_rows(queryset):
    from .models import Meeting

    countries = Meeting.countries.through.objects.order_by("country__name")
    leaders = Meeting.leaders.through.objects.order_by("leader__name")
    return linked_values(
        queryset.values("pk", *MEETING_VALUES),
        "pk",
        {
            "countries": lambda keys: countries.filter(meeting__in=keys).values_list(
                "meeting_id", "country_id"
            ),
            "leaders": lambda keys: leaders.filter(meeting__in=keys).values_list(
                "meeting_id", "leader__name"
            ),
        },
    )


def commitment_rows(queryset):
    from .models import Commitment, CommitmentCitation, StatusChange

    parties = Commitment.parties.through.objects.order_by("country__name")
    citations = CommitmentCitation.objects.order_by("id")
    last_change = (
        StatusChange.objects.filter(commitment=OuterRef("pk"), party__isnull=True, review=False)
        .order_by("-date", "-id")
        .values("date")[:1]
    )
    return linked_values(
        queryset.annotate(status_since=Subquery(last_change)).values(*COMMITMENT_VALUES, "status_since"),
        "pk",
        {
            "parties": lambda keys: parties.filter(commitment__in=keys).values_list(
                "commitment_id", "country_id"
            ),
            "sources": lambda keys: citations.filter(commitment__in=keys).values_list(
                "commitment_id", "source__url"
            ),
        },
    )


def meeting_record(row, request):
    return {
        "slug": row["slug"],
        "url": detail_url(request, "agreements:meeting-detail", row["slug"]),
        "date": row["date"].isoformat(),
        "end_date": row["end_date"].isoformat() if row["end_date"] else None,
        "kind": row["kind"],
        "title": row["title"],
        "summary": row["summary"],
        "city": row["city"],
        "venue": row["venue"],
        "host": row["host_id"],
        "countries": row["countries"],
        "leaders": row["leaders"],
    }


def commitment_record(row, request):
    from .models import Commitment

    return {
        "id": row["pk"],
        "url": detail_url(request, "agreements:commitment-detail", row["pk"]),
        "summary": row["summary"],
        "detail": row["detail"],
        "topic": row["topic_id"],
        "status": row["status"],
        "status_since": row["status_since"].isoformat() if row["status_since"] else None,
        "parties": row["parties"],
        "target": Commitment.target_text(row["target_date"], row["target_precision"]) or None,
        "overdue": Commitment.overdue(row["target_date"], row["status"]),
        "reviewed_on": row["reviewed_on"].isoformat() if row["reviewed_on"] else None,
        "stale": Commitment.stale(row["status"], row["reviewed_on"]),
        "superseded": row["superseded"],
        "level_from": row["level_from"],
        "level_to": row["level_to"],
        "meeting": row["meeting__slug"],
        "meeting_date": row["meeting_date"].isoformat(),
        "meeting_title": row["meeting__title"],
        "sources": row["sources"],
    }


def agreement_rows(queryset):
    from .models import AgreementEvent, EventKind

    entry_into_force = AgreementEvent.objects.filter(
        agreement=OuterRef("pk"), kind=EventKind.ENTRY_INTO_FORCE
    ).order_by("-date", "-id")
    return (
        queryset.prefetch_related(None)
        .prefetch_related("parties")
        .annotate(
            entered_into_force=Subquery(entry_into_force.values("date")[:1]), meeting_slug=F("meeting__slug")
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )


def agreement_record(agreement, request):
    return {
        "slug": agreement.slug,
        "url": detail_url(request, "agreements:agreement-detail", agreement.slug),
        "kind": agreement.kind,
        "title": agreement.title,
        "original_title": agreement.original_title,
        "original_language": agreement.original_language,
        "binding": agreement.binding,
        "date": agreement.date.isoformat(),
        "place": agreement.place,
        "parties": sorted(country.code for country in agreement.parties.all()),
        "status": agreement.status,
        "entered_into_force": agreement.entered_into_force.isoformat()
        if agreement.entered_into_force
        else None,
        "meeting": agreement.meeting_slug,
        "summary": agreement.summary,
    }


def country_record(country, request):
    return {
        "code": country.code,
        "url": request.build_absolute_uri(country.get_absolute_url()),
        "name": country.name,
        "meetings": country.meeting_count,
        "commitments": country.commitment_count,
        "agreements": country.agreement_count,
    }


def leader_record(leader, request):
    return {
        "slug": leader.slug,
        "url": request.build_absolute_uri(leader.get_absolute_url()),
        "name": leader.name,
        "native_name": leader.native_name,
        "title": leader.title,
        "country": leader.country_id,
        "took_office": leader.took_office.isoformat() if leader.took_office else None,
        "left_office": leader.left_office.isoformat() if leader.left_office else None,
        "meetings": leader.meeting_count,
    }


def topic_record(topic, request):
    return {
        "slug": topic.slug,
        "url": request.build_absolute_uri(topic.get_absolute_url()),
        "name": topic.name,
        "commitments": topic.commitment_count,
        "announced": topic.announced,
        "in_progress": topic.in_progress,
        "fulfilled": topic.fulfilled,
        "lapsed": topic.lapsed,
    }


def relation_record(tally, request):
    pair = tally.pair
    return {
        "pair": pair.slug,
        "url": request.build_absolute_uri(pair.get_absolute_url()),
        "countries": [pair.a.code, pair.b.code],
        "names": [pair.a.name, pair.b.name],
        "meetings": tally.meetings,
        "commitments": tally.commitments,
    }


def scorecard_record(row, request):
    figure = row["figure"]
    return {
        "scope": row["scope"],
        "figure": figure.name,
        "party": figure.party,
        "status": figure.status,
        "value": figure.value,
        "url": request.build_absolute_uri(figure.url) if figure.url else None,
    }


RECORDS = {
    "meetings": meeting_record,
    "agreements": agreement_record,
    "commitments": commitment_record,
    "countries": country_record,
    "leaders": leader_record,
    "topics": topic_record,
    "relations": relation_record,
    "scorecard": scorecard_record,
}
ROW_READERS = {"meetings": meeting_rows, "commitments": commitment_rows, "agreements": agreement_rows}
COLUMNS = {
    "meetings": [
        "slug",
        "url",
        "date",
        "end_date",
        "kind",
        "title",
        "summary",
        "city",
        "venue",
        "host",
        "countries",
        "leaders",
    ],
    "commitments": [
        "id",
        "url",
        "summary",
        "detail",
        "topic",
        "status",
        "status_since",
        "parties",
        "target",
        "overdue",
        "reviewed_on",
        "stale",
        "superseded",
        "level_from",
        "level_to",
        "meeting",
        "meeting_date",
        "meeting_title",
        "sources",
    ],
    "agreements": [
        "slug",
        "url",
        "kind",
        "title",
        "original_title",
        "original_language",
        "binding",
        "date",
        "place",
        "parties",
        "status",
        "entered_into_force",
        "meeting",
        "summary",
    ],
    "countries": ["code", "url", "name", "meetings", "commitments", "agreements"],
    "leaders": [
        "slug",
        "url",
        "name",
        "native_name",
        "title",
        "country",
        "took_office",
        "left_office",
        "meetings",
    ],
    "topics": ["slug", "url", "name", "commitments", "announced", "in_progress", "fulfilled", "lapsed"],
    "relations": ["pair", "url", "countries", "names", "meetings", "commitments"],
    "scorecard": ["scope", "figure", "party", "status", "value", "url"],
}


def safe_cell(value):
    """A CSV cell: lists joined with `; `, formula-like text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = "; ".join(str(item) for item in value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def _csv_rows(columns, records):
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(columns)  # the byte-order mark by which Excel reads UTF-8
    for record in records:
        yield writer.writerow([safe_cell(record[key]) for key in columns])


def _json_chunks(name, records):
    yield '{"list": ' + json.dumps(name) + ', "results": ['
    for index, record in enumerate(records):
        yield ("," if index else "") + "\n" + json.dumps(record, ensure_ascii=False)
    yield "\n]}\n"


def etag(request):
    """A validator for a download, or None: it changes when the rows it is made of may have.

    The data version (see `agreements.caching`) changes on every write to meetings, commitments
    and their links; leaders' names come from their own table, and `overdue` depends on the day.
    One query reads both, from the database the rows are read from.
    """
    connection = connections[read_alias()]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {token_sql(connection.vendor)}, (SELECT MAX(updated_at) FROM agreements_leader) "
            f"FROM {DATA_VERSION_TABLE} LIMIT 1"
        )
        row = cursor.fetchone()
    if not row:
        return None
    parts = [str(part) for part in row] + [timezone.localdate().isoformat(), request.build_absolute_uri()]
    return quote_etag(hashlib.sha1("|".join(parts).encode(), usedforsecurity=False).hexdigest())


def stream(name, fmt, rows, request):
    """A streamed download of every row of `rows` (a queryset, read in chunks, or a list) as `fmt`."""
    to_record = RECORDS[name]
    if name in ROW_READERS:
        rows = ROW_READERS[name](rows)
    elif hasattr(rows, "iterator"):
        rows = rows.iterator(chunk_size=CHUNK_SIZE)
    records = (to_record(row, request) for row in rows)
    chunks = _csv_rows(COLUMNS[name], records) if fmt == "csv" else _json_chunks(name, records)
    response = StreamingHttpResponse(chunks, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{file_name(request)}.{fmt}"'
    return response


def file_name(request):
    """A download's file name from its URL: `commitments-topic-space-country-jp`,
    `relations-it-jp-follow-through`; at most 120 characters."""
    parts = [request.path.strip("/").replace("/", "-")]
    for key, values in request.GET.lists():
        if key not in ("format", "page", "sort"):
            parts += [f"{key}-{value}" for value in values if value.strip()]
    return slugify("-".join(parts))[:120].strip("-") or "download"
