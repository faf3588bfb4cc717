"""Every list and detail page runs a fixed number of queries, however many rows there are.

Each page is measured on the seed plus one set of rows matching every filter (so no list is
empty), then again after adding ten times as many: the count is pinned and must not change.
Downloads fetch rows in chunks of 500, so theirs is fixed up to that many rows.
"""

import datetime

import pytest

from agreements.models import Leader, Meeting, Topic
from tests.factories import make_commitment, make_meeting, make_source, make_status_change

TOKYO_SUMMIT = "/meetings/2026-01-16-it-jp-tokyo/"

# url: number of queries
PAGES = {
    "/": 9,
    "/about/": 1,
    "/countries/": 2,
    "/leaders/": 2,
    "/topics/": 2,
    "/relations/": 4,
    "/countries/?format=csv": 2,  # with the ETag query
    "/leaders/?format=json": 2,
    "/topics/?format=csv": 2,
    "/relations/?format=json": 4,
    "/relations/it-jp/": 16,
    "/relations/it-jp/feed/": 4,
    "/countries/jp/": 11,
    "/topics/space/": 5,
    "/leaders/sanae-takaichi/": 8,
    TOKYO_SUMMIT: 5,
    "/meetings/": 10,
    "/meetings/?country=jp&country=it": 13,
    "/meetings/?leader=sanae-takaichi": 12,
    "/meetings/?kind=official-visit": 10,
    "/meetings/?date_after=2024-01-01&date_before=2026-12-31": 10,
    "/meetings/?q=tokyo": 10,
    "/meetings/?sort=title&page=1": 10,
    "/meetings/?date_after=notadate": 3,
    "/meetings/?format=csv": 4,  # with the ETag query
    "/feeds/meetings/?country=jp": 4,
    "/commitments/": 11,
    "/commitments/?topic=space&topic=energy": 13,
    "/commitments/?status=announced": 11,
    "/commitments/?country=jp&country=it": 15,
    "/commitments/?overdue=1": 11,
    "/commitments/?date_after=2023-01-01": 11,
    "/commitments/?q=space": 11,
    "/commitments/?sort=-target": 11,
    "/commitments/?topic=weather": 4,
    "/commitments/?format=json&topic=space": 4,  # with the ETag query
    "/feeds/commitments/?topic=space": 3,
}


def grow(times=10):
    """Add `times` as many meetings and commitments as the seed holds, matching every filter above."""
    takaichi = Leader.objects.get(slug="sanae-takaichi")
    meloni = Leader.objects.get(slug="giorgia-meloni")
    space, energy = Topic.objects.get(slug="space"), Topic.objects.get(slug="energy")
    for n in range(times * Meeting.objects.count()):
        meeting = make_meeting(
            kind="official-visit",
            date=datetime.date(2025, 1, 1) + datetime.timedelta(days=n),
            city="Tokyo",
            title=f"Talks in Tokyo {n}",
            leaders=[takaichi, meloni],
        )
        for topic in (space, energy):
            commitment = make_commitment(
                meeting=meeting,
                topic=topic,
                summary=f"More {topic.slug} work {n}",
                target_date=datetime.date(2025, 12, 31),
                target_precision="year",
                sources=[make_source(), make_source()],
            )
            make_status_change(commitment, date=datetime.date(2025, 6, 1))


@pytest.mark.parametrize(("url", "queries"), PAGES.items())
def test_query_count_is_fixed_whatever_the_number_of_rows(
    client, seed, django_assert_num_queries, url, queries
):
    grow(1)
    with django_assert_num_queries(queries):
        first = client.get(url)
        if first.streaming:
            b"".join(first.streaming_content)
    grow()
    with django_assert_num_queries(queries):
        second = client.get(url)
        if second.streaming:
            b"".join(second.streaming_content)
    assert second.status_code == first.status_code


def test_meeting_page_with_many_commitments_and_sources(client, seed, django_assert_num_queries):
    meeting = Meeting.objects.get(slug="2026-01-16-it-jp-tokyo")
    for n in range(40):
        make_commitment(meeting=meeting, summary=f"Extra {n}", sources=[make_source()])
    with django_assert_num_queries(PAGES[TOKYO_SUMMIT]):
        client.get(TOKYO_SUMMIT)


def test_commitment_page_with_long_history(client, seed, django_assert_num_queries):
    commitment = make_commitment(sources=[make_source() for _ in range(5)])
    for day in range(1, 20):
        make_status_change(commitment, date=datetime.date(2026, 2, day), status="in-progress")
    with django_assert_num_queries(4):
        client.get(commitment.get_absolute_url())


# Pages whose aggregates (counts, facets, pair lists) are cached until the next write run fewer
# queries when nothing changed since the last request; url: number of queries then. A list page
# then reads the data version and checks the values of its filters that name records (countries,
# leaders, topics): its form, facets and rows are kept as HTML for that version.
WARM = {
    "/": 4,
    "/countries/": 1,
    "/leaders/": 1,
    "/topics/": 1,
    "/relations/": 1,
    "/relations/it-jp/": 8,
    "/countries/jp/": 7,
    "/topics/space/": 4,
    "/leaders/sanae-takaichi/": 6,
    "/meetings/": 1,
    "/meetings/?country=jp&country=it": 2,
    "/meetings/?leader=sanae-takaichi": 2,
    "/meetings/?kind=official-visit": 1,
    "/meetings/?date_after=2024-01-01&date_before=2026-12-31": 1,
    "/meetings/?q=tokyo": 1,
    "/meetings/?sort=title&page=1": 1,
    "/commitments/": 1,
    "/commitments/?topic=space&topic=energy": 2,
    "/commitments/?status=announced": 1,
    "/commitments/?country=jp&country=it": 2,
    "/commitments/?overdue=1": 1,
    "/commitments/?date_after=2023-01-01": 1,
    "/commitments/?q=space": 1,
    "/commitments/?sort=-target": 1,
}


@pytest.mark.parametrize(("url", "queries"), WARM.items())
def test_unchanged_record_reuses_cached_aggregates(client, seed, django_assert_num_queries, url, queries):
    grow(1)
    client.get(url)
    with django_assert_num_queries(queries):
        client.get(url)
    grow(1)
    with django_assert_num_queries(PAGES[url]):
        client.get(url)
