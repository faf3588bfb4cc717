"""CSV and JSON downloads: the page's filter, every page, streamed, safe in a spreadsheet."""

import csv
import io
import json

import pytest

from agreements.exports import safe_cell
from tests.factories import make_commitment, make_meeting

pytestmark = pytest.mark.django_db


def body(response):
    assert response.streaming
    return b"".join(response.streaming_content).decode()


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
    assert 'filename="meetings.csv"' in download["Content-Disposition"]
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
    assert response.status_code in (200, 400)
    if value:
        assert response.status_code == 400


def test_invalid_filter_with_format_is_a_bad_request(client):
    assert client.get("/commitments/", {"format": "csv", "topic": "nope"}).status_code == 400
