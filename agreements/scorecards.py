"""Follow-through scorecards: what became of the commitments of a pair, a country or a topic.

Each figure is counted in one aggregate query over one index range that holds every column it
reads (the pair's or the country's rows, or the topic's commitments: migration 0026), a party's
own statuses from the few commitments with entries for that party, and the median time to
fulfilment, from agreement to the first entry saying so, from the middle of the same range in
that order. Every figure carries the URL of the list it counts.
"""

import math
import statistics
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from .models import OPEN_STATUSES, Commitment, DaysBetween, Status, StatusChange, stale_before

DAYS_A_MONTH = 365.25 / 12


@dataclass
class Figure:
    name: str
    value: int | None
    url: str = ""
    party: str = ""
    status: str = ""


@dataclass
class Scorecard:
    title: str  # "Italy and Japan", "Japan", "Space"
    list_params: dict  # the commitment list's parameters that select the scope
    total: int = 0
    by_status: list = field(default_factory=list)  # [Figure] in the statuses' order
    by_party: list = field(default_factory=list)  # [(country, [Figure])]
    reviewed: int = 0  # reviewed in the last twelve months
    stale: Figure = None
    overdue: Figure = None
    fulfilled_with_dates: int = 0
    median_days_to_fulfilment: int | None = None  # rounded, a half day up

    @property
    def median_months(self):
        return round(self.median_days_to_fulfilment / DAYS_A_MONTH)

    @property
    def reviewed_share(self):
        return round(100 * self.reviewed / self.total) if self.total else None

    @property
    def fulfilled_url(self):
        return self.list_url(status=Status.FULFILLED)

    def list_url(self, **filters):
        query = {**self.list_params, **filters}
        return f"{reverse('agreements:commitment-list')}?{urlencode(query, doseq=True)}"

    def figures(self):
        """Every figure, as the downloads list them."""
        yield Figure("commitments", self.total, self.list_url())
        yield from self.by_status
        for _country, figures in self.by_party:
            yield from figures
        yield Figure("reviewed_last_12_months", self.reviewed)
        yield self.stale
        yield self.overdue
        yield Figure("fulfilled_with_dates", self.fulfilled_with_dates, self.fulfilled_url)
        yield Figure("median_days_to_fulfilment", self.median_days_to_fulfilment)


def tally(rows, today):
    """The scope's counts: one pass over its index range by status (each status's rows are a
    range of their own, read in order), then the recently reviewed ones, a narrow range of each
    status's rows by the day of their last review."""
    cutoff = stale_before(today)
    by_status = {
        status: figures
        for status, *figures in rows.order_by()
        .values("status")
        .annotate(
            n=Count("pk"),
            unreviewed=Count("pk") - Count("reviewed_on"),
            past_target=Count("pk", filter=Q(target_date__lt=today)),
            dated=Count("pk", filter=Q(fulfilled_on__isnull=False, meeting_date__isnull=False)),
        )
        .values_list("status", "n", "unreviewed", "past_target", "dated")
    }
    reviewed = dict(
        rows.filter(status__in=Status.values, reviewed_on__gte=cutoff)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    n, unreviewed, past_target, dated = (
        {s: by_status.get(s, (0, 0, 0, 0))[i] for s in Status.values} for i in range(4)
    )
    return {
        **n,
        "total": sum(n.values()),
        "reviewed": sum(reviewed.values()),
        "stale": sum(n[s] - reviewed.get(s, 0) - unreviewed[s] for s in OPEN_STATUSES),
        "overdue": sum(past_target[s] for s in Status.values if s != Status.FULFILLED),
        "fulfilled_with_dates": dated[Status.FULFILLED],
    }


def build(title, rows, list_params, parties=(), today=None):
    """The scorecard of a scope: `rows` are its commitments, or their party or pair rows, each
    with the columns of `FOLLOW_THROUGH` in an index led by the scope; `parties` are countries
    whose own statuses it shows (party and pair rows only); `list_params` select the same
    commitments in the list."""
    today = today or timezone.localdate()
    card = Scorecard(title, list_params)
    dated_fulfilment = Q(status=Status.FULFILLED, fulfilled_on__isnull=False, meeting_date__isnull=False)
    counts = tally(rows, today)
    card.total, card.reviewed = counts["total"], counts["reviewed"]
    card.by_status = [
        Figure("by_status", counts[status], card.list_url(status=status), status=status)
        for status in Status.values
    ]
    card.stale = Figure("stale", counts["stale"], card.list_url(stale=1))
    card.overdue = Figure("overdue", counts["overdue"], card.list_url(overdue=1))
    for country in parties:
        own = {status: counts[status] for status in Status.values}
        differing = (  # from the few entries for one party, each checked against the scope
            Commitment.objects.filter(pk__in=StatusChange.objects.filter(party=country).values("commitment"))
            .filter(Exists(rows.filter(commitment=OuterRef("pk"))))
            .with_party_status(country.code)
            .values_list("status", "party_status")
        )
        for overall, mine in differing:
            own[overall] -= 1
            own[mine] += 1
        code = country.code.lower()
        card.by_party.append(
            (
                country,
                [
                    Figure(
                        "by_party_status",
                        own[status],
                        card.list_url(party=code, party_status=status),
                        party=country.code,
                        status=status,
                    )
                    for status in Status.values
                ],
            )
        )
    card.fulfilled_with_dates = fulfilled = counts["fulfilled_with_dates"]
    if fulfilled:
        middle = (
            rows.filter(dated_fulfilment)
            .annotate(days=DaysBetween("meeting_date", "fulfilled_on"))
            .order_by("days")
            .values_list("days", flat=True)[(fulfilled - 1) // 2 : fulfilled // 2 + 1]
        )
        card.median_days_to_fulfilment = math.floor(statistics.mean(middle) + 0.5)
    return card
