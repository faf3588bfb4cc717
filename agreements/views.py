"""The public pages. Lists filter through `filters.py`; every page runs a fixed number of queries."""

from django.core.exceptions import BadRequest
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
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
    Status,
    StatusChange,
    Topic,
)

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


def pairs(meetings=None, commitments=None, limit=None):
    """The pairs that met, most meetings first: dicts with both countries and the counts."""
    meetings = Meeting.objects.all() if meetings is None else meetings
    commitments = Commitment.objects.all() if commitments is None else commitments
    met = meetings.pair_counts()
    if limit:
        met = met[:limit]
    agreed = {(a, b): count for a, b, count in commitments.pair_counts()}
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


# Lists with filters -------------------------------------------------------------------------


class FilteredListView(FilterView):
    """A filtered list that is also a CSV or JSON download (`format=`), never a 500.

    Invalid filter values: the page shows the form's errors and no rows, with status 400.
    """

    paginate_by = 25
    export_name = ""

    def get(self, request, *args, **kwargs):
        export = exports.ExportForm(request.GET)
        if not export.is_valid():
            raise BadRequest("format must be csv or json.")
        self.filterset = self.get_filterset(self.get_filterset_class())
        valid = not self.filterset.is_bound or self.filterset.is_valid()
        fmt = export.cleaned_data["format"]
        if fmt:
            if not valid:
                raise BadRequest(self.filterset.form.errors.as_text())
            return exports.stream(self.export_name, fmt, self.filterset.qs, request)
        self.object_list = self.filterset.qs if valid else self.filterset.queryset.none()
        context = self.get_context_data(
            filter=self.filterset, object_list=self.object_list, facets=self.filterset.facets()
        )
        response = self.render_to_response(context)
        if not valid:
            response.status_code = 400
        return response


class MeetingListView(FilteredListView):
    filterset_class = MeetingFilter
    queryset = Meeting.objects.with_related()
    template_name = "agreements/meeting_list.html"
    export_name = "meetings"


class CommitmentListView(FilteredListView):
    filterset_class = CommitmentFilter
    queryset = Commitment.objects.with_related().order_by("-meeting__date", "id")
    template_name = "agreements/commitment_list.html"
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


class CountryListView(ListView):
    queryset = Country.objects.with_records().annotate(meeting_count=Count("meetings")).order_by("name")
    template_name = "agreements/country_list.html"
    context_object_name = "countries"


class CountryDetailView(DetailView):
    template_name = "agreements/country_detail.html"
    context_object_name = "country"

    def get_object(self, queryset=None):
        return country_by_code(self.kwargs["code"])

    def get_context_data(self, **kwargs):
        country = self.object
        partners = (
            Country.objects.filter(meetings__in=Meeting.objects.involving(country))
            .exclude(code=country.code)
            .annotate(meeting_count=Count("meetings"))
            .order_by("-meeting_count", "name")
        )
        partner_list = [
            {
                "country": partner,
                "slug": pair_slug(country.code, partner.code),
                "meetings": partner.meeting_count,
            }
            for partner in partners
        ]
        return super().get_context_data(
            leaders=country.leaders.order_by("-took_office", "name"),
            partners=partner_list,
            groupings=country.groupings.all(),
            meetings=Meeting.objects.involving(country).with_related()[:10],
            meeting_total=Meeting.objects.involving(country).count(),
            commitment_total=Commitment.objects.between(country).count(),
            code=country.code.lower(),
            **kwargs,
        )


class LeaderListView(ListView):
    queryset = (
        Leader.objects.select_related("country").annotate(meeting_count=Count("meetings")).order_by("name")
    )
    template_name = "agreements/leader_list.html"
    context_object_name = "leaders"


class LeaderDetailView(DetailView):
    queryset = Leader.objects.select_related("country")
    template_name = "agreements/leader_detail.html"

    def get_context_data(self, **kwargs):
        leader = self.object
        return super().get_context_data(
            meetings=leader.meetings.with_related(),
            other_terms=Leader.objects.filter(name=leader.name)
            .exclude(pk=leader.pk)
            .select_related("country"),
            **kwargs,
        )


class TopicListView(ListView):
    template_name = "agreements/topic_list.html"
    context_object_name = "topics"

    def get_queryset(self):
        counts = {
            status.value.replace("-", "_"): Count("commitments", filter=Q(commitments__status=status))
            for status in Status
        }
        # Meta.ordering does not apply to aggregate queries: order explicitly.
        return Topic.objects.annotate(commitment_count=Count("commitments"), **counts).order_by(
            "position", "name"
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(statuses=Status.choices, **kwargs)


class TopicDetailView(DetailView):
    model = Topic
    template_name = "agreements/topic_detail.html"

    def get_context_data(self, **kwargs):
        commitments = list(
            Commitment.objects.on_topic(self.object).with_related().order_by("-meeting__date", "id")
        )
        by_status = []
        for value, label in Status.choices:
            rows = [commitment for commitment in commitments if commitment.status == value]
            if rows:
                by_status.append({"status": value, "label": label, "commitments": rows})
        return super().get_context_data(by_status=by_status, commitment_count=len(commitments), **kwargs)


# Pairs --------------------------------------------------------------------------------------


class RelationListView(TemplateView):
    template_name = "agreements/relation_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(pairs=pairs(), **kwargs)


class RelationDetailView(TemplateView):
    """`/relations/it-jp/`: everything two countries met about and agreed."""

    template_name = "agreements/relation_detail.html"

    def get(self, request, *args, **kwargs):
        first, second = self.kwargs["a"], self.kwargs["b"]
        if first == second:
            raise Http404("A pair needs two countries.")
        if first > second:
            return redirect("agreements:relation-detail", a=second, b=first, permanent=True)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        a = country_by_code(self.kwargs["a"])
        b = country_by_code(self.kwargs["b"])
        meetings = list(Meeting.objects.involving(a, b).with_related())
        commitments = list(
            Commitment.objects.between(a, b)
            .with_related()
            .order_by("topic__position", "-meeting__date", "id")
        )
        if not meetings and not commitments:
            raise Http404("No records for this pair.")
        upgrades = sorted(
            (c for c in commitments if c.topic_id == PARTNERSHIP_UPGRADE),
            key=lambda c: (c.meeting.date, c.pk),
        )
        kwargs.update(a=a, b=b)
        return super().get_context_data(
            slug=pair_slug(a.code, b.code),
            codes=[a.code.lower(), b.code.lower()],
            tie=DiplomaticTie.objects.between(a, b).select_related("source").first(),
            groupings=Grouping.objects.filter(members=a).filter(members=b),
            meetings=meetings,
            commitments=commitments,
            upgrades=upgrades,
            current_level=upgrades[-1].level_to if upgrades else "",
            matrix=status_matrix(commitments),
            statuses=Status.choices,
            **kwargs,
        )


def status_matrix(commitments):
    """Rows of (topic, [count per status], total) for the commitments given, topics in order."""
    rows = {}
    for commitment in commitments:
        row = rows.setdefault(commitment.topic_id, {"topic": commitment.topic, "counts": {}, "total": 0})
        row["counts"][commitment.status] = row["counts"].get(commitment.status, 0) + 1
        row["total"] += 1
    return [
        {
            "topic": row["topic"],
            "cells": [
                {"status": value, "count": row["counts"].get(value, 0)} for value, _label in Status.choices
            ],
            "total": row["total"],
        }
        for row in rows.values()
    ]


# Home and about -----------------------------------------------------------------------------


class HomeView(TemplateView):
    template_name = "agreements/home.html"

    def get_context_data(self, **kwargs):
        topics = list(
            Topic.objects.annotate(commitment_count=Count("commitments")).order_by("position", "name")
        )
        return super().get_context_data(
            latest_meetings=Meeting.objects.with_related()[:6],
            topics=topics,
            top_count=max((topic.commitment_count for topic in topics), default=0),
            pairs=pairs(limit=6),
            meeting_total=Meeting.objects.count(),
            commitment_total=Commitment.objects.count(),
            **kwargs,
        )


class AboutView(TemplateView):
    template_name = "agreements/about.html"

    def get_context_data(self, **kwargs):
        statuses = [
            {"value": value, "label": label, "definition": STATUS_DEFINITIONS[value]}
            for value, label in Status.choices
        ]
        return super().get_context_data(statuses=statuses, topics=Topic.objects.all(), **kwargs)
