"""CSV and JSON downloads: the page's filter, every page, streamed, safe in a spreadsheet."""

import csv
import io
import json

import pytest

from agreements.downloads import safe_cell
from tests.factories import make_commitment, make_meeting

pytestmark = pytest.mark.django_db


def body(response):
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_json_of_commitments_matches_the_filtered_page(client, seed):
    params = {"topic": "defence-security", "country": ["it", "jp"]}
    page = client.get("/commitments/", params)
    download = client.get("/commitments/", {**params, "format": "json"})
    assert download["Content-Type"] == "application/json"
    data = json.loads(body(download))
    assert data["list"] == "commitments"
    assert [row["id"] for row in data["results"]] == [c.pk for c in page.context["commitment_list"]]
    assert {row["topic"] for row in data["results"]} == {"defence-security"}
    gcap = next(row for row in data["results"] if "GCAP" in row["summary"])
    assert gcap["target"] == "2035" and set(gcap["parties"]) == {"GB", "IT", "JP"}


def test_csv_of_meetings_matches_the_filtered_page(client, seed):
    params = {"kind": "official-visit"}
    page = client.get("/meetings/", params)
    download = client.get("/meetings/", {**params, "format": "csv"})
    assert download["Content-Type"].startswith("text/csv")
    assert 'filename="meetings-kind-official-visit.csv"' in download["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body(download))))
    assert [row["slug"] for row in rows] == [m.slug for m in page.context["meeting_list"]]
    assert rows[0]["countries"] == "IT; JP"


def test_export_holds_every_page_not_just_the_first(client):
    for _ in range(30):
        make_meeting()
    data = json.loads(body(client.get("/meetings/", {"format": "json", "page": "2"})))
    assert len(data["results"]) == 30


def test_csv_neutralises_formulas(client):
    make_commitment(summary='=HYPERLINK("http://evil.example")', detail="@SUM(A1)")
    make_commitment(summary="+1 more", detail="-2 less")
    text = body(client.get("/commitments/", {"format": "csv"}))
    for row in csv.DictReader(io.StringIO(text)):
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
    assert "'=HYPERLINK" in text and "'@SUM" in text


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_safe_cell_prefixes_formula_starts(value):
    assert safe_cell(value) == "'" + value


def test_empty_export_still_has_a_header(client):
    text = body(client.get("/commitments/", {"format": "csv", "topic": "space"}))
    assert text.splitlines()[0].startswith("id,url,summary")
    assert json.loads(body(client.get("/meetings/", {"format": "json"}))) == {
        "list": "meetings",
        "results": [],
    }


@pytest.mark.parametrize("value", ["xml", "CSV", "", "csv\x00"])
def test_bad_format_is_a_bad_request_or_the_page(client, value):
    response = client.get("/meetings/", {"format": value})
    assert response.status_code == (400 if value else 301)  # an empty one is dropped from the URL


def test_invalid_filter_with_format_is_a_bad_request(client):
    assert client.get("/commitments/", {"format": "csv", "topic": "nope"}).status_code == 400


# The lists without filters: countries, leaders, topics, pairs --------------------------------

LISTS = {
    "countries": ("/countries/", "countries", "code,url,name,meetings,commitments,agreements"),
    "leaders": (
        "/leaders/",
        "leaders",
        "slug,url,name,native_name,title,country,took_office,left_office,meetings",
    ),
    "topics": (
        "/topics/",
        "topics",
        "slug,url,name,commitments,announced,in_progress,fulfilled,lapsed",
    ),
    "relations": ("/relations/", "pairs", "pair,url,countries,names,meetings,commitments"),
}


@pytest.mark.parametrize("name", LISTS)
def test_every_list_downloads_its_rows_as_csv_and_json(client, seed, name):
    url, context_name, header = LISTS[name]
    page = client.get(url)
    shown = list(page.context[context_name])
    csv_download = client.get(url, {"format": "csv"})
    assert csv_download["Content-Type"].startswith("text/csv")
    assert f'filename="{name}.csv"' in csv_download["Content-Disposition"]
    assert csv_download.has_header("ETag")
    text = body(csv_download)
    assert text.splitlines()[0] == header
    assert len(list(csv.DictReader(io.StringIO(text)))) == len(shown) > 0
    data = json.loads(body(client.get(url, {"format": "json"})))
    assert data["list"] == name and len(data["results"]) == len(shown)
    assert list(data["results"][0]) == header.split(",")
    assert "download>CSV</a>" in page.content.decode() and "?format=json" in page.content.decode()


def test_list_downloads_hold_the_page_values(client, seed):
    japan = next(
        row
        for row in json.loads(body(client.get("/countries/", {"format": "json"})))["results"]
        if row["code"] == "JP"
    )
    page_japan = next(c for c in client.get("/countries/").context["countries"] if c.code == "JP")
    assert japan["meetings"] == page_japan.meeting_count and japan["url"].endswith("/countries/jp/")
    pair = next(
        row
        for row in json.loads(body(client.get("/relations/", {"format": "json"})))["results"]
        if row["pair"] == "it-jp"
    )
    assert pair["countries"] == ["IT", "JP"] and pair["url"].endswith("/relations/it-jp/")
    space = next(
        row
        for row in json.loads(body(client.get("/topics/", {"format": "json"})))["results"]
        if row["slug"] == "space"
    )
    assert (
        space["commitments"]
        == space["announced"] + space["in_progress"] + space["fulfilled"] + space["lapsed"]
    )


def test_list_downloads_neutralise_formulas(client, seed):
    from agreements.models import Leader

    Leader.objects.filter(slug="sanae-takaichi").update(title="=HYPERLINK(1)")
    text = body(client.get("/leaders/", {"format": "csv"}))
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text


@pytest.mark.parametrize("url", [url for url, _name, _header in LISTS.values()])
def test_list_download_answers_304_when_unchanged_and_400_to_a_bad_format(client, seed, url):
    first = client.get(url, {"format": "csv"})
    again = client.get(url, {"format": "csv"}, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert client.get(url, {"format": "xml"}).status_code == 400


def test_a_csv_starts_with_the_byte_order_mark_excel_needs_and_holds_utf_8(client, seed):
    raw = b"".join(client.get("/meetings/", {"format": "csv"}).streaming_content)
    assert raw.startswith(b"\xef\xbb\xbfslug,")
    assert "日・イタリア共同声明" in raw.decode("utf-8-sig")  # in the Tokyo summit's summary


def test_a_commitment_download_names_its_filters_and_carries_sources_and_the_last_change(client, seed):
    download = client.get("/commitments/", {"topic": "defence-security", "country": ["jp"], "format": "csv"})
    assert 'filename="commitments-topic-defence-security-country-jp.csv"' in download["Content-Disposition"]
    rows = {row["summary"]: row for row in csv.DictReader(io.StringIO(body(download)))}
    talks = rows["Start negotiations on an Acquisition and Cross-Servicing Agreement (ACSA)"]
    assert talks["status_since"] == "2024-11-25"  # its signature; the review of 2026 changed nothing
    from agreements.models import Commitment

    recorded = Commitment.objects.get(summary=talks["summary"]).citations.order_by("id")
    cited = [citation.source.url for citation in recorded.select_related("source")]
    assert cited and talks["sources"] == "; ".join(cited)
