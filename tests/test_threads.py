"""A commitment's thread: links to the commitments it reaffirms, extends, supersedes or fulfils,
refused out of date order (so no thread loops back), shown on its page both ways."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from agreements.models import Commitment, CommitmentLink

from .factories import make_commitment, make_meeting
from .test_constraints import assert_refused

pytestmark = pytest.mark.django_db


def agreed_on(day, **fields):
    return make_commitment(meeting=make_meeting(date=day), **fields)


def superseded(commitment):
    return Commitment.objects.get(pk=commitment.pk).superseded


@pytest.fixture
def three():
    return (
        agreed_on(datetime.date(2023, 1, 10), summary="Strategic partnership"),
        agreed_on(datetime.date(2024, 6, 14), summary="Action plan"),
        agreed_on(datetime.date(2026, 1, 16), summary="Special strategic partnership"),
    )


class TestRules:
    def test_a_link_runs_to_a_commitment_agreed_before(self, three):
        first, _, last = three
        link = CommitmentLink(commitment=first, earlier=last, kind="supersedes")
        with pytest.raises(ValidationError, match="agreed before this one"):
            link.full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            link.save()

    def test_a_cycle_is_refused_because_a_successor_is_always_later(self, three):
        first, second, last = three
        CommitmentLink.objects.create(commitment=second, earlier=first, kind="extends")
        CommitmentLink.objects.create(commitment=last, earlier=second, kind="supersedes")
        with pytest.raises(IntegrityError), transaction.atomic():
            CommitmentLink.objects.create(commitment=first, earlier=last, kind="supersedes")

    def test_a_commitment_cannot_supersede_itself(self, three):
        first = three[0]
        assert_refused(CommitmentLink(commitment=first, earlier=first, kind="supersedes"))

    def test_the_same_day_is_not_before(self):
        meeting = make_meeting()
        one, other = make_commitment(meeting=meeting), make_commitment(meeting=meeting)
        with pytest.raises(IntegrityError), transaction.atomic():
            CommitmentLink.objects.create(commitment=one, earlier=other, kind="reaffirms")

    def test_the_kind_must_be_known(self, three):
        first, second, _ = three
        assert_refused(CommitmentLink(commitment=second, earlier=first, kind="echoes"), "kind")


class TestSuperseded:
    def test_kept_by_the_database_from_the_links(self, three):
        first, second, last = three
        link = CommitmentLink.objects.create(commitment=last, earlier=first, kind="reaffirms")
        assert not superseded(first)
        link.kind = "supersedes"
        link.save()
        assert superseded(first)
        link.earlier = second
        link.save()
        assert (superseded(first), superseded(second)) == (False, True)
        link.delete()
        assert not superseded(second)

    def test_no_other_value_is_accepted(self, three):
        first = three[0]
        with pytest.raises(IntegrityError), transaction.atomic():
            Commitment.objects.filter(pk=first.pk).update(superseded=True)

    def test_saving_a_commitment_never_writes_it(self, three):
        first, _, last = three
        CommitmentLink.objects.create(commitment=last, earlier=first, kind="supersedes")
        first.summary = "Renamed"  # the instance still holds superseded=False
        first.save()
        assert superseded(first)


class TestPages:
    def test_the_thread_shows_on_each_commitment_s_page_in_date_order(self, client, three):
        first, second, last = three
        CommitmentLink.objects.create(commitment=second, earlier=first, kind="extends")
        CommitmentLink.objects.create(commitment=last, earlier=second, kind="supersedes", note="A new level.")
        for commitment in three:
            page = client.get(commitment.get_absolute_url()).content.decode()
            thread = page.split('id="thread-heading"')[1].split("</section>")[0]
            positions = [thread.index(c.summary) for c in three]
            assert positions == sorted(positions)
            assert "Supersedes “Action plan” (2024): A new level." in thread
        assert "superseded</a>" in client.get(second.meeting.get_absolute_url()).content.decode()
        assert "superseded</a>" in client.get("/commitments/").content.decode()

    def test_a_commitment_alone_has_no_thread(self, client, three):
        assert 'id="thread-heading"' not in client.get(three[0].get_absolute_url()).content.decode()

    def test_the_thread_costs_the_same_queries_however_long(self, client, django_assert_num_queries):
        days = [datetime.date(2020 + n, 1, 1) for n in range(6)]
        chain = [agreed_on(day, summary=f"Step {n}") for n, day in enumerate(days)]
        for later, earlier in zip(chain[1:3], chain[:2], strict=True):
            CommitmentLink.objects.create(commitment=later, earlier=earlier, kind="reaffirms")
        with django_assert_num_queries(8):
            client.get(chain[0].get_absolute_url())
        for later, earlier in zip(chain[3:], chain[2:5], strict=True):
            CommitmentLink.objects.create(commitment=later, earlier=earlier, kind="reaffirms")
        with django_assert_num_queries(8):
            client.get(chain[0].get_absolute_url())

    def test_the_pair_page_shows_each_thread_once_latest_first_and_alone_ones_not(self, client, three):
        first, second, last = three
        CommitmentLink.objects.create(commitment=second, earlier=first, kind="extends")
        CommitmentLink.objects.create(commitment=last, earlier=second, kind="supersedes")
        older = agreed_on(datetime.date(2021, 5, 1), summary="Old pledge")
        renewed = agreed_on(datetime.date(2022, 5, 1), summary="Old pledge renewed")
        CommitmentLink.objects.create(commitment=renewed, earlier=older, kind="reaffirms")
        agreed_on(datetime.date(2025, 1, 1), summary="A pledge alone")
        page = client.get("/relations/it-jp/").content.decode()
        section = page.split('id="threads-heading"')[1].split("</section>")[0]
        threads = [part.split("</ol>")[0] for part in section.split('<ol class="history thread">')[1:]]
        order = ["Strategic partnership", "Action plan", "Special strategic partnership"]
        assert [[name for name in order if f">{name}</a>" in thread] for thread in threads] == [order, []]
        assert ">Old pledge</a>" in threads[1] and "Reaffirms “Old pledge” (2021)" in threads[1]
        assert "A pledge alone" not in section

    def test_the_pair_page_s_threads_cost_the_same_queries_however_many(
        self, client, django_assert_num_queries
    ):
        def pairs(count, start):
            for n in range(count):
                earlier = agreed_on(datetime.date(2000 + start + n, 1, 1), summary=f"Pledge {start + n}")
                later = agreed_on(datetime.date(2000 + start + n, 6, 1), summary=f"Pledge {start + n} again")
                CommitmentLink.objects.create(commitment=later, earlier=earlier, kind="reaffirms")

        pairs(1, 0)
        with CaptureQueriesContext(connection) as small:
            client.get("/relations/it-jp/")  # cold: the write changed the data version
        pairs(4, 1)
        with django_assert_num_queries(len(small.captured_queries)):
            client.get("/relations/it-jp/")
