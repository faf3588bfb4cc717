"""How the lists read their rows at scale: the same rows and options whichever way they are read."""

import datetime

import pytest
from django.http import QueryDict

from agreements.filters import DateOrderMixin, MeetingFilter
from agreements.models import Commitment, Meeting

from .factories import make_commitment, make_leader, make_meeting

pytestmark = pytest.mark.django_db


def listed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return [row.pk for row in response.context["object_list"]]


def meetings_over_days(count, countries=("IT", "JP")):
    return [
        make_meeting(countries=countries, date=datetime.date(2020, 1, 1) + datetime.timedelta(days=n))
        for n in range(count)
    ]


@pytest.mark.parametrize("sort", ["", "date", "-date"])
def test_a_dense_pair_is_read_in_date_order_with_the_same_rows_as_the_joins(client, monkeypatch, sort):
    pair = meetings_over_days(30)
    meetings_over_days(3, countries=("FR", "DE"))
    url = f"/meetings/?country=it&country=jp&sort={sort}&page=2"
    switched = []
    original = DateOrderMixin.use_date_order
    monkeypatch.setattr(
        DateOrderMixin,
        "use_date_order",
        lambda self, *args: switched.append(original(self, *args)) or switched[-1],
    )
    in_date_order = listed(client, url)
    assert switched == [True]
    monkeypatch.setattr(DateOrderMixin, "DENSE_SHARE", 0)
    with_joins = listed(client, url + "&q=")
    assert switched[-1] is False
    assert in_date_order == with_joins and len(in_date_order) == len(pair) - 25


def test_a_rare_pair_or_another_sort_keeps_the_joins():
    meetings_over_days(200, countries=("FR", "DE"))
    meetings_over_days(2)
    base = Meeting.objects.all()
    rare = MeetingFilter(QueryDict("country=it&country=jp"), queryset=base)
    assert rare.is_valid() and not rare.use_date_order(lambda: 2, lambda: 202)
    by_title = MeetingFilter(QueryDict("country=fr&country=de&sort=title"), queryset=base)
    assert by_title.is_valid() and not by_title.use_date_order(lambda: 200, lambda: 202)
    dense = MeetingFilter(QueryDict("country=fr&country=de"), queryset=base)
    assert dense.is_valid() and dense.use_date_order(lambda: 200, lambda: 202)
    assert "EXISTS" in str(dense.qs.query) and dense.qs.count() == 200


def test_commitments_of_a_dense_pair_are_the_same_rows_either_way(client, monkeypatch):
    for meeting in meetings_over_days(30):
        make_commitment(meeting=meeting)
    make_commitment(meeting=make_meeting(countries=("FR", "DE")))
    url = "/commitments/?country=it&country=jp&topic=space"
    in_date_order = listed(client, url)
    monkeypatch.setattr(DateOrderMixin, "DENSE_SHARE", 0)
    with_joins = listed(client, url + "&q=")
    assert in_date_order == with_joins
    expected = Commitment.objects.exclude(meeting__countries="FR").order_by(*Commitment.NEWEST_FIRST)
    assert in_date_order == [c.pk for c in expected[:25]]


def test_leader_options_are_escaped_and_the_chosen_one_selected(client):
    leader = make_leader(name='<b>"Bold"</b> & Co', slug="bold-leader")
    make_meeting(leaders=[leader])
    page = client.get("/meetings/", {"leader": "bold-leader"}).content.decode()
    assert (
        '<option value="bold-leader" selected>&lt;b&gt;&quot;Bold&quot;&lt;/b&gt; &amp; Co</option>' in page
    )
    assert "<b>" not in page


def test_new_leaders_and_countries_are_offered_at_once(client):
    make_meeting()
    assert "First Newcomer" not in client.get("/meetings/").content.decode()
    newcomer = make_leader(name="First Newcomer", slug="first-newcomer")
    page = client.get("/meetings/").content.decode()
    assert '<option value="first-newcomer">First Newcomer</option>' in page
    assert '<option value="fr">France</option>' not in page
    make_meeting(countries=("FR", "JP"), leaders=[newcomer])
    assert '<option value="fr">France</option>' in client.get("/commitments/").content.decode()


def test_countries_offered_are_those_with_records_selected_as_given(client):
    make_meeting()
    page = client.get("/meetings/", {"country": ["jp", "it"]}).content.decode()
    assert '<option value="it" selected>Italy</option>' in page
    assert '<option value="jp" selected>Japan</option>' in page
    assert 'name="country" multiple' in page or "multiple" in page.split('id="id_country"')[1].split(">")[0]


def test_topic_page_shows_the_latest_ten_of_each_status_newest_first(client):
    from agreements.views import PER_GROUP_LENGTH

    made = {"announced": [], "fulfilled": []}
    for n, meeting in enumerate(meetings_over_days(2 * PER_GROUP_LENGTH + 3)):
        status = "announced" if n % 2 else "fulfilled"
        made[status].append(make_commitment(meeting=meeting, status=status))
    make_commitment(meeting=make_meeting(date=datetime.date(2030, 1, 1)), topic_id="energy")
    groups = {group["status"]: group for group in client.get("/topics/space/").context["by_status"]}
    for status, rows in made.items():
        newest = sorted(rows, key=lambda c: (c.meeting_date, c.pk), reverse=True)[:PER_GROUP_LENGTH]
        assert [c.pk for c in groups[status]["commitments"]] == [c.pk for c in newest]
        assert groups[status]["count"] == len(rows)


def test_pair_page_shows_the_latest_ten_of_each_topic_in_topic_order(client):
    from agreements.models import Topic
    from agreements.views import PER_GROUP_LENGTH

    made = {"space": [], "energy": []}
    for n, meeting in enumerate(meetings_over_days(PER_GROUP_LENGTH + 5)):
        for topic in made:
            made[topic].append(make_commitment(meeting=meeting, topic_id=topic, summary=f"{topic} {n}"))
    make_commitment(meeting=make_meeting(countries=("IT", "FR"), date=datetime.date(2030, 1, 1)))
    shown = list(client.get("/relations/it-jp/").context["commitments"])
    order = sorted(made, key=lambda slug: (Topic.objects.get(slug=slug).position, slug))
    expected = []
    for topic in order:
        expected += sorted(made[topic], key=lambda c: (c.meeting_date, c.pk), reverse=True)[:PER_GROUP_LENGTH]
    assert [c.pk for c in shown] == [c.pk for c in expected]


def test_pair_page_lists_the_latest_partnership_levels_and_links_to_all(client):
    from agreements.views import PER_GROUP_LENGTH

    levels = [f"Level {n}" for n in range(PER_GROUP_LENGTH + 3)]
    for n, meeting in enumerate(meetings_over_days(len(levels))):
        make_commitment(
            meeting=meeting,
            topic_id="partnership-upgrade",
            summary=f"Upgrade {n}",
            level_from=levels[n - 1] if n else "",
            level_to=levels[n],
        )
    page = client.get("/relations/it-jp/").content.decode()
    listed_levels = page.split('<ol class="levels">')[1].split("</ol>")[0]
    assert listed_levels.count("<li>") == PER_GROUP_LENGTH
    assert levels[-1] in listed_levels and f">{levels[2]}<" not in listed_levels
    assert f"The latest {PER_GROUP_LENGTH} of {len(levels)} upgrades" in page
    assert f'topic=partnership-upgrade">All {len(levels)} partnership upgrades of the two</a>' in page
    assert f"Relations today: <strong>{levels[-1]}</strong>" in page


def test_pair_page_fragments_follow_every_write(client):
    meeting = make_meeting()
    make_commitment(meeting=meeting, summary="First pledge")
    assert "First pledge" in client.get("/relations/it-jp/").content.decode()
    make_commitment(meeting=meeting, summary="Second pledge")
    page = client.get("/relations/it-jp/").content.decode()
    assert "First pledge" in page and "Second pledge" in page
    Commitment.objects.filter(summary="Second pledge").update(summary="Renamed pledge")
    assert "Renamed pledge" in client.get("/relations/it-jp/").content.decode()


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_repeated_download_is_read_from_the_cache_until_the_record_changes(
    client, django_assert_num_queries
):
    make_commitment(summary="Kept pledge")
    url = "/commitments/?format=csv&topic=space"
    first = client.get(url)
    assert first.streaming
    first_body = body(first)
    with django_assert_num_queries(2):  # the topic filter's check and the ETag's validator
        again = client.get(url)
    assert not again.streaming and again.content == first_body
    assert again["ETag"] == first["ETag"] and again["Content-Type"] == first["Content-Type"]
    assert again["Content-Disposition"] == 'attachment; filename="commitments.csv"'
    make_commitment(summary="Later pledge")
    changed = client.get(url)
    assert changed.streaming and b"Later pledge" in body(changed)


def test_a_large_download_is_not_kept(client, monkeypatch):
    from agreements import exports

    make_commitment(summary="Large pledge")
    monkeypatch.setattr(exports, "KEPT_SIZE", 10)
    url = "/commitments/?format=json"
    assert client.get(url).streaming and b"Large pledge" in body(client.get(url))
    assert client.get(url).streaming


def test_cached_lists_follow_the_day_for_overdue_commitments(client, monkeypatch):
    from django.utils import timezone

    today = timezone.localdate()
    make_commitment(
        summary="Due tomorrow",
        target_date=today + datetime.timedelta(days=1),
        target_precision="day",
    )
    assert "Due tomorrow" not in client.get("/commitments/", {"overdue": "1"}).content.decode()
    assert "overdue</span>" not in client.get("/commitments/").content.decode()
    monkeypatch.setattr(timezone, "localdate", lambda *args: today + datetime.timedelta(days=2))
    assert "Due tomorrow" in client.get("/commitments/", {"overdue": "1"}).content.decode()
    assert "overdue</span>" in client.get("/commitments/").content.decode()
