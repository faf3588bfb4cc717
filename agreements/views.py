"""The public pages. Lists filter through `filters.py`; counts come from the summaries the
database keeps (`*Tally` models); every page runs a fixed number of queries, and its HTML is kept
for the record's version (`agreements.caching`)."""

import datetime
from types import SimpleNamespace

from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, ListView, TemplateView
from django.views.generic.base import ContextMixin
from django_filters.views import FilterView

from diplomacy.middleware import client_ip

from . import corrections, downloads, scorecards, worldmap
from .caching import cached_page, record_updated
from .filters import (
    AgreementFilter,
    CommitmentFilter,
    MeetingFilter,
    SearchForm,
    bounded_count,
)
from .models import (
    CORRECTION_DESCRIPTION_MAX_LENGTH,
    PARTNERSHIP_UPGRADE,
    Agreement,
    AgreementCitation,
    AgreementEvent,
    Commitment,
    CommitmentCitation,
    CommitmentLink,
    CommitmentPair,
    CommitmentTally,
    Correction,
    Country,
    CountryCommitment,
    CountryMeeting,
    CountryTally,
    DiplomaticTie,
    Grouping,
    Leader,
    LeaderMeeting,
    Meeting,
    MeetingCitation,
    MeetingPair,
    MeetingTally,
    Pair,
    PairTally,
    Source,
    SourceKind,
    Status,
    StatusChange,
    Topic,
)
from .templatetags.agreements_tags import MAX_DOTS, MAX_LEVELS

DETAIL_LIST_LENGTH = 20  # rows of a list on a detail page; the full list is one link away
PER_GROUP_LENGTH = 10  # rows of each topic or status group on a detail page
MAX_THREAD_LINKS = 500  # links a pair page reads to draw its threads
MAX_PAGES = 400  # pages of a list a reader can open: its first 10,000 rows, each page an index read

STATUS_DEFINITIONS = {
    Status.ANNOUNCED: "Agreed and made public at a meeting; no source yet shows work on it.",
    Status.IN_PROGRESS: "A source shows that work has begun: a body set up, talks opened, money committed.",
    Status.FULFILLED: "A source shows that what was agreed has been done.",
    Status.LAPSED: "A source shows it was abandoned, or its target passed with nothing done.",
}


def country_by_code(code):
    if len(code) != 2 or not code.isascii() or not code.isalpha() or code != code.lower():
        raise Http404("No such country code.")
    return get_object_or_404(Country, code=code.upper())


def pair_from_url(url_name, a, b):
    """The pair of a URL that takes `a` and `b` (`/relations/it-jp/`), and None; or None and the
    301 to the alphabetical order. The same code twice, or an unknown one, answers 404."""
    if a == b:
        raise Http404("A pair needs two countries.")
    if a > b:
        return None, redirect(url_name, a=b, b=a, permanent=True)
    return Pair(country_by_code(a), country_by_code(b)), None


def busiest_pairs(limit=None):
    """The pairs that met or agreed something, most meetings first, from their summaries."""
    rows = PairTally.objects.active().busiest_first().select_related("country_a", "country_b")
    return list(rows[:limit] if limit else rows)


def in_key_order(queryset, keys):
    """The rows of `queryset` whose keys are `keys`, in that order."""
    position = {key: index for index, key in enumerate(keys)}
    return sorted(queryset.filter(pk__in=keys), key=lambda row: position[row.pk])


def latest_meetings(rows):
    """The latest DETAIL_LIST_LENGTH meetings of `rows` (pair or party rows), newest first, their
    keys read from the rows' (…, date, meeting) index."""
    keys = rows.order_by("-date", "-meeting").values_list("meeting", flat=True)[:DETAIL_LIST_LENGTH]
    return in_key_order(Meeting.objects.with_related(), list(keys))


def page_number(request):
    """The `page` parameter as a number of at least 1 (default 1); anything else answers 404."""
    value = request.GET.get("page") or "1"
    if value == "last":
        return value
    if not value.isascii() or not value.isdigit() or len(value) > 9 or int(value) < 1:
        raise Http404("No such page.")
    return int(value)


class BoundedPaginator(Paginator):
    """A paginator given its count (`exact` False when it is a bound: "more than"), reading a
    page's keys from `object_list` (the keys in the list's order) and its rows, by key, from
    `rows`."""

    def __init__(self, object_list, per_page, count, exact, rows):
        super().__init__(object_list, per_page)
        self.count, self.exact, self.rows = count, exact, rows

    @cached_property
    def num_pages(self):
        return min(super().num_pages, MAX_PAGES)

    @property
    def truncated(self):
        """Whether the pages stop before the last of the counted rows."""
        return self.count > self.num_pages * self.per_page

    def page(self, number):
        number = self.validate_number(number)
        start = (number - 1) * self.per_page
        keys = list(self.object_list[start : start + self.per_page])
        return self._get_page(in_key_order(self.rows, keys), number, self)


# Downloads ----------------------------------------------------------------------------------


def export_format(request):
    """`csv`, `json` or "" (the page) from the `format` parameter; any other value answers 400."""
    export = downloads.ExportForm(request.GET)
    if not export.is_valid():
        raise BadRequest("format must be csv or json.")
    return export.cleaned_data["format"]


def download(request, name, fmt, rows):
    """The streamed download of `rows()`, with an ETag; 304 when the client's copy is current."""
    validator = downloads.etag(request)
    unchanged = validator and get_conditional_response(request, etag=validator)
    if unchanged:
        return unchanged
    response = downloads.stream(name, fmt, rows(), request)
    if validator:
        response["ETag"] = validator
    return response


class CachedPageMixin:
    """A page kept as HTML for each version of the record (`agreements.caching`), keyed by the
    view and its URL's arguments; a download (`format=`) is never kept."""

    def get(self, request, *args, **kwargs):
        parent = super().get
        return cached_page(
            (type(self).__name__, tuple(sorted(kwargs.items()))), lambda: parent(request, *args, **kwargs)
        )


class DownloadMixin:
    """A list without filters that is also a CSV or JSON download (`format=`) of `export_rows()`."""

    export_name = ""

    def get(self, request, *args, **kwargs):
        fmt = export_format(request)
        if fmt:
            return download(request, self.export_name, fmt, self.export_rows)
        return super().get(request, *args, **kwargs)


# Lists with filters -------------------------------------------------------------------------


def without_empty_parameters(request):
    """A 301 to the same URL without its empty parameters (`?status=&q=`, as a filter form sends
    the fields left blank), or None when it has none."""
    query = request.GET.copy()
    empty = [name for name, values in query.lists() if not any(value.strip() for value in values)]
    if not empty:
        return None
    for name in empty:
        del query[name]
    for name, values in query.lists():
        query.setlist(name, [value for value in values if value.strip()])
    encoded = query.urlencode()
    return redirect(f"{request.path}?{encoded}" if encoded else request.path, permanent=True)


class FilteredListView(FilterView):
    """A filtered list that is also a CSV or JSON download (`format=`), never a 500.

    Invalid filter values: the page shows the form's errors and no rows, with status 400. The
    count is exact where the summaries hold it, else counted up to `filters.COUNT_LIMIT`; pages
    stop at MAX_PAGES, and a page past the last shows the last.
    """

    paginate_by = 25
    export_name = ""

    def get(self, request, *args, **kwargs):
        if canonical := without_empty_parameters(request):
            return canonical
        fmt = export_format(request)
        self.filterset = self.get_filterset(self.get_filterset_class())
        valid = self.filterset.is_valid()
        if fmt:
            if not valid:
                raise BadRequest(self.filterset.form.errors.as_text())
            return download(request, self.export_name, fmt, lambda: self.filterset.qs)
        if not valid:
            self.object_list = self.filterset.queryset.none()
            response = self.render_to_response(
                self.context(facets=[], omitted_facets=[], paginator=None, page_obj=None)
            )
            response.status_code = 400
            return response
        number = page_number(request)
        key = self.filterset.cache_key()
        if key is None:
            return self.render_list(number)
        return cached_page((self.export_name, key), lambda: self.render_list(number))

    def get_filterset_kwargs(self, filterset_class):
        # Bound even without parameters, so that the filters' values are always cleaned data.
        return {**super().get_filterset_kwargs(filterset_class), "data": self.request.GET}

    def render_list(self, number):
        count, exact = self.filterset.count()
        self.object_list = self.filterset.qs
        keys, rows = self.filterset.keys(), self.get_queryset()
        paginator = BoundedPaginator(keys, self.paginate_by, count, exact, rows)
        last = paginator.num_pages
        page = paginator.page(last if number == "last" or number > last else number)
        facets = self.filterset.facets((count, exact))
        response = self.render_to_response(
            self.context(
                facets=facets,
                omitted_facets=[facet["label"] for facet in facets if facet["omitted"]],
                paginator=paginator,
                page_obj=page,
                object_list=page.object_list,
                is_paginated=paginator.num_pages > 1,
            )
        )
        response.cacheable = number != "last" and number <= last
        return response

    def context(self, **kwargs):
        return self.get_context_data(
            filter=self.filterset,
            item_name=self.item_name,
            items_name=self.export_name,
            list_url_name=f"agreements:{self.item_name}-list",
            feed_url_name=f"agreements:{self.item_name}-feed",
            **{
                "object_list": self.object_list,
                f"{self.item_name}_list": kwargs.get("object_list", []),
                **kwargs,
            },
        )

    def get_context_data(self, **kwargs):
        # The page's rows are read by BoundedPaginator, not by MultipleObjectMixin's paginator.
        return ContextMixin.get_context_data(self, **kwargs)


class MeetingListView(FilteredListView):
    filterset_class = MeetingFilter
    queryset = Meeting.objects.with_related()
    template_name = "agreements/meeting_list.html"
    item_name = "meeting"
    export_name = "meetings"


class CommitmentListView(FilteredListView):
    filterset_class = CommitmentFilter
    queryset = Commitment.objects.with_related().order_by(*Commitment.NEWEST_FIRST)
    template_name = "agreements/commitment_list.html"
    item_name = "commitment"
    export_name = "commitments"


class AgreementListView(FilteredListView):
    filterset_class = AgreementFilter
    queryset = Agreement.objects.with_related()
    template_name = "agreements/agreement_list.html"
    item_name = "agreement"
    export_name = "agreements"


# Detail pages -------------------------------------------------------------------------------


class MeetingDetailView(CachedPageMixin, DetailView):
    queryset = Meeting.objects.with_related().prefetch_related(
        Prefetch(
            "commitments",
            queryset=Commitment.objects.select_related("topic", "agreement")
            .prefetch_related(
                Prefetch("citations", queryset=CommitmentCitation.objects.only("commitment", "source")),
                "parties",
            )
            .order_by("topic__position", "topic__name", "id"),
        ),
        Prefetch("citations", queryset=MeetingCitation.objects.select_related("source", "source__issuer")),
        Prefetch("agreements", queryset=Agreement.objects.prefetch_related("parties")),
    )
    template_name = "agreements/meeting_detail.html"

    def get_context_data(self, **kwargs):
        meeting = self.object
        countries = list(meeting.countries.all())
        codes = {country.code for country in countries}
        for commitment in meeting.commitments.all():
            parties = list(commitment.parties.all())
            commitment.parties_unlike_meeting = parties if {p.code for p in parties} != codes else []
        return super().get_context_data(
            accounts=accounts_side_by_side(meeting),
            pair=Pair(*countries) if len(countries) == 2 else None,
            **kwargs,
        )


def accounts_side_by_side(meeting):
    """Which of the meeting's accounts mention each of its commitments: a column for each
    government's own account, then each joint document, among the sources the meeting and its
    commitments cite; then the reports cited for each commitment, in one column. None when there
    is nothing to set side by side (no commitment, or no government's or joint text)."""
    commitments = list(meeting.commitments.all())
    cited = {commitment.pk: {c.source_id for c in commitment.citations.all()} for commitment in commitments}
    sources = {citation.source_id: citation.source for citation in meeting.citations.all()}
    missing = set().union(*cited.values()) - set(sources)  # cited for a commitment, not for the meeting
    if missing:
        sources.update(
            (source.pk, source) for source in Source.objects.filter(pk__in=missing).select_related("issuer")
        )
    order = {SourceKind.OFFICIAL: 0, SourceKind.JOINT: 1}
    columns = sorted(
        (source for source in sources.values() if source.kind in order),
        key=lambda source: (
            order[source.kind],
            source.issuer.name if source.issuer_id else "",
            source.published or datetime.date.max,
            source.pk,
        ),
    )
    if not commitments or not columns:
        return None
    rows = [
        {
            "commitment": commitment,
            "cells": [source.pk in cited[commitment.pk] for source in columns],
            "reports": sorted(
                (
                    sources[pk]
                    for pk in cited[commitment.pk]
                    if pk in sources and sources[pk].kind == SourceKind.REPORT
                ),
                key=lambda source: (source.publisher or source.url, source.pk),
            ),
        }
        for commitment in commitments
    ]
    return {"columns": columns, "rows": rows}


class CommitmentDetailView(CachedPageMixin, DetailView):
    queryset = (
        Commitment.objects.with_related()
        .select_related("agreement", "fulfilled_by")
        .prefetch_related(
            Prefetch("history", queryset=StatusChange.objects.select_related("source", "party")),
            Prefetch("citations", queryset=CommitmentCitation.objects.select_related("source")),
        )
    )
    template_name = "agreements/commitment_detail.html"

    def get_context_data(self, **kwargs):
        commitment = self.object
        parties = list(commitment.parties.all())
        return super().get_context_data(
            status_definition=STATUS_DEFINITIONS.get(commitment.status, ""),
            party_statuses=commitment.party_status_rows(),
            pair=Pair(*parties) if len(parties) == 2 else None,
            thread=commitment_thread(commitment),
            **kwargs,
        )


def commitment_thread(commitment):
    """The commitments linked to `commitment`, directly or through others, in the order they were
    agreed, each with the links it makes to earlier ones; empty when it stands alone."""
    keys = CommitmentLink.objects.thread_of(commitment)
    if len(keys) < 2:
        return []
    rows = Commitment.objects.filter(pk__in=keys).select_related("meeting")
    return thread_items(rows, CommitmentLink.objects.filter(commitment__in=keys, earlier__in=keys))


def thread_items(rows, links):
    """[{commitment, links}] of `rows` in the order they were agreed, each with the `links` it
    makes to earlier ones (kind, earlier commitment, note)."""
    rows = sorted(rows, key=lambda row: (row.meeting_date, row.pk))
    by_key, made = {row.pk: row for row in rows}, {}
    for link in links:
        made.setdefault(link.commitment_id, []).append(
            {"kind": link.get_kind_display().lower(), "earlier": by_key[link.earlier_id], "note": link.note}
        )
    return [{"commitment": row, "links": made.get(row.pk, [])} for row in rows]


def pair_threads(pair, limit=PER_GROUP_LENGTH):
    """The threads of the pair's commitments (those linked to each other), the latest first: at
    most `limit`, read from the latest MAX_THREAD_LINKS links."""
    keys = CommitmentPair.objects.between(pair.a, pair.b).values("commitment")
    links = list(
        CommitmentLink.objects.filter(commitment__in=keys, earlier__in=keys)
        .select_related("commitment__meeting", "earlier__meeting")
        .order_by("-commitment__meeting_date", "-id")[:MAX_THREAD_LINKS]
    )
    thread_of = {}  # commitment key: the set of keys of its thread (union of linked ones)
    for link in links:
        joined = thread_of.get(link.commitment_id, {link.commitment_id}) | thread_of.get(
            link.earlier_id, {link.earlier_id}
        )
        for key in joined:
            thread_of[key] = joined
    rows = {row.pk: row for link in links for row in (link.commitment, link.earlier)}
    threads, seen = [], set()
    for link in links:  # latest first
        keys_of_thread = thread_of[link.commitment_id]
        if id(keys_of_thread) in seen:
            continue
        seen.add(id(keys_of_thread))
        threads.append(
            thread_items(
                [rows[key] for key in keys_of_thread],
                [other for other in links if other.commitment_id in keys_of_thread],
            )
        )
    return threads[:limit]


class AgreementDetailView(CachedPageMixin, DetailView):
    queryset = Agreement.objects.with_related().prefetch_related(
        Prefetch("events", queryset=AgreementEvent.objects.select_related("party", "source")),
        Prefetch("citations", queryset=AgreementCitation.objects.select_related("source")),
        Prefetch(
            "commitments", queryset=Commitment.objects.select_related("topic").order_by("paragraph", "id")
        ),
        "signatories__country",
        "signatories__leader",
        "texts",
        "supersedes",
        "superseded_by",
        "amends",
        "amended_by",
    )
    template_name = "agreements/agreement_detail.html"

    def get_context_data(self, **kwargs):
        parties = list(self.object.parties.all())
        return super().get_context_data(pair=Pair(*parties) if len(parties) == 2 else None, **kwargs)


class CountryListView(DownloadMixin, CachedPageMixin, ListView):
    template_name = "agreements/country_list.html"
    context_object_name = "countries"
    export_name = "countries"

    def export_rows(self):
        with_agreements = Agreement.parties.through.objects.filter(country=OuterRef("pk"))
        return (
            Country.objects.filter(
                Q(tally__meetings__gt=0) | Q(tally__commitments__gt=0) | Exists(with_agreements)
            )
            .annotate(
                meeting_count=Coalesce(F("tally__meetings"), 0),
                commitment_count=Coalesce(F("tally__commitments"), 0),
                agreement_count=Count("agreements", distinct=True),
            )
            .order_by("name")
        )

    def get_queryset(self):
        return self.export_rows()


class LowerCaseCodeMixin:
    """A country code typed in capitals (`/countries/GB/`) answers 301 to its canonical URL."""

    def get(self, request, *args, **kwargs):
        code = kwargs["code"]
        if len(code) == 2 and code.isascii() and code.isalpha() and code != code.lower():
            return redirect(request.resolver_match.view_name, code=code.lower(), permanent=True)
        return super().get(request, *args, **kwargs)


class CountryDetailView(LowerCaseCodeMixin, CachedPageMixin, DetailView):
    template_name = "agreements/country_detail.html"
    context_object_name = "country"

    def get_object(self, queryset=None):
        return country_by_code(self.kwargs["code"])

    def get_context_data(self, **kwargs):
        country = self.object
        tally = CountryTally.objects.filter(country=country).first()
        partners = [
            {
                "country": row.country_b if row.country_a_id == country.code else row.country_a,
                "pair": row.pair,
                "meetings": row.meetings,
            }
            for row in PairTally.objects.filter(Q(country_a=country) | Q(country_b=country), meetings__gt=0)
            .select_related("country_a", "country_b")
            .order_by("-meetings", "country_a", "country_b")
        ]
        return super().get_context_data(
            leaders=country.leaders.order_by("-took_office", "name"),
            groupings=country.groupings.all(),
            meetings=latest_meetings(CountryMeeting.objects.filter(country=country)),
            agreements=Agreement.objects.filter(parties=country).prefetch_related("parties")[
                :DETAIL_LIST_LENGTH
            ],
            partners=partners,
            world_map=worldmap.world_map(
                [
                    (partner["country"], partner["meetings"], partner["pair"].get_absolute_url())
                    for partner in partners
                ],
                own=country,
                title=f"Countries {country.name} met, by number of meetings",
            ),
            meeting_total=tally.meetings if tally else 0,
            commitment_total=tally.commitments if tally else 0,
            code=country.code.lower(),
            **kwargs,
        )


class LeaderListView(DownloadMixin, CachedPageMixin, ListView):
    template_name = "agreements/leader_list.html"
    context_object_name = "leaders"
    export_name = "leaders"

    def export_rows(self):
        return (
            Leader.objects.select_related("country")
            .annotate(meeting_count=Coalesce(F("tally__meetings"), 0))
            .order_by("name")
        )

    def get_queryset(self):
        return self.export_rows()


class LeaderDetailView(CachedPageMixin, DetailView):
    queryset = Leader.objects.select_related("country", "tally")
    template_name = "agreements/leader_detail.html"

    def get_context_data(self, **kwargs):
        leader = self.object
        tally = getattr(leader, "tally", None)
        return super().get_context_data(
            meetings=latest_meetings(LeaderMeeting.objects.filter(leader=leader)),
            meeting_total=tally.meetings if tally else 0,
            term_citations=leader.citations.select_related("source"),
            other_terms=Leader.objects.filter(name=leader.name)
            .exclude(pk=leader.pk)
            .select_related("country"),
            **kwargs,
        )


def status_counts_by_topic():
    """{topic slug: {status: number of commitments}}, from the summaries."""
    counts = {}
    rows = CommitmentTally.objects.order_by().values_list("topic", "status").annotate(n=Sum("commitments"))
    for topic, status, number in rows:
        counts.setdefault(topic, {})[status] = number
    return counts


class TopicListView(DownloadMixin, CachedPageMixin, ListView):
    template_name = "agreements/topic_list.html"
    context_object_name = "topics"
    export_name = "topics"

    def export_rows(self):
        counts = status_counts_by_topic()
        topics = list(Topic.objects.all())
        for topic in topics:
            by_status = counts.get(topic.slug, {})
            for status in Status:
                setattr(topic, status.value.replace("-", "_"), by_status.get(status, 0))
            topic.commitment_count = sum(by_status.values())
        return topics

    def get_queryset(self):
        return self.export_rows()

    def get_context_data(self, **kwargs):
        return super().get_context_data(statuses=Status.choices, **kwargs)


class TopicDetailView(CachedPageMixin, DetailView):
    """A topic's commitments by status: the count of each status and its latest commitments."""

    model = Topic
    template_name = "agreements/topic_detail.html"

    def get_context_data(self, **kwargs):
        counts = status_counts_by_topic().get(self.object.pk, {})
        on_topic = Commitment.objects.on_topic(self.object).with_related().order_by(*Commitment.NEWEST_FIRST)
        groups = [
            {
                "status": value,
                "label": label,
                "count": counts[value],
                "commitments": on_topic.filter(status=value)[:PER_GROUP_LENGTH],
            }
            for value, label in Status.choices
            if counts.get(value)
        ]
        return super().get_context_data(
            by_status=groups, commitment_count=sum(counts.values()), per_group=PER_GROUP_LENGTH, **kwargs
        )


# Pairs --------------------------------------------------------------------------------------


class RelationListView(DownloadMixin, CachedPageMixin, TemplateView):
    template_name = "agreements/relation_list.html"
    export_name = "relations"

    def export_rows(self):
        return busiest_pairs()

    def get_context_data(self, **kwargs):
        return super().get_context_data(pairs=busiest_pairs(), **kwargs)


class RelationDetailView(CachedPageMixin, TemplateView):
    """`/relations/it-jp/`: everything two countries met about and agreed.

    The page shows the counts (by topic and status, from the summaries), the whole timeline and
    the latest meetings and commitments of each topic; the filtered lists it links to hold the rest.
    """

    template_name = "agreements/relation_detail.html"

    def get(self, request, *args, **kwargs):
        self.pair, moved = pair_from_url("agreements:relation-detail", kwargs["a"], kwargs["b"])
        return moved or super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        pair = self.pair
        tally = pair.tally() or SimpleNamespace(meetings=0, commitments=0)
        cells = {(row.topic_id, row.status): row.commitments for row in pair.topic_tallies()}
        agreements = list(
            Agreement.objects.between(pair.a, pair.b).prefetch_related("parties")[: MAX_DOTS + 1]
        )
        if not (tally.meetings or tally.commitments or agreements):
            raise Http404("No records for this pair.")
        topics = [topic for topic in Topic.objects.all() if any(t == topic.pk for t, _status in cells)]
        rows = Commitment.objects.select_related("meeting", "topic")
        upgrade_keys = pair.commitment_keys(topic=PARTNERSHIP_UPGRADE)
        levels = CommitmentPair.objects.between(pair.a, pair.b).filter(topic=PARTNERSHIP_UPGRADE)
        latest_levels = levels.order_by("-meeting_date", "-commitment").values_list(
            "meeting_date", "commitment__level_to"
        )[:MAX_LEVELS]
        upgrades = [
            SimpleNamespace(meeting=SimpleNamespace(date=day), level_to=level)
            for day, level in reversed(list(latest_levels))
        ]
        recent_upgrades = sorted(
            rows.filter(pk__in=list(upgrade_keys[:PER_GROUP_LENGTH])),
            key=lambda row: (row.meeting_date, row.pk),
        )
        matrix = status_matrix(pair, topics, cells)
        latest = {
            row["topic"].pk: list(pair.commitment_keys(topic=row["topic"])[:PER_GROUP_LENGTH])
            for row in matrix
        }
        by_key = rows.in_bulk([key for keys in latest.values() for key in keys])
        topic_groups = [
            {
                "topic": row["topic"],
                "commitments": [by_key[key] for key in latest[row["topic"].pk]],
                "total": row["total"],
                "url": row["url"],
            }
            for row in matrix
        ]
        if tally.meetings > MAX_DOTS:
            timeline, by_year = [], pair.meetings_by_year()
        else:
            rows = pair.meetings().order_by("date", "slug").values_list("date", "slug", "kind", "title")
            timeline, by_year = [SimpleNamespace(date=d, slug=s, kind=k, title=t) for d, s, k, t in rows], {}
        return super().get_context_data(
            pair=pair,
            tie=DiplomaticTie.objects.between(pair.a, pair.b).select_related("source").first(),
            groupings=Grouping.objects.filter(members=pair.a).filter(members=pair.b),
            meetings=latest_meetings(MeetingPair.objects.between(pair.a, pair.b)),
            meeting_total=tally.meetings,
            commitment_total=tally.commitments,
            timeline_meetings=timeline,
            timeline_agreements=agreements[:MAX_DOTS],
            agreements=agreements[:DETAIL_LIST_LENGTH],
            agreement_total_is_more=len(agreements) > DETAIL_LIST_LENGTH,
            agreements_url=f"{reverse('agreements:agreement-list')}?country={pair.a.code.lower()}&country={pair.b.code.lower()}",
            meetings_by_year=by_year,
            topic_groups=topic_groups,
            upgrades_url=pair.commitments_url(topic=PARTNERSHIP_UPGRADE),
            upgrades=upgrades,
            upgrade_total=sum(n for (topic, _status), n in cells.items() if topic == PARTNERSHIP_UPGRADE),
            recent_upgrades=recent_upgrades,
            current_level=upgrades[-1].level_to if upgrades else "",
            matrix=matrix,
            statuses=Status.choices,
            threads=pair_threads(pair),
            **kwargs,
        )


# Scorecards --------------------------------------------------------------------------------------


class ScorecardView(TemplateView):
    """What became of the commitments of a pair, a country or a topic (`agreements.scorecards`):
    the page, or its figures as CSV or JSON (`format=`)."""

    template_name = "agreements/scorecard.html"

    def get(self, request, *args, **kwargs):
        fmt = export_format(request)
        if fmt:
            return self.find_scope(**kwargs) or download(request, "scorecard", fmt, self.figures)
        parent = super().get
        return cached_page(
            (type(self).__name__, tuple(sorted(kwargs.items()))),
            lambda: self.find_scope(**kwargs) or parent(request),
        )

    @cached_property
    def card(self):
        return scorecards.build(**self.scope())

    def figures(self):
        return [{"scope": self.card.title, "figure": figure} for figure in self.card.figures()]

    def get_context_data(self, **kwargs):
        card = self.card
        return super().get_context_data(card=card, statuses=Status.choices, back=self.back(), **kwargs)


class PairScorecardView(ScorecardView):
    def find_scope(self, a, b):
        self.pair, moved = pair_from_url("agreements:relation-scorecard", a, b)
        return moved

    def scope(self):
        pair = self.pair
        return {
            "title": f"{pair.a.name} and {pair.b.name}",
            "rows": CommitmentPair.objects.between(pair.a, pair.b),
            "list_params": {"country": [pair.a.code.lower(), pair.b.code.lower()]},
            "parties": [pair.a, pair.b],
        }

    def back(self):
        return self.pair.get_absolute_url()


class CountryScorecardView(LowerCaseCodeMixin, ScorecardView):
    def find_scope(self, code):
        self.country = country_by_code(code)

    def scope(self):
        country = self.country
        return {
            "title": country.name,
            "rows": CountryCommitment.objects.filter(country=country),
            "list_params": {"country": [country.code.lower()]},
            "parties": [country],
        }

    def back(self):
        return self.country.get_absolute_url()


class TopicScorecardView(ScorecardView):
    def find_scope(self, slug):
        self.topic = get_object_or_404(Topic, slug=slug)

    def scope(self):
        return {
            "title": self.topic.name,
            "rows": Commitment.objects.on_topic(self.topic),
            "list_params": {"topic": [self.topic.slug]},
        }

    def back(self):
        return self.topic.get_absolute_url()


def status_matrix(pair, topics, cells):
    """Rows of (topic, [count per status], total) from counts by (topic, status), topics in order,
    each count with the URL of the pair's commitments it counts."""
    rows = []
    for topic in topics:
        counts = [
            {
                "status": value,
                "count": cells.get((topic.pk, value), 0),
                "url": pair.commitments_url(topic=topic.slug, status=value),
            }
            for value, _label in Status.choices
        ]
        total = sum(cell["count"] for cell in counts)
        rows.append(
            {"topic": topic, "cells": counts, "total": total, "url": pair.commitments_url(topic=topic.slug)}
        )
    return rows


# Search -------------------------------------------------------------------------------------

SECTION_LENGTH = 5  # rows of each kind the search page shows; the full list is one link away
SECTION_COUNT_LIMIT = 100  # matches of each kind the search page counts; its list counts to 1,000


def search_section(name, label, rows, list_url=None):
    """One kind of record on the search page: its first SECTION_LENGTH rows of `rows` (in their
    order) and how many there are, counted up to SECTION_COUNT_LIMIT only when they fill it."""
    first = list(rows[:SECTION_LENGTH])
    count, exact = (
        (len(first), True) if len(first) < SECTION_LENGTH else bounded_count(rows, SECTION_COUNT_LIMIT)
    )
    return {"name": name, "label": label, "rows": first, "count": count, "exact": exact, "list_url": list_url}


class SearchView(TemplateView):
    """Every kind of record matching one query (`q`): each kind's first rows, how many there are
    and a link to its full list. A bad query answers 400 with the form's error."""

    template_name = "agreements/search.html"

    def get(self, request, *args, **kwargs):
        if canonical := without_empty_parameters(request):
            return canonical
        form = SearchForm(request.GET)
        if not form.is_valid():
            response = self.render_to_response(self.get_context_data(form=form, sections=[]))
            response.status_code = 400
            return response
        query = form.cleaned_data["q"]
        if not query:
            return self.render_to_response(self.get_context_data(form=form, sections=[]))
        return cached_page(
            ("SearchView", query),
            lambda: self.render_to_response(self.get_context_data(form=form, query=query)),
        )

    def get_context_data(self, **kwargs):
        query = kwargs.get("query")
        if query is not None:
            kwargs["sections"] = self.sections(query)
        return super().get_context_data(**kwargs)

    def sections(self, query):
        encoded = urlencode({"q": query})
        meetings = Meeting.objects.order_by("-date", "-pk")
        # the topics read apart: a join would make SQLite sort every match instead of reading newest first
        commitments = Commitment.objects.prefetch_related("topic").order_by(*Commitment.NEWEST_FIRST)
        return [
            search_section(
                "meetings",
                "Meetings",
                meetings.matching(query),
                f"{reverse('agreements:meeting-list')}?{encoded}",
            ),
            search_section(
                "commitments",
                "Commitments",
                commitments.matching(query),
                f"{reverse('agreements:commitment-list')}?{encoded}",
            ),
            search_section(
                "agreements",
                "Agreements",
                Agreement.objects.order_by("-date", "-pk").matching(query),
                f"{reverse('agreements:agreement-list')}?{encoded}",
            ),
            search_section("leaders", "Leaders", Leader.objects.select_related("country").matching(query)),
            search_section("countries", "Countries", Country.objects.matching(query)),
        ]


# Home and about -----------------------------------------------------------------------------


class HomeView(CachedPageMixin, TemplateView):
    template_name = "agreements/home.html"

    def get_context_data(self, **kwargs):
        counts = status_counts_by_topic()
        topics = list(Topic.objects.all())
        for topic in topics:
            topic.commitment_count = sum(counts.get(topic.slug, {}).values())
        meeting_total = MeetingTally.objects.aggregate(total=Sum("meetings"))["total"] or 0
        countries = list(CountryTally.objects.that_met())
        return super().get_context_data(
            countries=countries,
            world_map=worldmap.world_map(
                [(tally.country, tally.meetings, tally.country.get_absolute_url()) for tally in countries],
                title="Countries by number of meetings",
            ),
            latest_meetings=Meeting.objects.with_related()[:6],
            topics=topics,
            top_count=max((topic.commitment_count for topic in topics), default=0),
            pairs=busiest_pairs(limit=6),
            meeting_total=meeting_total,
            commitment_total=sum(topic.commitment_count for topic in topics),
            **kwargs,
        )


class AboutView(CachedPageMixin, TemplateView):
    template_name = "agreements/about.html"

    def get_context_data(self, **kwargs):
        statuses = [
            {"value": value, "label": label, "definition": STATUS_DEFINITIONS[value]}
            for value, label in Status.choices
        ]
        return super().get_context_data(
            statuses=statuses,
            topics=Topic.objects.all(),
            record_updated=record_updated(),
            limits={
                "description": CORRECTION_DESCRIPTION_MAX_LENGTH,
                "per_client": corrections.PER_CLIENT_PER_HOUR,
                "all": corrections.ALL_PER_HOUR,
            },
            **kwargs,
        )


# Corrections --------------------------------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class CorrectionCreateView(TemplateView):
    """`/corrections/new/?page=/meetings/<slug>/`: a reader's report of an error on a record's page.

    Never kept by the page cache or by browsers: it carries a CSRF token. Invalid input answers 400
    with the errors beside the fields; over the rate limit, 429 with the form as it was sent. A
    filled honeypot is answered as a report taken, and not stored.
    """

    template_name = "agreements/correction_form.html"

    def get(self, request, *args, **kwargs):
        path = request.GET.get("page", "")
        title = corrections.record_title(path)
        form = corrections.CorrectionForm(initial={"page": path} if title else {})
        return self.render_to_response(self.get_context_data(form=form, record_title=title))

    def post(self, request, *args, **kwargs):
        form = corrections.CorrectionForm(request.POST)
        if not form.is_valid():
            title = getattr(form, "record_title", None)
            return self.render_to_response(self.get_context_data(form=form, record_title=title), status=400)
        sent = f"{reverse('agreements:correction-sent')}?{urlencode({'page': form.cleaned_data['page']})}"
        if form.is_spam:
            return redirect(sent)
        address_hash, now = corrections.client_hash(client_ip(request)), timezone.now()
        if refusal := corrections.over_limit(address_hash, now):
            context = self.get_context_data(form=form, record_title=form.record_title, refusal=refusal)
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(int(corrections.WINDOW.total_seconds()))
            return response
        form.instance.client_hash, form.instance.received_at = address_hash, now
        form.save()
        return redirect(sent)


@method_decorator(never_cache, name="dispatch")
class CorrectionSentView(TemplateView):
    template_name = "agreements/correction_sent.html"

    def get_context_data(self, **kwargs):
        path = self.request.GET.get("page", "")
        return super().get_context_data(page=path if corrections.record_title(path) else "", **kwargs)


class CorrectionLogView(TemplateView):
    """`/corrections/`: the accepted corrections, the latest accepted first, a page at a time."""

    template_name = "agreements/correction_list.html"
    paginate_by = 25

    def get(self, request, *args, **kwargs):
        number = page_number(request)
        parent = super().get
        return cached_page((type(self).__name__, number), lambda: parent(request, *args, number=number))

    def get_context_data(self, **kwargs):
        number = kwargs.pop("number")
        paginator = BoundedPaginator(
            Correction.objects.accepted().values_list("pk", flat=True),
            self.paginate_by,
            Correction.objects.accepted().count(),
            True,
            Correction.objects.only("page", "received_at", "decided_at", "public_note"),
        )
        number = paginator.num_pages if number == "last" else number
        if number > paginator.num_pages:
            raise Http404("No such page.")
        page = paginator.page(number)
        return super().get_context_data(
            corrections=page.object_list,
            page_obj=page,
            paginator=paginator,
            is_paginated=paginator.num_pages > 1,
        )
