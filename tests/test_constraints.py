"""Every integrity rule holds both ways: model validation explains it, the database enforces it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from agreements.models import (
    Commitment,
    CommitmentCitation,
    Country,
    DiplomaticTie,
    Leader,
    Meeting,
    MeetingCitation,
    Source,
    StatusChange,
    Topic,
)

from .factories import country, make_commitment, make_leader, make_meeting, make_source, make_status_change

pytestmark = pytest.mark.django_db


def assert_refused(instance, field=None):
    """full_clean() names the problem, and saving it anyway is refused by the database."""
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    if field:
        assert field in excinfo.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        instance.save()


def topic(slug):
    return Topic.objects.get(slug=slug)


class TestCountry:
    def test_code_must_be_two_letters(self):
        assert_refused(Country(code="X", name="Nowhere"))

    def test_code_must_be_upper_case(self):
        assert_refused(Country(code="xx", name="Nowhere"))

    def test_alpha3_is_unique_when_given(self):
        assert_refused(Country(code="XX", alpha3="JPN", name="Another Japan"))

    def test_several_parties_may_lack_an_alpha3(self):
        Country(code="XX", alpha3="", name="A union").full_clean()
        Country.objects.create(code="XX", alpha3="", name="A union")
        assert Country.objects.filter(alpha3="").count() == 2  # with the EU


class TestLeader:
    def test_term_cannot_end_before_it_starts(self):
        leader = Leader(
            name="A Leader",
            slug="a-leader",
            country=country("JP"),
            title="Prime Minister",
            took_office=datetime.date(2024, 1, 1),
            left_office=datetime.date(2023, 1, 1),
        )
        assert_refused(leader)

    def test_name_is_unique_within_a_country(self):
        make_leader(name="Same Name", slug="same-name")
        duplicate = Leader(name="Same Name", slug="same-name-2", country=country("JP"), title="PM")
        assert_refused(duplicate)

    def test_same_name_in_another_country_is_allowed(self):
        make_leader(name="Same Name", slug="same-name")
        Leader(name="Same Name", slug="same-name-it", country=country("IT"), title="PM").full_clean()

    def test_slug_is_unique(self):
        make_leader(slug="taken")
        assert_refused(Leader(name="Other", slug="taken", country=country("IT"), title="PM"), "slug")


class TestMeeting:
    def meeting(self, **fields):
        values = {"slug": "m", "kind": "summit", "date": datetime.date(2026, 1, 16), "title": "T"}
        values.update(fields)
        return Meeting(**values)

    def test_end_date_cannot_be_before_start(self):
        assert_refused(self.meeting(end_date=datetime.date(2026, 1, 15)))

    def test_end_date_may_equal_start(self):
        self.meeting(end_date=datetime.date(2026, 1, 16)).full_clean()

    def test_kind_must_be_known(self):
        assert_refused(self.meeting(kind="banquet"), "kind")

    def test_slug_is_unique(self):
        make_meeting(slug="taken")
        assert_refused(self.meeting(slug="taken"), "slug")

    @pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a deferred trigger exists on PostgreSQL only"
    )
    def test_database_refuses_a_meeting_with_one_country_at_commit(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            meeting = make_meeting(countries=["JP"])
            assert meeting.countries.count() == 1
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    @pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a deferred trigger exists on PostgreSQL only"
    )
    def test_database_refuses_removing_the_second_country_at_commit(self):
        meeting = make_meeting(countries=["IT", "JP"])
        with pytest.raises(IntegrityError), transaction.atomic():
            meeting.countries.remove(country("IT"))
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    @pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a deferred trigger exists on PostgreSQL only"
    )
    def test_database_accepts_a_pair_and_a_deleted_meeting(self):
        meeting = make_meeting(countries=["IT", "JP"])
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        meeting.delete()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        assert not Meeting.objects.filter(pk=meeting.pk).exists()


class TestCommitment:
    def commitment(self, **fields):
        values = {"meeting": make_meeting(), "topic": topic("space"), "summary": "Set up a body"}
        values.update(fields)
        return Commitment(**values)

    def test_status_is_only_what_its_history_says(self):
        commitment = self.commitment(status="fulfilled")
        commitment.save()
        assert Commitment.objects.get(pk=commitment.pk).status == "announced"  # no history yet
        for status in ("rumoured", "fulfilled"):
            with pytest.raises(IntegrityError), transaction.atomic():
                Commitment.objects.filter(pk=commitment.pk).update(status=status)

    def test_completing_gives_the_meetings_parties_sources_and_an_announcement_once(self):
        first, second = make_source(), make_source()
        meeting = make_meeting(countries=("FR", "DE"), sources=[first, second])
        commitment = self.commitment(meeting=meeting)
        commitment.save()
        written = Commitment.objects.filter(pk=commitment.pk).complete_from_meetings()
        assert [(entry.date, entry.status, entry.source) for entry in written] == [
            (meeting.date, "announced", first)
        ]
        assert set(commitment.parties.values_list("code", flat=True)) == {"DE", "FR"}
        assert [c.source for c in commitment.citations.all()] == [first, second]
        assert Commitment.objects.filter(pk=commitment.pk).complete_from_meetings() == []
        assert commitment.history.count() == 1 and commitment.citations.count() == 2

    def test_a_history_given_is_kept_as_given(self):
        commitment = make_commitment()
        commitment.history.all().delete()
        make_status_change(commitment=commitment, date=datetime.date(2026, 2, 1), status="in-progress")
        assert Commitment.objects.filter(pk=commitment.pk).complete_from_meetings() == []
        assert list(commitment.history.values_list("status", flat=True)) == ["in-progress"]

    def test_the_migration_gives_a_commitment_recorded_without_history_its_announcement(self):
        from importlib import import_module

        from django.apps import apps

        migration = import_module("agreements.migrations.0017_announced_entries")
        bare = self.commitment()
        bare.save()
        kept = make_commitment()
        migration.forwards(apps, connection.schema_editor())
        entry = bare.history.get()
        assert (entry.date, entry.status, entry.source) == (
            bare.meeting.date,
            "announced",
            bare.meeting.citations.first().source,
        )
        assert kept.history.count() == 1

    def test_summary_is_unique_within_a_meeting_and_topic(self):
        existing = make_commitment(summary="Same words")
        assert_refused(self.commitment(meeting=existing.meeting, summary="Same words"))

    def test_upgrade_must_name_the_level_it_reaches(self):
        assert_refused(self.commitment(topic=topic("partnership-upgrade"), level_from="strategic"))

    def test_upgrade_may_omit_the_level_before_when_there_was_none(self):
        upgrade = self.commitment(topic=topic("partnership-upgrade"), level_to="strategic partnership")
        upgrade.full_clean()
        upgrade.save()

    def test_upgrade_levels_must_differ(self):
        same = self.commitment(
            topic=topic("partnership-upgrade"), level_from="strategic", level_to="strategic"
        )
        assert_refused(same)

    def test_other_topics_name_no_levels(self):
        assert_refused(self.commitment(level_to="special strategic partnership"))

    def test_target_needs_a_precision(self):
        assert_refused(self.commitment(target_date=datetime.date(2035, 12, 31)))

    def test_precision_needs_a_target(self):
        assert_refused(self.commitment(target_precision="year"))

    def test_target_year_reads_and_displays_as_a_year(self):
        target_date, precision = Commitment.parse_target("2035")
        commitment = self.commitment(target_date=target_date, target_precision=precision)
        commitment.full_clean()
        assert commitment.target_display == "2035"
        assert commitment.is_overdue(today=datetime.date(2036, 1, 1))
        assert not commitment.is_overdue(today=datetime.date(2035, 12, 31))

    def test_fulfilled_commitment_is_never_overdue(self):
        commitment = self.commitment(
            target_date=datetime.date(2020, 1, 1), target_precision="day", status="fulfilled"
        )
        assert not commitment.is_overdue()


class TestStatusChange:
    def test_status_must_be_known(self):
        change = StatusChange(
            commitment=make_commitment(),
            date=datetime.date(2026, 2, 1),
            status="forgotten",
            source=make_source(),
        )
        assert_refused(change, "status")

    def test_one_entry_per_status_and_day(self):
        existing = make_status_change()
        duplicate = StatusChange(
            commitment=existing.commitment, date=existing.date, status=existing.status, source=make_source()
        )
        assert_refused(duplicate)


class TestCitations:
    def test_a_meeting_cites_a_source_once(self):
        meeting = make_meeting()
        source = meeting.sources.get()
        assert_refused(MeetingCitation(meeting=meeting, source=source))

    def test_a_commitment_cites_a_source_once(self):
        commitment = make_commitment()
        source = commitment.sources.get()
        assert_refused(CommitmentCitation(commitment=commitment, source=source))

    def test_excerpt_is_at_most_25_words(self):
        citation = MeetingCitation(meeting=make_meeting(), source=make_source(), excerpt="word " * 26)
        with pytest.raises(ValidationError) as excinfo:
            citation.full_clean()
        assert "excerpt" in excinfo.value.message_dict

    def test_excerpt_longer_than_the_column_is_refused_by_the_database(self):
        citation = MeetingCitation(meeting=make_meeting(), source=make_source(), excerpt="x" * 301)
        with pytest.raises(ValidationError):
            citation.full_clean()
        if connection.vendor == "postgresql":  # SQLite does not enforce varchar lengths
            with pytest.raises(Exception), transaction.atomic():  # noqa: B017 (DataError)
                citation.save()

    def test_source_url_is_unique(self):
        make_source(url="https://example.org/a")
        assert_refused(Source(url="https://example.org/a"), "url")


class TestDiplomaticTie:
    def tie(self, a, b):
        return DiplomaticTie(
            country_a=country(a),
            country_b=country(b),
            established=datetime.date(1866, 8, 25),
            description="Treaty",
            source=make_source(),
        )

    def test_pair_is_in_alphabetical_order(self):
        assert_refused(self.tie("JP", "IT"))

    def test_pair_is_recorded_once(self):
        self.tie("IT", "JP").save()
        assert_refused(self.tie("IT", "JP"))

    def test_between_finds_the_pair_in_either_order(self):
        self.tie("IT", "JP").save()
        assert DiplomaticTie.objects.between("JP", "IT").get().established.year == 1866


class TestProtectedDeletes:
    def test_a_country_with_meetings_cannot_be_deleted(self):
        make_meeting(countries=["IT", "JP"])
        with pytest.raises(ProtectedError):
            country("JP").delete()

    def test_a_topic_with_commitments_cannot_be_deleted(self):
        make_commitment(topic=topic("energy"))
        with pytest.raises(ProtectedError):
            topic("energy").delete()

    def test_a_cited_source_cannot_be_deleted(self):
        meeting = make_meeting()
        with pytest.raises(ProtectedError):
            meeting.sources.get().delete()

    def test_a_source_shown_in_a_status_history_cannot_be_deleted(self):
        change = make_status_change()
        with pytest.raises(ProtectedError):
            change.source.delete()

    def test_a_meeting_with_commitments_cannot_be_deleted(self):
        commitment = make_commitment()
        with pytest.raises(ProtectedError):
            commitment.meeting.delete()

    def test_a_leader_with_a_country_protects_the_country(self):
        make_leader(country=country("FR"))
        with pytest.raises(ProtectedError):
            country("FR").delete()


class TestStatusFromHistory:
    """A commitment's status is that of its latest history entry, whoever writes the history."""

    def test_the_latest_entry_sets_the_status_and_removing_it_restores_the_one_before(self):
        commitment = make_commitment()
        started = StatusChange.objects.create(
            commitment=commitment, date=datetime.date(2026, 3, 1), status="in-progress", source=make_source()
        )
        done = StatusChange.objects.create(
            commitment=commitment, date=datetime.date(2026, 6, 1), status="fulfilled", source=make_source()
        )
        assert Commitment.objects.get(pk=commitment.pk).status == "fulfilled"
        StatusChange.objects.filter(pk=done.pk).update(status="lapsed")
        assert Commitment.objects.get(pk=commitment.pk).status == "lapsed"
        StatusChange.objects.filter(pk=done.pk).delete()
        assert Commitment.objects.get(pk=commitment.pk).status == "in-progress"
        started.delete()
        assert Commitment.objects.get(pk=commitment.pk).status == "announced"

    def test_saving_a_commitment_keeps_the_status_its_history_gives(self):
        commitment = make_commitment(status="in-progress")
        stale = Commitment.objects.get(pk=commitment.pk)
        make_status_change(commitment, date=datetime.date(2026, 7, 1), status="fulfilled")
        stale.summary = "Edited after the history moved on"
        stale.save()
        assert Commitment.objects.get(pk=commitment.pk).status == "fulfilled"

    @pytest.mark.parametrize(
        ("day", "message"), [(datetime.date(2025, 1, 1), "before"), (datetime.date(2099, 1, 1), "future")]
    )
    def test_an_entry_is_dated_between_the_agreement_and_today(self, day, message):
        change = StatusChange(
            commitment=make_commitment(), date=day, status="fulfilled", source=make_source()
        )
        with pytest.raises(ValidationError) as excinfo:
            change.full_clean()
        assert message in excinfo.value.message_dict["date"][0]
