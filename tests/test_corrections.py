"""Readers' corrections: the report form, its limits, the editors' decisions and the public log."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from agreements import corrections
from agreements.caching import data_version, record_updated
from agreements.models import Correction, CorrectionState

from .factories import make_agreement, make_commitment, make_leader, make_meeting

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
ADDRESS = "192.0.2.7"


@pytest.fixture
def meeting():
    return make_meeting(slug="2026-01-16-it-jp-tokyo", title="Talks in Tokyo")


@pytest.fixture
def fixed_now(monkeypatch):
    """Set the clock: `fixed_now(moment)`; it starts at NOW."""

    def set_now(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    set_now(NOW)
    return set_now


def report(meeting, **overrides):
    data = {
        "page": meeting.get_absolute_url(),
        "description": "The summit was on the 16th, not the 15th.",
        "source_url": "https://www.example.org/readout",
        "email": "reader@example.org",
        "website": "",
    }
    data.update(overrides)
    return data


def send(client, data, address=ADDRESS):
    return client.post("/corrections/new/", data, REMOTE_ADDR=address)


def make_correction(page="/meetings/2026-01-16-it-jp-tokyo/", state=CorrectionState.NEW, **overrides):
    correction = Correction(
        page=page, description="Wrong date.", client_hash=corrections.client_hash(ADDRESS), **overrides
    )
    correction.decide(state, overrides.get("decided_at"))
    correction.save()
    return correction


# The form ------------------------------------------------------------------------------------


def test_the_form_names_the_page_it_is_about_and_is_never_cached(client, meeting):
    response = client.get("/corrections/new/", {"page": meeting.get_absolute_url()})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Talks in Tokyo" in body
    assert 'type="hidden" name="page" value="/meetings/2026-01-16-it-jp-tokyo/"' in body
    assert "csrfmiddlewaretoken" in body
    assert "no-cache" in response["Cache-Control"] and "public" not in response["Cache-Control"]


def test_the_form_without_a_record_page_asks_for_the_address(client, db):
    response = client.get("/corrections/new/", {"page": "/meetings/"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'type="text" name="page"' in body and 'value="/meetings/"' not in body


@pytest.mark.parametrize(
    "page",
    [
        "/meetings/2026-01-16-it-jp-tokyo/",
        "/commitments/{commitment}/",
        "/agreements/{agreement}/",
        "/countries/jp/",
        "/leaders/{leader}/",
        "/topics/space/",
        "/relations/it-jp/",
    ],
)
def test_every_kind_of_record_page_may_be_reported(client, meeting, page, fixed_now):
    commitment = make_commitment(meeting=meeting)
    agreement = make_agreement()
    leader = make_leader(slug="a-leader")
    page = page.format(commitment=commitment.pk, agreement=agreement.slug, leader=leader.slug)
    response = send(client, report(meeting, page=page))
    assert response.status_code == 302
    assert response["Location"].startswith("/corrections/sent/")
    assert Correction.objects.get().page == page


def test_a_stored_report_keeps_a_hash_of_the_address_not_the_address(client, meeting, fixed_now):
    send(client, report(meeting))
    correction = Correction.objects.get()
    assert correction.state == CorrectionState.NEW and correction.received_at == NOW
    assert correction.client_hash == corrections.client_hash(ADDRESS)
    assert ADDRESS not in correction.client_hash and len(correction.client_hash) == 64
    assert all(ADDRESS not in str(value) for value in Correction.objects.values().get().values())


def test_the_form_refuses_a_post_without_its_csrf_token(meeting):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/corrections/new/", report(meeting), REMOTE_ADDR=ADDRESS)
    assert response.status_code == 403
    assert not Correction.objects.exists()


def test_the_form_takes_a_post_with_its_csrf_token(meeting):
    client = Client(enforce_csrf_checks=True)
    client.get("/corrections/new/", {"page": meeting.get_absolute_url()})
    token = client.cookies["csrftoken"].value
    response = client.post("/corrections/new/", {**report(meeting), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Correction.objects.count() == 1


def test_a_filled_honeypot_looks_taken_but_is_not_stored(client, meeting):
    response = send(client, report(meeting, website="http://spam.example.com"))
    assert response.status_code == 302 and response["Location"].startswith("/corrections/sent/")
    assert not Correction.objects.exists()


@pytest.mark.parametrize(
    "page",
    [
        "https://evil.example.com/meetings/2026-01-16-it-jp-tokyo/",
        "//evil.example.com/meetings/2026-01-16-it-jp-tokyo/",
        "javascript:alert(1)",
        "/meetings/no-such-meeting/",
        "/meetings/",
        "/admin/",
        "/countries/JP/",
        "/countries/zz/",
        "/relations/jp-it/",
        "/commitments/99999999999999999999999999/",
        "/meetings/2026-01-16-it-jp-tokyo/" + "x" * 300,
        "/meetings/\x00/",
        "",
    ],
)
def test_a_page_that_is_not_a_record_s_is_refused(client, meeting, page):
    response = send(client, report(meeting, page=page))
    assert response.status_code == 400
    assert 'class="field-error" id="id_page-error"' in response.content.decode()
    assert not Correction.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", ""),
        ("description", "   "),
        ("description", "x" * 2001),
        ("description", "nul \x00 byte"),
        ("source_url", "ftp://example.org/file"),
        ("source_url", "javascript:alert(1)"),
        ("source_url", "https://example.org/" + "a" * 500),
        ("email", "not an email"),
        ("email", "a" * 300 + "@example.org"),
    ],
)
def test_invalid_input_is_a_400_with_the_error_beside_its_field(client, meeting, field, value):
    response = send(client, report(meeting, **{field: value}))
    body = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{field}-error"' in body
    assert "Talks in Tokyo" in body  # the page it is about is still named
    assert not Correction.objects.exists()


def test_reports_over_the_hourly_limit_are_a_429_that_keeps_the_text(client, meeting, fixed_now):
    for _ in range(corrections.PER_CLIENT_PER_HOUR):
        assert send(client, report(meeting)).status_code == 302
    response = send(client, report(meeting, description="One report too many"))
    body = response.content.decode()
    assert response.status_code == 429
    assert "as many as one reader may" in body
    assert "One report too many" in body and "reader@example.org" in body
    assert response["Retry-After"] == "3600"
    assert Correction.objects.count() == corrections.PER_CLIENT_PER_HOUR
    assert send(client, report(meeting), address="198.51.100.3").status_code == 302  # another reader
    fixed_now(NOW + datetime.timedelta(minutes=59))
    assert send(client, report(meeting)).status_code == 429
    fixed_now(NOW + datetime.timedelta(hours=1, seconds=1))
    assert send(client, report(meeting)).status_code == 302


def test_the_site_takes_a_bounded_number_of_reports_an_hour(client, meeting, fixed_now, monkeypatch):
    monkeypatch.setattr(corrections, "ALL_PER_HOUR", 3)
    for n in range(3):
        assert send(client, report(meeting), address=f"198.51.100.{n}").status_code == 302
    response = send(client, report(meeting), address="198.51.100.9")
    assert response.status_code == 429
    assert "as many reports as they can take in an hour" in response.content.decode()
    fixed_now(NOW + datetime.timedelta(hours=1, seconds=1))
    assert send(client, report(meeting), address="198.51.100.9").status_code == 302


def test_the_sent_page_links_back_only_to_a_record_page(client, meeting):
    assert (
        'href="/meetings/2026-01-16-it-jp-tokyo/"'
        in client.get("/corrections/sent/", {"page": "/meetings/2026-01-16-it-jp-tokyo/"}).content.decode()
    )
    assert "evil" not in client.get("/corrections/sent/", {"page": "//evil.example.com/"}).content.decode()


# The model -----------------------------------------------------------------------------------


def test_a_decided_correction_has_its_day_of_decision_both_ways(db):
    correction = Correction(page="/topics/space/", description="x", client_hash="0" * 64, state="accepted")
    with pytest.raises(ValidationError):
        correction.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        correction.save()


def test_an_empty_description_is_refused_both_ways(db):
    correction = Correction(page="/topics/space/", description="", client_hash="0" * 64)
    with pytest.raises(ValidationError):
        correction.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        correction.save()


def test_a_new_report_leaves_the_cached_pages_and_a_decision_renews_them(db):
    before = data_version()
    correction = make_correction()
    assert data_version() == before
    correction.decide(CorrectionState.ACCEPTED)
    correction.save()
    assert data_version() != before


def test_the_record_s_last_update_is_kept_by_the_database(db):
    make_meeting()
    updated = record_updated()
    assert timezone.now() - updated < datetime.timedelta(minutes=1)


# The admin -----------------------------------------------------------------------------------


def test_editors_list_filter_and_search_corrections(editor_client):
    make_correction(page="/topics/space/")
    make_correction(page="/meetings/2026-01-16-it-jp-tokyo/", state=CorrectionState.ACCEPTED)
    for query in ("", "?state__exact=accepted", "?kind=topics", "?page=/topics/space/", "?q=wrong"):
        response = editor_client.get(f"/admin/agreements/correction/{query}")
        assert response.status_code == 200, query
    listed = editor_client.get("/admin/agreements/correction/?kind=topics").context["cl"].result_list
    assert [correction.page for correction in listed] == ["/topics/space/"]


@pytest.mark.parametrize(("action", "state"), [("accept", "accepted"), ("reject", "rejected")])
def test_editors_accept_or_reject_corrections(editor_client, action, state):
    first, second = make_correction(), make_correction(page="/topics/space/")
    response = editor_client.post(
        "/admin/agreements/correction/",
        {"action": action, "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "2 correction(s) marked" in response.content.decode()
    for correction in (first, second):
        correction.refresh_from_db()
        assert correction.state == state and correction.decided_at is not None


def test_an_editor_writes_the_note_and_decides_on_the_change_form(editor_client):
    correction = make_correction()
    response = editor_client.post(
        f"/admin/agreements/correction/{correction.pk}/change/",
        {"state": "accepted", "public_note": "The date is now 16 January."},
    )
    assert response.status_code == 302
    correction.refresh_from_db()
    assert correction.state == "accepted" and correction.decided_at is not None
    assert correction.public_note == "The date is now 16 January."


def test_editors_cannot_add_or_delete_corrections(editor_client):
    correction = make_correction()
    assert editor_client.get("/admin/agreements/correction/add/").status_code == 403
    assert editor_client.get(f"/admin/agreements/correction/{correction.pk}/delete/").status_code == 403


# The public log ------------------------------------------------------------------------------


def test_the_log_shows_only_accepted_corrections_newest_first(client, db):
    make_correction(page="/topics/energy/", state=CorrectionState.NEW, public_note="Pending note")
    make_correction(page="/topics/culture/", state=CorrectionState.REJECTED, public_note="Rejected note")
    make_correction(
        page="/topics/space/",
        state=CorrectionState.ACCEPTED,
        public_note="Older note",
        decided_at=NOW - datetime.timedelta(days=2),
        email="secret@example.org",
    )
    make_correction(
        page="/countries/jp/", state=CorrectionState.ACCEPTED, public_note="Newer note", decided_at=NOW
    )
    body = client.get("/corrections/").content.decode()
    assert "Pending note" not in body and "Rejected note" not in body
    assert body.index("Newer note") < body.index("Older note")
    assert "2 Mar 2026" in body
    assert "secret@example.org" not in body and corrections.client_hash(ADDRESS) not in body


def test_the_log_escapes_what_editors_and_readers_wrote(client, db):
    make_correction(state=CorrectionState.ACCEPTED, public_note="<script>alert(1)</script>")
    body = client.get("/corrections/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_the_log_is_paginated_and_bounded(client, db):
    for n in range(30):
        make_correction(
            state=CorrectionState.ACCEPTED,
            public_note=f"Note {n}",
            decided_at=NOW - datetime.timedelta(days=n),
        )
    first = client.get("/corrections/").content.decode()
    assert "Note 0<" in first and "Note 24<" in first and "Note 25<" not in first
    assert "Note 29<" in client.get("/corrections/?page=2").content.decode()
    assert client.get("/corrections/?page=3").status_code == 404
    assert client.get("/corrections/?page=-1").status_code == 404
    assert client.get("/corrections/?page=last").status_code == 200


def test_an_accepted_correction_appears_in_the_cached_log_at_once(client, db):
    correction = make_correction()
    assert "Wrong" not in client.get("/corrections/").content.decode()
    correction.decide(CorrectionState.ACCEPTED)
    correction.public_note = "Fixed the date."
    correction.save()
    assert "Fixed the date." in client.get("/corrections/").content.decode()


@pytest.mark.parametrize("rows", [1, 30])
def test_the_log_runs_a_fixed_number_of_queries(client, db, rows, django_assert_num_queries):
    for n in range(rows):
        make_correction(state=CorrectionState.ACCEPTED, public_note=f"Note {n}")
    with django_assert_num_queries(4):  # data version, count, the page's keys, its rows
        client.get("/corrections/")


@pytest.mark.parametrize("rows", [0, 30])
def test_the_form_runs_a_fixed_number_of_queries(client, meeting, rows, django_assert_num_queries):
    for _ in range(rows):
        make_correction()
    with django_assert_num_queries(1):  # the record's title
        client.get("/corrections/new/", {"page": meeting.get_absolute_url()})


# Trust lines ---------------------------------------------------------------------------------


def test_record_pages_say_how_to_cite_them_and_link_to_the_form(client, meeting, fixed_now):
    body = client.get(meeting.get_absolute_url()).content.decode()
    assert "Talks in Tokyo. Bilateral agreements. http://testserver/meetings/2026-01-16-it-jp-tokyo/." in body
    assert "Accessed 2 March 2026." in body
    assert 'href="/corrections/new/?page=/meetings/2026-01-16-it-jp-tokyo/"' in body
    assert "CC BY 4.0" in body


def test_about_states_the_licence_the_last_update_and_how_to_report(client, db):
    make_meeting()
    body = client.get("/about/").content.decode()
    assert "creativecommons.org/licenses/by/4.0/" in body
    assert f'Record last updated <time datetime="{record_updated().isoformat()}' in body
    assert 'href="/corrections/new/"' in body and 'href="/corrections/"' in body
