"""Follow-through: history entries for one party, reviews that found no change, and when each
commitment was last reviewed, at the model, in the database and through the admin."""

import datetime
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from agreements.models import Commitment, StatusChange

from .factories import country, make_commitment, make_meeting, make_source, make_status_change
from .test_admin import admin_url, commitment_form_data

pytestmark = pytest.mark.django_db

DAY = datetime.date


def fresh(commitment):
    return Commitment.objects.get(pk=commitment.pk)


class TestPartyEntries:
    def test_an_entry_for_one_party_leaves_the_commitment_s_status_and_a_shared_one_sets_it(self):
        commitment = make_commitment()
        make_status_change(commitment, date=DAY(2026, 3, 1), status="fulfilled", party=country("IT"))
        assert fresh(commitment).status == "announced"
        make_status_change(commitment, date=DAY(2026, 4, 1), status="in-progress")
        assert fresh(commitment).status == "in-progress"

    def test_each_party_s_status_is_its_latest_own_or_shared_entry(self):
        entries = [
            (DAY(2026, 1, 16), 1, "announced", None),
            (DAY(2026, 3, 1), 2, "fulfilled", "IT"),
            (DAY(2026, 3, 2), 3, "in-progress", "JP"),
        ]
        assert StatusChange.party_statuses(entries) == {"IT": "fulfilled", "JP": "in-progress"}
        later_shared = [*entries, (DAY(2026, 5, 1), 4, "lapsed", None)]
        assert StatusChange.party_statuses(later_shared) == {"IT": "lapsed", "JP": "lapsed"}

    def test_an_entry_concerns_one_of_the_commitment_s_parties(self):
        commitment = make_commitment(parties=["IT", "JP"])
        entry = StatusChange(
            commitment=commitment,
            date=DAY(2026, 3, 1),
            status="fulfilled",
            party=country("FR"),
            source=make_source(),
        )
        with pytest.raises(ValidationError, match=r"The commitment's parties \(IT, JP\) do not include FR."):
            entry.clean()

    def test_one_status_a_day_for_all_parties_and_one_a_day_for_each_party(self):
        commitment = make_commitment()
        make_status_change(commitment, date=DAY(2026, 3, 1), status="fulfilled", party=country("IT"))
        make_status_change(commitment, date=DAY(2026, 3, 1), status="fulfilled", party=country("JP"))
        make_status_change(commitment, date=DAY(2026, 3, 1), status="fulfilled")
        for party in (country("IT"), None):
            with pytest.raises(IntegrityError), transaction.atomic():
                make_status_change(commitment, date=DAY(2026, 3, 1), status="fulfilled", party=party)


class TestReviews:
    def test_a_review_restates_the_status_in_effect_for_its_party_before_it(self):
        history = [
            (DAY(2026, 1, 16), 1, "announced", None, False),
            (DAY(2026, 3, 1), 2, "in-progress", "IT", False),
            (DAY(2026, 4, 1), 3, "in-progress", "IT", True),
            (DAY(2026, 4, 1), 4, "announced", "JP", True),
            (DAY(2026, 5, 1), 5, "announced", None, True),
        ]
        assert StatusChange.history_problems(history) == {}

    def test_a_review_that_changes_the_status_or_comes_first_is_a_problem(self):
        history = [
            (DAY(2026, 1, 16), 1, "announced", None, True),
            (DAY(2026, 3, 1), 2, "in-progress", None, True),
            (DAY(2026, 4, 1), 3, "fulfilled", "IT", True),
        ]
        assert StatusChange.history_problems(history) == {
            0: "A review restates a status: the history needs an entry before it.",
            1: "A review finds no change: its status is the one in effect before it (Announced).",
            2: "A review finds no change: its status is the one in effect before it (In progress).",
        }

    def test_the_database_keeps_the_day_of_the_latest_entry_of_any_kind(self):
        commitment = make_commitment()
        assert fresh(commitment).reviewed_on == commitment.meeting.date
        make_status_change(commitment, date=DAY(2026, 3, 1), status="announced", review=True)
        assert fresh(commitment).reviewed_on == DAY(2026, 3, 1)
        own = make_status_change(commitment, date=DAY(2026, 5, 1), status="fulfilled", party=country("IT"))
        assert (fresh(commitment).reviewed_on, fresh(commitment).status) == (DAY(2026, 5, 1), "announced")
        own.delete()
        assert fresh(commitment).reviewed_on == DAY(2026, 3, 1)

    def test_the_database_refuses_a_review_day_the_history_does_not_give(self):
        commitment = make_commitment()
        with pytest.raises(IntegrityError), transaction.atomic():
            Commitment.objects.filter(pk=commitment.pk).update(reviewed_on=DAY(2026, 6, 1))
        with pytest.raises(IntegrityError), transaction.atomic():
            Commitment.objects.filter(pk=commitment.pk).update(reviewed_on=None)
        assert fresh(commitment).reviewed_on == commitment.meeting.date

    def test_saving_a_commitment_never_writes_its_review_day(self):
        commitment = make_commitment()
        make_status_change(commitment, date=DAY(2026, 3, 1), status="announced", review=True)
        commitment.summary = "Renamed"  # `commitment.reviewed_on` is still the day it was loaded with
        commitment.save()
        assert fresh(commitment).reviewed_on == DAY(2026, 3, 1)


class TestFulfilment:
    def test_the_database_keeps_the_day_of_the_first_shared_entry_that_found_it_fulfilled(self):
        commitment = make_commitment()
        make_status_change(commitment, date=DAY(2026, 2, 1), status="fulfilled", party=country("IT"))
        assert fresh(commitment).fulfilled_on is None
        make_status_change(commitment, date=DAY(2026, 3, 1), status="fulfilled")
        make_status_change(commitment, date=DAY(2026, 6, 1), status="fulfilled", review=True)
        assert fresh(commitment).fulfilled_on == DAY(2026, 3, 1)
        lapsed = make_status_change(commitment, date=DAY(2026, 9, 1), status="lapsed")
        assert fresh(commitment).fulfilled_on is None
        lapsed.delete()
        assert fresh(commitment).fulfilled_on == DAY(2026, 3, 1)

    def test_the_commitment_page_says_when_it_was_fulfilled_and_how_long_it_took(self, client):
        commitment = make_commitment()  # agreed at a meeting on 16 January 2026
        assert "Fulfilled</dt>" not in client.get(commitment.get_absolute_url()).text
        make_status_change(commitment, date=DAY(2026, 3, 1), status="fulfilled")
        text = client.get(commitment.get_absolute_url()).text
        assert '<dt>Fulfilled</dt><dd><time datetime="2026-03-01">1 March 2026</time>' in text
        assert "44 days after it was agreed" in text

    def test_the_database_refuses_a_day_of_fulfilment_the_history_does_not_give(self):
        commitment = make_commitment()
        with pytest.raises(IntegrityError), transaction.atomic():
            Commitment.objects.filter(pk=commitment.pk).update(fulfilled_on=DAY(2026, 6, 1))
        make_status_change(commitment, date=DAY(2026, 3, 1), status="fulfilled")
        with pytest.raises(IntegrityError), transaction.atomic():
            Commitment.objects.filter(pk=commitment.pk).update(fulfilled_on=None)
        commitment.summary = "Renamed"  # an instance loaded before the entry has no day of fulfilment
        commitment.save()
        assert fresh(commitment).fulfilled_on == DAY(2026, 3, 1)


class TestAdmin:
    def test_an_editor_records_a_party_s_entry_and_a_review(self, editor_client):
        commitment = make_commitment()
        data = commitment_form_data(
            commitment,
            **{
                "history-TOTAL_FORMS": "2",
                "history-0-date": "2026-03-01",
                "history-0-status": "fulfilled",
                "history-0-party": "IT",
                "history-1-date": "2026-04-01",
                "history-1-status": "announced",
                "history-1-review": "on",
                "history-1-source": str(make_source().pk),
            },
        )
        response = editor_client.post(admin_url(Commitment, "change", commitment.pk), data)
        assert response.status_code == 302, response.context["errors"] if response.context else response
        commitment = fresh(commitment)
        assert (commitment.status, commitment.reviewed_on) == ("announced", DAY(2026, 4, 1))
        assert commitment.history.get(party="IT").status == "fulfilled"

    def test_a_review_that_changes_the_status_is_refused_with_the_model_s_message(self, editor_client):
        commitment = make_commitment()
        data = commitment_form_data(commitment, **{"history-0-review": "on"})
        response = editor_client.post(admin_url(Commitment, "change", commitment.pk), data)
        assert response.status_code == 200
        assert "A review finds no change: its status is the one in effect before it (Announced)." in (
            response.content.decode()
        )
        assert fresh(commitment).history.count() == 1

    def test_an_entry_for_a_country_that_is_not_a_party_is_refused(self, editor_client):
        commitment = make_commitment(parties=["IT", "JP"])
        data = commitment_form_data(commitment, **{"history-0-party": "FR"})
        response = editor_client.post(admin_url(Commitment, "change", commitment.pk), data)
        assert response.status_code == 200
        assert "The commitment&#x27;s parties (IT, JP) do not include FR." in response.content.decode()


# Pages ------------------------------------------------------------------------------------------


def old_commitment(summary, review_on=None, status="announced", **fields):
    """A commitment agreed in 2020, its latest entry on `review_on` (a review restating `status`)."""
    meeting = make_meeting(date=DAY(2020, 3, 1))
    commitment = make_commitment(meeting=meeting, summary=summary, **fields)
    if status != "announced":
        make_status_change(commitment, date=DAY(2020, 4, 1), status=status)
    if review_on:
        make_status_change(commitment, date=review_on, status=status, review=True)
    return fresh(commitment)


class TestFreshness:
    def test_stale_means_open_and_not_reviewed_for_more_than_a_year_on_a_fixed_today(self):
        today = DAY(2026, 12, 1)
        year_ago = old_commitment("Reviewed a year ago", review_on=DAY(2025, 12, 1))
        older = old_commitment("Reviewed a year and a day ago", review_on=DAY(2025, 11, 30))
        done = old_commitment("Fulfilled long ago", status="fulfilled")
        never = old_commitment("Only announced", status="announced")
        stale = set(Commitment.objects.stale(today=today))
        assert stale == {older, never}
        assert [c.is_stale(today) for c in (year_ago, older, done, never)] == [False, True, False, True]

    def test_the_list_shows_the_stale_ones_and_the_page_says_when_each_was_reviewed(self, client):
        old_commitment("Left alone since 2020")
        today = timezone.localdate()
        make_status_change(
            make_commitment(summary="Reviewed today"), date=today, status="announced", review=True
        )
        response = client.get("/commitments/", {"stale": "on"})
        assert [c.summary for c in response.context["commitment_list"]] == ["Left alone since 2020"]
        assert 'title="Open, and not reviewed since 1 March 2020">stale</span>' in response.content.decode()
        reviewed = Commitment.objects.get(summary="Reviewed today")
        page = client.get(reviewed.get_absolute_url()).content.decode()
        assert f'<dt>Last reviewed</dt><dd><time datetime="{today.isoformat()}">' in page
        assert "Reviewed, no change:" in page

    def test_downloads_carry_the_review_day_and_whether_it_is_stale(self, client):
        old_commitment("Left alone since 2020")
        response = client.get("/commitments/", {"format": "json"})
        rows = json.loads(b"".join(response.streaming_content))["results"]
        assert [(row["reviewed_on"], row["stale"], row["superseded"]) for row in rows] == [
            ("2020-03-01", True, False)
        ]


class TestPartyStatusPages:
    def commitment(self):
        commitment = make_commitment(summary="Ratify the convention", parties=["IT", "JP"])
        make_status_change(commitment, date=DAY(2026, 3, 1), status="fulfilled", party=country("IT"))
        return commitment

    def test_the_page_shows_each_party_s_status_where_they_differ(self, client):
        page = client.get(self.commitment().get_absolute_url()).content.decode()
        table = page.split('<table class="data party-statuses">')[1].split("</table>")[0]
        rows = re.findall(
            r'<th scope="row"><a href="[^"]+">([^<]+)</a></th><td><a class="status status-([a-z-]+)"', table
        )
        assert rows == [("Italy", "fulfilled"), ("Japan", "announced")]
        assert "for Italy" in page

    def test_no_party_table_while_the_parties_agree(self, client):
        commitment = make_commitment()
        assert "party-statuses" not in client.get(commitment.get_absolute_url()).content.decode()

    def test_the_list_filters_by_one_party_s_status(self, client):
        self.commitment()
        make_commitment(summary="Untouched", parties=["IT", "JP"])
        for code, status, expected in [
            ("it", "fulfilled", ["Ratify the convention"]),
            ("jp", "fulfilled", []),
            ("jp", "announced", ["Untouched", "Ratify the convention"]),
        ]:
            response = client.get("/commitments/", {"party": code, "party_status": status})
            assert [c.summary for c in response.context["commitment_list"]] == expected, (code, status)

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ({"party_status": "fulfilled"}, "Choose the party whose status this is."),
            ({"party_status": "fulfilled", "party": ["it", "jp"]}, "Choose one party."),
        ],
    )
    def test_a_party_s_status_needs_one_party(self, client, query, message):
        response = client.get("/commitments/", query)
        assert response.status_code == 400
        assert message in response.content.decode()


@pytest.mark.parametrize("value", ["0", "false", "No", "off", ""])
@pytest.mark.parametrize("name", ["overdue", "stale"])
def test_an_off_value_of_a_checkbox_filter_is_no_filter(client, name, value):
    old_commitment("Left alone since 2020", target_date=DAY(2021, 1, 1), target_precision="day")
    make_commitment(summary="Fresh")
    response = client.get("/commitments/", {name: value}, follow=True)  # an empty value is dropped
    assert len(response.context["commitment_list"]) == 2
    assert len(client.get("/commitments/", {name: "yes"}).context["commitment_list"]) == 1
