"""How the lists read their rows at scale: the same rows and options whichever way they are read."""

import datetime

import pytest

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
    assert '<option value="fr">France</option>' in client.get("/meetings/").content.decode()


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
    groups = client.get("/relations/it-jp/").context["topic_groups"]
    shown = [commitment for group in groups for commitment in group["commitments"]]
    order = sorted(made, key=lambda slug: (Topic.objects.get(slug=slug).position, slug))
    expected = []
    for topic in order:
        expected += sorted(made[topic], key=lambda c: (c.meeting_date, c.pk), reverse=True)[:PER_GROUP_LENGTH]
    assert [c.pk for c in shown] == [c.pk for c in expected]


def test_pair_page_lists_the_latest_partnership_levels_and_links_to_all(client, monkeypatch):
    from agreements import views
    from agreements.views import PER_GROUP_LENGTH

    monkeypatch.setattr(views, "MAX_LEVELS", PER_GROUP_LENGTH + 1)  # the timeline draws the latest

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
    timeline = page.split('<figure class="chart timeline">')[1].split("</svg>")[0]
    assert timeline.count("<title>From ") == PER_GROUP_LENGTH + 1
    assert f"{len(levels)} partnership levels, the latest" in timeline


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


@pytest.mark.parametrize("sort", ["", "date", "title"])
def test_a_pair_read_from_its_pair_rows_gives_the_rows_of_the_joins(client, sort):
    for n in range(30):
        countries = ("IT", "JP", "FR") if n % 3 else ("IT", "JP")
        make_meeting(
            countries=countries,
            title=f"Talks {n:02d}",
            date=datetime.date(2020, 1, 1) + datetime.timedelta(days=n),
        )
    make_meeting(countries=("FR", "JP"), title="Other pair")
    joined = Meeting.objects.filter(countries="IT").filter(countries="JP")
    order = {"": ("-date", "-pk"), "date": ("date", "pk"), "title": ("title", "pk")}[sort]
    expected = [meeting.title for meeting in joined.order_by(*order)][:25]
    response = client.get("/meetings/", {"country": ["jp", "it"], **({"sort": sort} if sort else {})})
    assert [meeting.title for meeting in response.context["object_list"]] == expected
    assert response.context["paginator"].count == joined.count() == 30


def test_counts_and_facets_of_a_pair_read_from_pair_rows_equal_those_of_the_joins(client):
    for n in range(12):
        meeting = make_meeting(
            countries=("IT", "JP", "FR") if n % 3 else ("IT", "JP"),
            kind="phone-call" if n % 2 else "summit",
            date=datetime.date(2020 + n % 3, 3, 1 + n),
        )
        for topic in ("space", "energy"):
            make_commitment(meeting=meeting, topic_id=topic, status="fulfilled" if n % 4 else "announced")
    make_meeting(countries=("FR", "JP"), kind="summit", date=datetime.date(2021, 3, 1))
    query = {"country": ["it", "jp"], "date_after": "2020-03-05", "date_before": "2022-12-31"}

    meetings = Meeting.objects.filter(countries="IT").filter(countries="JP").filter(date__gte="2020-03-05")
    page = client.get("/meetings/", {**query, "kind": "summit"}).context
    assert page["paginator"].count == meetings.filter(kind="summit").count()
    kinds = {item["value"]: item["count"] for item in page["facets"][0]["items"]}
    assert kinds == {kind: meetings.filter(kind=kind).count() for kind in ("summit", "phone-call")}

    commitments = (
        Commitment.objects.filter(parties="IT").filter(parties="JP").filter(meeting_date__gte="2020-03-05")
    )
    page = client.get("/commitments/", {**query, "topic": "space", "status": "fulfilled"}).context
    assert page["paginator"].count == commitments.filter(topic="space", status="fulfilled").count()
    years = {item["value"]: item["count"] for item in page["facets"][2]["items"]}
    expected = commitments.filter(topic="space", status="fulfilled")
    assert years == {
        str(y): expected.filter(meeting_date__year=y).count()
        for y in (2020, 2021, 2022)
        if expected.filter(meeting_date__year=y).exists()
    }
    newest_first = list(expected.order_by(*Commitment.NEWEST_FIRST).values_list("pk", flat=True))
    assert [commitment.pk for commitment in page["object_list"]] == newest_first[:25]
    query.update(topic="space", status="fulfilled", format="csv")
    lines = b"".join(client.get("/commitments/", query).streaming_content).decode().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [str(pk) for pk in newest_first]


@pytest.mark.parametrize(
    "query",
    [
        {"country": "it"},
        {"country": "it", "kind": "summit", "date_after": "2020-01-05"},
        {"leader": "ada-example"},
        {"leader": "ada-example", "kind": "phone-call", "date_before": "2020-01-20"},
    ],
)
def test_a_country_or_leader_read_from_party_rows_gives_the_rows_of_the_joins(client, query):
    leader = make_leader(name="Ada Example", slug="ada-example")
    for n in range(30):
        make_meeting(
            countries=("IT", "JP") if n % 3 else ("FR", "JP"),
            kind="summit" if n % 2 else "phone-call",
            leaders=[leader] if n % 4 else [],
            title=f"Talks {n:02d}",
            date=datetime.date(2020, 1, 1) + datetime.timedelta(days=n),
        )
    joined = Meeting.objects.all()
    if "country" in query:
        joined = joined.filter(countries=query["country"].upper())
    if "leader" in query:
        joined = joined.filter(leaders=leader)
    if "kind" in query:
        joined = joined.filter(kind=query["kind"])
    joined = joined.filter(date__gte=query.get("date_after", "1900-01-01"))
    joined = joined.filter(date__lte=query.get("date_before", "2100-01-01"))
    page = client.get("/meetings/", query).context
    assert [meeting.title for meeting in page["object_list"]] == [
        meeting.title for meeting in joined.order_by("-date", "-pk")[:25]
    ]
    assert page["paginator"].count == joined.count() > 0
    assert {item["value"]: item["count"] for item in page["facets"][1]["items"]} == {"2020": joined.count()}
    if "kind" not in query:
        kinds = {item["value"]: item["count"] for item in page["facets"][0]["items"]}
        assert kinds == {kind: joined.filter(kind=kind).count() for kind in ("summit", "phone-call")}


@pytest.mark.parametrize(
    "query",
    [
        {"country": "it"},
        {"country": "it", "topic": ["space"], "status": "fulfilled"},
        {"country": "it", "date_after": "2020-01-10", "sort": "date"},
    ],
)
def test_a_countrys_commitments_read_from_party_rows_give_the_rows_of_the_joins(client, query):
    for n in range(20):
        meeting = make_meeting(
            countries=("IT", "JP") if n % 3 else ("FR", "JP"), date=datetime.date(2020, 1, 1 + n)
        )
        for topic in ("space", "energy"):
            make_commitment(meeting=meeting, topic_id=topic, status="fulfilled" if n % 2 else "announced")
    joined = Commitment.objects.filter(parties="IT", meeting_date__gte=query.get("date_after", "1900-01-01"))
    if "topic" in query:
        joined = joined.filter(topic__in=query["topic"], status=query["status"])
    order = ("meeting_date", "pk") if query.get("sort") == "date" else Commitment.NEWEST_FIRST
    page = client.get("/commitments/", query).context
    expected = list(joined.order_by(*order).values_list("pk", flat=True)[:25])
    assert [row.pk for row in page["object_list"]] == expected
    assert page["paginator"].count == joined.count() > 0
    statuses = {item["value"]: item["count"] for item in page["facets"][1]["items"]}
    unfiltered = joined if "status" not in query else Commitment.objects.filter(parties="IT", topic="space")
    assert statuses == {s: unfiltered.filter(status=s).count() for s in ("fulfilled", "announced")}
