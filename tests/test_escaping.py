"""Records whose text is script, markup or a spreadsheet formula are shown as text everywhere:
escaped in HTML and feeds, neutralised in CSV, exact in JSON."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from agreements.models import Commitment, Leader, Meeting, Source, Topic

from .factories import country, make_commitment, make_leader, make_meeting, make_source

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("owned")</script>'
MARKUP = '"><img src=x onerror=alert(1)>'
FORMULAS = ['=HYPERLINK("https://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)"]
RAW_MARKERS = ["<script>alert", "<img src=x", "onerror=alert(1)>"]
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def hostile():
    leader = make_leader(
        name=f"{SCRIPT} Leader", native_name=MARKUP, slug="hostile-leader", country=country("IT")
    )
    source = make_source(title=SCRIPT, publisher=MARKUP, url="https://example.org/report?a=1&b=<2>")
    meeting = make_meeting(
        slug="2026-02-01-it-jp-hostile",
        title=f"{SCRIPT} summit {MARKUP}",
        summary=FORMULAS[0],
        city="@SUM(1)",
        venue=MARKUP,
        leaders=[leader],
        sources=[source],
    )
    meeting.citations.update(excerpt=MARKUP)
    commitments = [
        make_commitment(meeting=meeting, summary=formula, detail=SCRIPT, sources=[source])
        for formula in FORMULAS
    ]
    upgrade = make_commitment(
        meeting=meeting,
        topic=Topic.objects.get(slug="partnership-upgrade"),
        summary=f"Upgrade {SCRIPT}",
        level_from=MARKUP,
        level_to=SCRIPT,
        sources=[source],
    )
    upgrade.history.update(note=MARKUP)
    return {"meeting": meeting, "leader": leader, "commitments": [*commitments, upgrade], "source": source}


def html_pages(hostile):
    meeting = hostile["meeting"]
    return [
        "/",
        "/meetings/",
        "/meetings/?q=summit",
        "/search/?q=summit",
        "/search/?q=script+OR+img",
        meeting.get_absolute_url(),
        "/commitments/",
        "/commitments/?topic=partnership-upgrade",
        *(commitment.get_absolute_url() for commitment in hostile["commitments"]),
        "/relations/",
        "/relations/it-jp/",
        "/countries/it/",
        "/leaders/",
        hostile["leader"].get_absolute_url(),
        "/topics/space/",
        "/topics/partnership-upgrade/",
    ]


def assert_no_raw_markup(text, where):
    for marker in RAW_MARKERS:
        assert marker not in text, f"{marker!r} unescaped in {where}"


def test_html_pages_escape_every_field(client, hostile):
    for url in html_pages(hostile):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert_no_raw_markup(body, url)
    detail = client.get(hostile["meeting"].get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in detail


def test_admin_pages_escape_every_field(admin_client, hostile):
    meeting = hostile["meeting"]
    for url in [
        reverse("admin:agreements_meeting_changelist"),
        reverse("admin:agreements_meeting_change", args=[meeting.pk]),
        reverse("admin:agreements_commitment_changelist"),
        reverse("admin:agreements_commitment_change", args=[hostile["commitments"][-1].pk]),
        reverse("admin:agreements_leader_changelist"),
        reverse("admin:agreements_source_changelist"),
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_no_raw_markup(response.content.decode(), url)


@pytest.mark.parametrize("url", ["/meetings/", "/search/"])
@pytest.mark.parametrize("query", [SCRIPT, MARKUP, f'"{SCRIPT}" OR {MARKUP}'])
def test_a_hostile_search_is_shown_back_escaped(client, db, url, query):
    response = client.get(url, {"q": query})
    assert response.status_code in (200, 400)
    assert_no_raw_markup(response.content.decode(), "the search form")


def read_csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("url", ["/meetings/?format=csv", "/commitments/?format=csv"])
def test_csv_cells_never_start_a_formula(client, hostile, url):
    rows = read_csv(client.get(url))
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert any(SCRIPT in cell for cell in cells)  # markup stays text, exactly


def test_csv_keeps_the_formula_text_behind_an_apostrophe(client, hostile):
    cells = [cell for row in read_csv(client.get("/commitments/?format=csv")) for cell in row]
    for formula in FORMULAS:
        assert "'" + formula in cells


@pytest.mark.parametrize("url", ["/meetings/?format=json", "/commitments/?format=json"])
def test_json_carries_the_exact_text(client, hostile, url):
    response = client.get(url)
    assert response["Content-Type"].startswith("application/json")
    document = json.loads(b"".join(response.streaming_content))
    values = json.dumps(document["results"], ensure_ascii=False)
    assert SCRIPT.replace('"', '\\"') in values


def test_json_of_a_meeting_round_trips_its_fields(client, hostile):
    document = json.loads(b"".join(client.get("/meetings/?format=json").streaming_content))
    row = next(r for r in document["results"] if r["slug"] == hostile["meeting"].slug)
    assert (row["title"], row["summary"], row["city"], row["venue"]) == (
        hostile["meeting"].title,
        FORMULAS[0],
        "@SUM(1)",
        MARKUP,
    )


@pytest.mark.parametrize("url", ["/feeds/meetings/", "/feeds/commitments/", "/relations/it-jp/feed/"])
def test_feeds_are_well_formed_and_carry_the_text_as_text(client, hostile, url):
    response = client.get(url)
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # raises on anything that breaks the XML
    assert not any(element.tag.endswith("script") or element.tag.endswith("img") for element in root.iter())
    titles = [entry.findtext(f"{ATOM}title") for entry in root.iter(f"{ATOM}entry")]
    assert any(title and SCRIPT in title for title in titles), titles
    # summaries are plain text (never HTML, which a feed reader would render)
    summaries = list(root.iter(f"{ATOM}summary"))
    assert summaries and {summary.get("type") for summary in summaries} == {"text"}
    if "commitments" in url or "relations" in url:  # a commitment's says where it was agreed
        assert any(SCRIPT in summary.text for summary in summaries)


def test_hostile_records_are_still_ordinary_records(hostile):
    assert Meeting.objects.filter(title__contains="<script>").count() == 1
    assert Commitment.objects.filter(meeting=hostile["meeting"]).count() == 5
    assert Leader.objects.get(slug="hostile-leader").native_name == MARKUP
    assert Source.objects.get(url__contains="<2>").publisher == MARKUP
