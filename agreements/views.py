"""The public pages. Lists filter through `filters.py`; every page runs a fixed number of queries."""

from types import SimpleNamespace

from django.core.cache import cache
from django.core.exceptions import BadRequest
from django.db import connections
from django.db.models import Count, F, OrderBy, Prefetch, Q, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.cache import get_conditional_response
from django.utils.functional import cached_property
from django.views.generic import DetailView, ListView, TemplateView
from django_filters.views import FilterView

from . import exports
from .filters import CommitmentFilter, MeetingFilter
from .models import (
    PARTNERSHIP_UPGRADE,
    Commitment,
    CommitmentCitation,
    Country,
    DiplomaticTie,
    Grouping,
    Leader,
    Meeting,
    MeetingCitation,
    Snapshot,
    Status,
    StatusChange,
    Topic,
)

DETAIL_LIST_LENGTH = 20  # rows of a list on a detail page; the full list is one link away
PER_GROUP_LENGTH = 10  # rows of each topic or status group on a detail page

STATUS_DEFINITIONS = {
    Status.ANNOUNCED: "Agreed and made public at a meeting; no source yet shows work on it.",
    Status.IN_PROGRESS: "A source shows that work has begun: a body set up, talks opened, money committed.",
    Status.FULFILLED: "A source shows that what was agreed has been done.",
    Status.LAPSED: "A source shows it was abandoned, or its target passed with nothing done.",
}


def pair_slug(first, second):
    """`it-jp`: the two codes, lower case, in alphabetical order."""
    return "-".join(sorted(code.lower() for code in (first, second)))


def country_by_code(code):
    if len(code) != 2 or not code.isascii() or not code.isalpha() or code != code.lower():
        raise Http404("No such country code.")
    return get_object_or_404(Country, code=code.upper())


def pair_redirect(url_name, a, b):
    """The URL rules of a pair's pages (`url_name` takes `a` and `b`): twice the same code
    answers 404, the reversed order a 301 to the alphabetical one; None when the URL is right."""
    if a == b:
        raise Http404("A pair needs two countries.")
    if a > b:
        return redirect(url_name, a=b, b=a, permanent=True)
    return None


def pair_countries(a, b):
    """The two countries of a pair's URL (codes in alphabetical order), or 404."""
    return country_by_code(a), country_by_code(b)


def pairs(meetings=None, commitments=None, limit=None):
    """The pairs that met, most meetings first: dicts with both countries and the counts."""
    meetings = Meeting.objects.all() if meetings is None else meetings
    commitments = Commitment.objects.all() if commitments is None else commitments
    met = meetings.pair_counts()
    if limit:
        met = met[:limit]
    only = [(a, b) for a, b, _count in met] if limit else ()
    agreed = {(a, b): count for a, b, count in commitments.pair_counts(only)}
    codes = {code for a, b, _count in met for code in (a, b)}
    names = {country.code: country for country in Country.objects.filter(code__in=codes)}
    return [
        {
            "a": names[a],
            "b": names[b],
            "slug": pair_slug(a, b),
            "meetings": count,
            "commitments": agreed.get((a, b), 0),
        }
        for a, b, count in met
    ]


def latest_per_group(queryset, field, values, length, order):
    """The first `length` rows (in `order`) for each value of `field`: one query, whatever the groups.

    The rows' keys come from a UNION ALL of one sliced subquery per group, so each group reads
    only its first rows from an index in `order` (an OR of subqueries, or a window function,
    reads every row of every group). Django cannot put sliced queries in a union used as a
    subquery on SQLite, so the union is written out from the subqueries' own SQL.
    """
    if not values:
        return queryset.none()
    connection = connections[queryset.db]
    parts, params = [], []
    for number, value in enumerate(values):
        first = queryset.filter(**{field: value}).order_by(*order).values("pk")[:length]
        sql, part_params = first.query.get_compiler(connection=connection).as_sql()
        parts.append(f"SELECT * FROM ({sql}) AS group_{number}")
        params.extend(part_params)
    return queryset.model.objects.filter(pk__in=RawSQL(" UNION ALL ".join(parts), params)).order_by(*order)


def ranked_per_group(queryset, field, values, length, order):
    """The keys of the same rows as `latest_per_group`, from a window function: one pass over
    the rows of all groups, so its cost follows the size of `queryset` (a pair's commitments,
    read from the parties' index), not of each group in the whole table."""
    rank = Window(
        RowNumber(),
        partition_by=[F(field)],
        order_by=[OrderBy(F(o.lstrip("-")), descending=o.startswith("-")) for o in order],
    )
    ranked = queryset.filter(**{f"{field}__in": values}).annotate(rank_in_group=rank)
    return list(ranked.filter(rank_in_group__lte=length).values_list("pk", flat=True))


def first_keys(queryset, length):
    """The primary keys of the first `length` rows of `queryset`, to keep in a cached summary:
    finding a busy leader's or pair's latest meetings sorts thousands of rows, so it is done
    once per state of the record and each page reads the rows by key (`RowsByKey`)."""
    return list(queryset.values_list("pk", flat=True)[:length])


class RowsByKey:
    """A page's rows in the order of `keys`, read from `queryset` when first used: not at all
    when the page's HTML comes from the cache."""

    def __init__(self, queryset, keys):
        self.queryset, self.keys = queryset, keys

    @cached_property
    def rows(self):
        position = {pk: index for index, pk in enumerate(self.keys)}
        return sorted(self.queryset.filter(pk__in=self.keys), key=lambda row: position[row.pk])

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.keys)

    def __getitem__(self, index):
        return self.rows[index]


def filter_key(name, filterset):
    """A cache key for the filters of a list: its name and the values of its declared filters."""
    data = filterset.data
    return (
        name,
        tuple(
            (parameter, tuple(data.getlist(parameter)))
            for parameter in sorted(filterset.filters)
            if parameter != "sort" and parameter in data
        ),
    )


# Downloads ----------------------------------------------------------------------------------


def export_format(request):
    """`csv`, `json` or "" (the page) from the `format` parameter; any other value answers 400."""
    export = exports.ExportForm(request.GET)
    if not export.is_valid():
        raise BadRequest("format must be csv or json.")
    return export.cleaned_data["format"]


def download(request, name, fmt, rows):
    """The streamed download of `rows()`, with an ETag; 304 when the client's copy is current.

    A download of up to `exports.KEPT_SIZE` is kept in the cache under its ETag (which changes
    with the record, the day and the URL), so asking again reads no rows."""
    validator = exports.etag(request)
    unchanged = validator and get_conditional_response(request, etag=validator)
    if unchanged:
        return unchanged
    kept_key = f"agreements:download:{validator}" if validator else None
    body = cache.get(kept_key) if kept_key else None
    if body is not None:
        response = exports.response(name, fmt, body)
    else:
        keep = (lambda body: cache.set(kept_key, body, Snapshot.timeout)) if kept_key else None
        response = exports.stream(name, fmt, rows(), request, keep=keep)
    if validator:
        response["ETag"] = validator
    return response


class DownloadMixin:
    """A list without filters that is also a CSV or JSON download (`format=`) of `export_rows()`."""

    export_name = ""

    def get(self, request, *args, **kwargs):
        fmt = export_format(request)
        if fmt:
            return download(request, self.export_name, fmt, self.export_rows)
        return super().get(request, *args, **kwargs)


# Lists with filters -------------------------------------------------------------------------


class FilteredListView(FilterView):
    """A filtered list that is also a CSV or JSON download (`format=`), never a 500.

    Invalid filter values: the page shows the form's errors and no rows, with status 400.
    """

    paginate_by = 25
    export_name = ""

    def get(self, request, *args, **kwargs):
        fmt = export_format(request)
        self.filterset = self.get_filterset(self.get_filterset_class())
        valid = not self.filterset.is_bound or self.filterset.is_valid()
        if fmt:
            if not valid:
                raise BadRequest(self.filterset.form.errors.as_text())
            return download(request, self.export_name, fmt, lambda: self.filterset.qs)
        self.snapshot = Snapshot()
        self.filterset.use_cached_options(self.snapshot)
        if valid:
            self.filterset.use_date_order(
                self.row_count,
                lambda: self.snapshot.get(("count", self.export_name, ()), self.filterset.queryset.count),
            )
            self.object_list = self.filterset.qs
        else:
            self.object_list = self.filterset.queryset.none()
        facets = self.snapshot.get(
            ("facets", *filter_key(self.export_name, self.filterset)), self.filterset.facets
        )
        context = self.get_context_data(
            filter=self.filterset,
            object_list=self.object_list,
            facets=facets,
            item_name=self.item_name,
            items_name=self.export_name,
            version=self.snapshot.version,
            cache_seconds=Snapshot.timeout if self.snapshot.version else 0,
            list_url_name=f"agreements:{self.item_name}-list",
            feed_url_name=f"agreements:{self.item_name}-feed",
        )
        response = self.render_to_response(context)
        if not valid:
            response.status_code = 400
        return response

    def row_count(self):
        """The number of rows the filters match, computed once per state of the record."""
        key = ("count", *filter_key(self.export_name, self.filterset))
        return self.snapshot.get(key, self.filterset.qs.count)

    def get_paginator(self, queryset, *args, **kwargs):
        paginator = super().get_paginator(queryset, *args, **kwargs)
        if not self.filterset.form.errors:
            paginator.count = self.row_count()
        return paginator

    def paginate_queryset(self, queryset, page_size):
        """The page's rows, found once per state of the record: their keys are cached with the
        counts, and later requests read the rows by key, whatever the filters cost to apply."""
        paginator, page, rows, is_paginated = super().paginate_queryset(queryset, page_size)
        if self.filterset.form.errors:
            return paginator, page, rows, is_paginated
        sort = tuple(self.filterset.data.getlist("sort"))
        key = ("page", *filter_key(self.export_name, self.filterset), sort, page.number)
        keys = self.snapshot.get(key, lambda: list(rows.values_list("pk", flat=True)))
        page.object_list = RowsByKey(self.get_queryset(), keys)
        return paginator, page, page.object_list, is_paginated


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


# Detail pages -------------------------------------------------------------------------------


class MeetingDetailView(DetailView):
    queryset = Meeting.objects.with_related().prefetch_related(
        Prefetch(
            "commitments",
            queryset=Commitment.objects.select_related("topic").order_by(
                "topic__position", "topic__name", "id"
            ),
        ),
        Prefetch("citations", queryset=MeetingCitation.objects.select_related("source")),
    )
    template_name = "agreements/meeting_detail.html"


class CommitmentDetailView(DetailView):
    queryset = Commitment.objects.with_related().prefetch_related(
        Prefetch("history", queryset=StatusChange.objects.select_related("source")),
        Prefetch("citations", queryset=CommitmentCitation.objects.select_related("source")),
    )
    template_name = "agreements/commitment_detail.html"

    def get_context_data(self, **kwargs):
        commitment = self.object
        codes = [country.code for country in commitment.parties.all()]
        pair = pair_slug(*codes) if len(codes) == 2 else ""
        return super().get_context_data(
            status_definition=STATUS_DEFINITIONS.get(commitment.status, ""), pair=pair, **kwargs
        )


class CountryListView(DownloadMixin, ListView):
    template_name = "agreements/country_list.html"
    context_object_name = "countries"
    export_name = "countries"

    def export_rows(self):
        return Country.objects.with_records().annotate(meeting_count=Count("meetings")).order_by("name")

    def get_queryset(self):
        return Snapshot().get("country-list", lambda: list(self.export_rows()))


class CountryDetailView(DetailView):
    template_name = "agreements/country_detail.html"
    context_object_name = "country"

    def get_object(self, queryset=None):
        return country_by_code(self.kwargs["code"])

    def get_context_data(self, **kwargs):
        country = self.object

        def summary():
            partners = (
                Country.objects.filter(meetings__in=Meeting.objects.involving(country))
                .exclude(code=country.code)
                .annotate(meeting_count=Count("meetings"))
                .order_by("-meeting_count", "name")
            )
            return {
                "partners": [
                    {
                        "country": partner,
                        "slug": pair_slug(country.code, partner.code),
                        "meetings": partner.meeting_count,
                    }
                    for partner in partners
                ],
                "meeting_total": Meeting.objects.involving(country).count(),
                "commitment_total": Commitment.objects.between(country).count(),
                "latest_meetings": first_keys(Meeting.objects.involving(country), 10),
            }

        counts = Snapshot().get(("country", country.code), summary)
        return super().get_context_data(
            leaders=country.leaders.order_by("-took_office", "name"),
            groupings=country.groupings.all(),
            meetings=RowsByKey(Meeting.objects.with_related(), counts.pop("latest_meetings")),
            code=country.code.lower(),
            **counts,
            **kwargs,
        )


class LeaderListView(DownloadMixin, ListView):
    template_name = "agreements/leader_list.html"
    context_object_name = "leaders"
    export_name = "leaders"

    def export_rows(self):
        return (
            Leader.objects.select_related("country")
            .annotate(meeting_count=Count("meetings"))
            .order_by("name")
        )

    def get_queryset(self):
        return Snapshot().get("leader-list", lambda: list(self.export_rows()))


class LeaderDetailView(DetailView):
    queryset = Leader.objects.select_related("country")
    template_name = "agreements/leader_detail.html"

    def get_context_data(self, **kwargs):
        leader = self.object

        def summary():
            meetings = leader.meetings.all()
            return {"total": meetings.count(), "latest": first_keys(meetings, DETAIL_LIST_LENGTH)}

        counts = Snapshot().get(("leader-meetings", leader.pk), summary)
        return super().get_context_data(
            meetings=RowsByKey(Meeting.objects.with_related(), counts["latest"]),
            meeting_total=counts["total"],
            other_terms=Leader.objects.filter(name=leader.name)
            .exclude(pk=leader.pk)
            .select_related("country"),
            **kwargs,
        )


class TopicListView(DownloadMixin, ListView):
    template_name = "agreements/topic_list.html"
    context_object_name = "topics"
    export_name = "topics"

    def export_rows(self):
        counts = {
            status.value.replace("-", "_"): Count("commitments", filter=Q(commitments__status=status))
            for status in Status
        }
        # Meta.ordering does not apply to aggregate queries: order explicitly.
        return Topic.objects.annotate(commitment_count=Count("commitments"), **counts).order_by(
            "position", "name"
        )

    def get_queryset(self):
        return Snapshot().get("topic-list", lambda: list(self.export_rows()))

    def get_context_data(self, **kwargs):
        return super().get_context_data(statuses=Status.choices, **kwargs)


class TopicDetailView(DetailView):
    """A topic's commitments by status: the count of each status and its latest commitments."""

    model = Topic
    template_name = "agreements/topic_detail.html"

    def get_context_data(self, **kwargs):
        on_topic = Commitment.objects.on_topic(self.object)
        counts = Snapshot().get(
            ("topic-statuses", self.object.pk),
            lambda: dict(on_topic.order_by().values_list("status").annotate(count=Count("pk"))),
        )
        latest = latest_per_group(
            on_topic, "status", list(counts), PER_GROUP_LENGTH, Commitment.NEWEST_FIRST
        ).with_related()
        by_status = {value: [] for value in counts}
        for commitment in latest:
            by_status[commitment.status].append(commitment)
        groups = [
            {"status": value, "label": label, "count": counts[value], "commitments": by_status[value]}
            for value, label in Status.choices
            if counts.get(value)
        ]
        return super().get_context_data(
            by_status=groups, commitment_count=sum(counts.values()), per_group=PER_GROUP_LENGTH, **kwargs
        )


# Pairs --------------------------------------------------------------------------------------


class RelationListView(DownloadMixin, TemplateView):
    template_name = "agreements/relation_list.html"
    export_name = "relations"

    def export_rows(self):
        return pairs()

    def get_context_data(self, **kwargs):
        return super().get_context_data(pairs=Snapshot().get("pairs", pairs), **kwargs)


class RelationDetailView(TemplateView):
    """`/relations/it-jp/`: everything two countries met about and agreed.

    The page shows the counts (by topic and status), the whole timeline and the latest
    meetings and commitments of each topic; the filtered lists it links to hold the rest.
    """

    template_name = "agreements/relation_detail.html"

    def get(self, request, *args, **kwargs):
        moved = pair_redirect("agreements:relation-detail", self.kwargs["a"], self.kwargs["b"])
        return moved or super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        a, b = pair_countries(self.kwargs["a"], self.kwargs["b"])
        snapshot = Snapshot()
        meetings = Meeting.objects.involving(a, b)
        commitments = Commitment.objects.between(a, b)

        def summary():
            cells = commitments.order_by().values_list("topic_id", "status").annotate(count=Count("pk"))
            cells = {(topic, status): count for topic, status, count in cells}
            upgrades = commitments.filter(topic=PARTNERSHIP_UPGRADE).select_related("meeting")
            topics = [topic for topic in Topic.objects.all() if any(t == topic.pk for t, _s in cells)]
            return {
                "meeting_total": meetings.count(),
                "cells": cells,
                "topics": topics,
                "upgrades": list(upgrades.order_by("meeting_date", "id")),
                "latest_meetings": first_keys(meetings, DETAIL_LIST_LENGTH),
                "latest": ranked_per_group(
                    commitments,
                    "topic",
                    [topic.pk for topic in topics],
                    PER_GROUP_LENGTH,
                    Commitment.NEWEST_FIRST,
                ),
            }

        counts = snapshot.get(("pair", a.code, b.code), summary)
        if not counts["meeting_total"] and not counts["cells"]:
            raise Http404("No records for this pair.")
        topics, upgrades = counts["topics"], counts["upgrades"]
        latest = Commitment.objects.filter(pk__in=counts["latest"]).select_related("meeting", "topic")
        latest = latest.order_by("topic__position", "topic__name", *Commitment.NEWEST_FIRST)
        slug = pair_slug(a.code, b.code)

        def timeline_meetings():
            rows = meetings.order_by("date", "slug").values_list("date", "slug", "kind", "title")
            return [SimpleNamespace(date=d, slug=s, kind=k, title=t) for d, s, k, t in rows]

        kwargs.update(a=a, b=b)
        return super().get_context_data(
            slug=slug,
            codes=[a.code.lower(), b.code.lower()],
            tie=DiplomaticTie.objects.between(a, b).select_related("source").first(),
            groupings=Grouping.objects.filter(members=a).filter(members=b),
            meetings=RowsByKey(Meeting.objects.with_related(), counts["latest_meetings"]),
            meeting_total=counts["meeting_total"],
            commitment_total=sum(counts["cells"].values()),
            timeline_meetings=timeline_meetings,
            version=snapshot.version,
            commitments=latest,
            per_group=PER_GROUP_LENGTH,
            upgrades=upgrades,
            recent_upgrades=upgrades[-PER_GROUP_LENGTH:],
            current_level=upgrades[-1].level_to if upgrades else "",
            matrix=status_matrix(topics, counts["cells"]),
            statuses=Status.choices,
            **kwargs,
        )


def status_matrix(topics, cells):
    """Rows of (topic, [count per status], total) from counts by (topic, status), topics in order."""
    rows = []
    for topic in topics:
        counts = [
            {"status": value, "count": cells.get((topic.pk, value), 0)} for value, _label in Status.choices
        ]
        rows.append({"topic": topic, "cells": counts, "total": sum(cell["count"] for cell in counts)})
    return rows


# Home and about -----------------------------------------------------------------------------


class HomeView(TemplateView):
    template_name = "agreements/home.html"

    def get_context_data(self, **kwargs):
        def summary():
            topics = list(
                Topic.objects.annotate(commitment_count=Count("commitments")).order_by("position", "name")
            )
            return {
                "topics": topics,
                "top_count": max((topic.commitment_count for topic in topics), default=0),
                "pairs": pairs(limit=6),
                "meeting_total": Meeting.objects.count(),
                "commitment_total": sum(topic.commitment_count for topic in topics),
            }

        return super().get_context_data(
            latest_meetings=Meeting.objects.with_related()[:6], **Snapshot().get("home", summary), **kwargs
        )


class AboutView(TemplateView):
    template_name = "agreements/about.html"

    def get_context_data(self, **kwargs):
        statuses = [
            {"value": value, "label": label, "definition": STATUS_DEFINITIONS[value]}
            for value, label in Status.choices
        ]
        return super().get_context_data(statuses=statuses, topics=Topic.objects.all(), **kwargs)
