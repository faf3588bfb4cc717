"""The word search reads full-text indexes that follow every write, on both databases."""

import datetime
import re

import pytest
from django.db import connection

from agreements.models import Commitment, Meeting
from agreements.search import Search

from .factories import make_commitment, make_leader, make_meeting

pytestmark = pytest.mark.django_db


def found(model, text):
    return set(model.objects.matching(text).values_list("pk", flat=True))


def test_the_full_text_indexes_exist():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            indexes = {
                name
                for table in ("agreements_meeting", "agreements_commitment")
                for name, info in connection.introspection.get_constraints(cursor, table).items()
                if info["index"]
            }
            assert {"meeting_document_idx", "commitment_document_idx"} <= indexes
        else:
            tables = set(connection.introspection.table_names(cursor))
            assert {"agreements_meeting_fts", "agreements_commitment_fts"} <= tables


def test_meeting_search_follows_inserts_updates_and_deletes():
    meeting = make_meeting(title="Lunar cooperation talks", city="Osaka")
    assert found(Meeting, "lunar osaka") == {meeting.pk}
    assert found(Meeting, "unar") == set()  # a word must begin with the query's word
    meeting.title = "Solar cooperation talks"
    meeting.save()
    assert found(Meeting, "lunar") == set() and found(Meeting, "sol") == {meeting.pk}
    Meeting.objects.filter(pk=meeting.pk).update(venue="Kansai Hall")
    assert found(Meeting, "kansai") == {meeting.pk}
    meeting.commitments.all().delete()
    meeting.delete()
    assert found(Meeting, "solar") == set()


def test_commitment_search_covers_its_own_text_its_meeting_and_leaders():
    leader = make_leader(name="Ada Example", native_name="高市早苗")
    meeting = make_meeting(title="Summit in Rome", city="Rome", leaders=[leader])
    commitment = make_commitment(meeting=meeting, summary="Joint lunar lander", detail="Launch by 2030")
    other = make_commitment(summary="Fisheries accord")
    assert found(Commitment, "lunar") == {commitment.pk}
    assert found(Commitment, "lander rome") == {commitment.pk}  # one word in each
    assert found(Commitment, "launch ada") == {commitment.pk}
    assert found(Commitment, "高市") == {commitment.pk}
    Commitment.objects.filter(pk=commitment.pk).update(detail="Orbit by 2031")
    assert found(Commitment, "launch") == set() and found(Commitment, "orbit") == {commitment.pk}
    Meeting.objects.filter(pk=meeting.pk).update(city="Milan", date=datetime.date(2025, 2, 2))
    assert found(Commitment, "milan lunar") == {commitment.pk}
    assert found(Commitment, "fisheries") == {other.pk}


def test_accents_and_case_are_ignored_on_both_databases():
    meeting = make_meeting(title="Talks in São Paulo", city="São Paulo")
    assert found(Meeting, "são") == {meeting.pk}
    assert found(Meeting, "sao") == {meeting.pk}
    assert found(Meeting, "SÃO paulo") == {meeting.pk}
    assert found(Meeting, "SAO PAULO") == {meeting.pk}


def test_list_pages_show_rows_written_since_the_last_request(client):
    first = make_meeting(title="Alpha meeting", date=datetime.date(2024, 1, 1))
    assert "Alpha meeting" in client.get("/meetings/").content.decode()
    make_meeting(title="Beta meeting", date=datetime.date(2025, 1, 1))
    page = client.get("/meetings/").content.decode()
    assert page.index("Beta meeting") < page.index("Alpha meeting")
    Meeting.objects.filter(pk=first.pk).update(title="Gamma meeting")
    assert "Gamma meeting" in client.get("/meetings/", {"q": "gamma"}).content.decode()


def test_cached_pages_keep_each_sort_and_page_apart(client):
    for n in range(30):
        make_meeting(title=f"Meeting {n:02d}", date=datetime.date(2020, 1, 1) + datetime.timedelta(days=n))

    def titles(**params):
        return re.findall(
            r'<th scope="row"><a href="[^"]+">(Meeting \d\d)</a>',
            client.get("/meetings/", params).content.decode(),
        )

    for _ in range(2):  # computed, then read from the cache
        assert titles(sort="title") == [f"Meeting {n:02d}" for n in range(25)]
        assert titles(sort="-title") == [f"Meeting {n:02d}" for n in range(29, 4, -1)]
        assert titles(sort="title", page=2) == [f"Meeting {n:02d}" for n in range(25, 30)]
        assert titles() == [f"Meeting {n:02d}" for n in range(29, 4, -1)]


def a_crowd_of_matches():
    leader = make_leader(name="Ada Example")
    for n in range(12):
        meeting = make_meeting(
            title=f"Harbour talks {n}" if n % 3 else f"Rail talks {n}",
            date=datetime.date(2020, 1, 1) + datetime.timedelta(days=n % 5),
            leaders=[leader] if n % 4 == 0 else [],
        )
        make_commitment(meeting=meeting, summary=f"Harbour works {n}" if n % 2 else f"Bridge {n}")


@pytest.mark.parametrize("text", ["harbour", "talks harbour", "ada", "ada rail", "bridge harbour", "nothing"])
@pytest.mark.parametrize("model", [Meeting, Commitment])
def test_broad_and_narrow_searches_find_the_same_rows_in_the_same_order(model, text):
    a_crowd_of_matches()
    order = ["-date", "-pk"] if model is Meeting else list(Commitment.NEWEST_FIRST)
    rows = model.objects.order_by(*order)
    looked_up = list(Search(model, text, "default", broad=False).apply(rows).values_list("pk", flat=True))
    in_order = list(Search(model, text, "default", broad=True).apply(rows).values_list("pk", flat=True))
    assert in_order == looked_up == list(rows.matching(text).values_list("pk", flat=True))
    assert looked_up or text == "nothing" or (model is Meeting and "bridge" in text)


def test_the_narrowest_word_drives_and_a_word_matching_many_rows_makes_a_broad_search():
    a_crowd_of_matches()
    search = Search(Meeting, "talks ada", "default")  # "ada" names the leader of 3 meetings
    assert search.terms == [(("ada",),), (("talks",),)] and not search.broad
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("agreements.search.BROAD", 2)
        assert Search(Meeting, "harbour", "default").broad


def test_a_search_matching_more_than_it_counts_says_so_and_pages_newest_first(client, monkeypatch):
    from agreements import filters

    monkeypatch.setattr(filters, "SEARCH_COUNT_LIMIT", 3)
    monkeypatch.setattr("agreements.search.BROAD", 2)
    a_crowd_of_matches()
    page = client.get("/meetings/?q=harbour").content.decode()
    assert "More than 3 meetings" in page
    newest = Meeting.objects.matching("harbour").order_by("-date", "-pk")[:3]
    titles = [meeting.title for meeting in newest]
    assert all(title in page for title in titles)
    assert page.index(titles[0]) < page.index(titles[1]) < page.index(titles[2])
