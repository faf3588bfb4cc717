"""Every list and detail page runs a fixed number of queries, however many rows there are.

Each page is measured on the seed plus one set of rows matching every filter (so no list is
empty), then again after adding ten times as many: the count is pinned and must not change.
Downloads fetch rows in chunks of 500, so theirs is fixed up to that many rows.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements.models import AgreementEvent, Correction, Leader, Meeting, Topic
from tests.factories import make_agreement, make_commitment, make_meeting, make_source, make_status_change

TOKYO_SUMMIT = "/meetings/2026-01-16-it-jp-tokyo/"

# url: number of queries
PAGES = {
    "/": 9,  # with the countries that met, for the map
    "/about/": 3,  # with the day the record last changed
    "/corrections/": 4,
    f"/corrections/new/?page={TOKYO_SUMMIT}": 1,  # the record's title; never cached
    "/countries/": 2,
    "/leaders/": 2,
    "/topics/": 3,
    "/relations/": 2,
    "/countries/?format=csv": 2,  # with the ETag query
    "/leaders/?format=json": 2,
    "/topics/?format=csv": 3,
    "/relations/?format=json": 2,
    "/relations/it-jp/": 28,
    "/relations/it-jp/feed/": 9,  # with the commitments' history, for what last changed
    "/relations/it-jp/follow-through/": 8,  # one more for each party
    "/countries/jp/follow-through/": 6,
    "/topics/space/follow-through/": 4,  # and one for the median time to fulfilment, if any is fulfilled
    "/countries/jp/": 12,
    "/topics/space/": 7,  # two queries for each status the topic has
    "/leaders/sanae-takaichi/": 8,  # with the sources for the term
    TOKYO_SUMMIT: 11,  # with the accounts side by side, the agreed texts and the parties
    "/meetings/": 10,
    "/meetings/?country=jp&country=it": 11,
    "/meetings/?leader=sanae-takaichi": 11,
    "/meetings/?kind=official-visit": 10,
    "/meetings/?date_after=2024-01-01&date_before=2026-12-31": 10,
    "/meetings/?q=tokyo": 11,  # with the words' breadth
    "/meetings/?sort=title&page=1": 10,
    "/meetings/?date_after=notadate": 2,
    "/meetings/?format=csv": 4,  # with the ETag query
    "/feeds/meetings/?country=jp": 4,
    "/commitments/": 11,
    "/commitments/?topic=space&topic=energy": 12,
    "/commitments/?status=announced": 11,
    "/commitments/?country=jp&country=it": 12,
    "/commitments/?overdue=1": 11,
    "/commitments/?date_after=2023-01-01": 11,
    "/commitments/?q=space": 12,
    "/commitments/?sort=-target": 11,
    "/commitments/?topic=weather": 3,
    "/commitments/?format=json&topic=space": 5,  # with the ETag query and the sources
    "/feeds/commitments/?topic=space": 5,  # with the topics, named in its title, and the history
    "/agreements/": 10,
    "/agreements/?country=jp&country=it": 11,
    "/agreements/?kind=treaty": 11,
    "/agreements/?status=in-force": 11,
    "/agreements/?binding=yes": 10,
    "/agreements/?topic=space": 9,
    "/agreements/?q=action": 10,
    "/agreements/?date_after=2024-01-01&date_before=2026-12-31": 10,
    "/agreements/?kind=nonsense": 2,
    "/agreements/?format=csv": 3,  # with the ETag query
    "/feeds/agreements/?country=jp": 3,
    "/agreements/2026-01-16-it-jp-joint-statement/": 14,
    "/meetings/?kind=summit": 7,  # none of that kind: the page offers a search for the word
    # each kind's first rows, its count (when there are more), its terms' breadth (meetings,
    # commitments) and the commitments' topics
    "/search/?q=tokyo": 12,
    "/search/?q=Tokyo+OR+Rome+%22action+treaty%22": 9,
    "/search/?q=meloni": 11,
    "/search/?q=a+b+c+d+e+f+g+h+i+j+nonsense": 0,  # eleven words: refused before any query
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
        agreement = make_agreement(
            kind="treaty", binding=True, title=f"Action treaty {n}", date=meeting.date, meeting=meeting
        )
        AgreementEvent.objects.create(
            agreement=agreement, date=meeting.date, kind="entry-into-force", source=make_source()
        )
        commitment.agreement = agreement
        commitment.save()
    Correction.objects.create(
        page=TOKYO_SUMMIT,
        description="A wrong date.",
        client_hash="0" * 64,
        state="accepted",
        decided_at=timezone.now(),
        public_note="The date is corrected.",
    )


def queries_and_status(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    return len(queries), response.status_code


def test_query_counts_are_fixed_whatever_the_number_of_rows(client, seed):
    """Every page above, asked once with twice the seed's rows and once with eleven times, each
    time right after a write: the same number of queries, the budget's."""
    expected = {
        url: (queries, 400 if any(bad in url for bad in ("notadate", "weather", "nonsense")) else 200)
        for url, queries in PAGES.items()
    }
    grow(1)
    assert {url: queries_and_status(client, url) for url in PAGES} == expected
    grow()
    assert {url: queries_and_status(client, url) for url in PAGES} == expected


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
    with django_assert_num_queries(6):  # with the thread's one query
        client.get(commitment.get_absolute_url())


# A page computed once is kept as HTML for the record's version: asking again reads only the
# version token; the next write makes every page computed afresh, with the counts above.
KEPT = [
    url
    for url in PAGES
    if "format=" not in url
    and "/feed" not in url
    and not any(bad in url for bad in ("notadate", "weather", "nonsense"))
]


@pytest.mark.parametrize("url", KEPT)
def test_a_page_asked_again_reads_only_the_version_until_the_next_write(
    client, seed, django_assert_num_queries, url
):
    grow(1)
    assert client.get(url).status_code == 200
    # the version, and the records the URL names (countries, leaders, topics) looked up
    named = 1 if any(name in url for name in ("country=", "leader=", "topic=")) else 0
    pair_looked_up = url.startswith("/relations/it-jp") and "follow-through" not in url  # its 301 rules
    with django_assert_num_queries(1 + (2 if pair_looked_up else named)):
        assert client.get(url).status_code == 200
    grow(1)
    with django_assert_num_queries(PAGES[url]):
        assert client.get(url).status_code == 200
