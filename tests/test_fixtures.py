"""The seed fixtures: the January 2026 Japan–Italy summit and its context, as facts.md records it."""

import datetime
import json
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from agreements.models import (
    EXCERPT_MAX_WORDS,
    Agreement,
    AgreementCitation,
    AgreementEvent,
    AgreementText,
    Commitment,
    CommitmentCitation,
    CommitmentLink,
    DiplomaticTie,
    Leader,
    Meeting,
    MeetingCitation,
    Signatory,
    Source,
    SourceKind,
    StatusChange,
)

# The record the seed adds; countries, topics and groupings arrive with the migrations.
RECORD_MODELS = [
    Source,
    Leader,
    Meeting,
    MeetingCitation,
    Commitment,
    CommitmentCitation,
    StatusChange,
    DiplomaticTie,
    Agreement,
    AgreementCitation,
    AgreementEvent,
    Signatory,
    AgreementText,
    CommitmentLink,
]
RECORD_LABELS = [f"agreements.{model._meta.model_name}" for model in RECORD_MODELS]

TOKYO_SUMMIT = "2026-01-16-it-jp-tokyo"
JOINT_STATEMENT_URL = "https://worldjpn.net/documents/texts/JPEU/20260116.D1J.html"

TAKAICHI_MELONI = {"sanae-takaichi", "giorgia-meloni"}
KISHIDA_MELONI = {"fumio-kishida", "giorgia-meloni"}
MEETINGS = {
    # slug: (date, kind, city, host, leaders)
    TOKYO_SUMMIT: ("2026-01-16", "official-visit", "Tokyo", "JP", TAKAICHI_MELONI),
    "2025-11-22-it-jp-johannesburg": ("2025-11-22", "encounter", "Johannesburg", None, TAKAICHI_MELONI),
    "2025-11-05-it-jp-phone-call": ("2025-11-05", "phone-call", "", None, TAKAICHI_MELONI),
    "2024-06-14-it-jp-fasano": ("2024-06-14", "sideline-talks", "Fasano", "IT", KISHIDA_MELONI),
    "2024-02-05-it-jp-tokyo": ("2024-02-05", "official-visit", "Tokyo", "JP", KISHIDA_MELONI),
    "2023-05-18-it-jp-hiroshima": ("2023-05-18", "sideline-talks", "Hiroshima", "JP", KISHIDA_MELONI),
    "2023-01-10-it-jp-rome": ("2023-01-10", "official-visit", "Rome", "IT", KISHIDA_MELONI),
}

LEADERS = {
    # slug: (native name, country, title, took office, left office)
    "sanae-takaichi": ("高市早苗", "JP", "Prime Minister of Japan", "2025-10-21", None),
    "giorgia-meloni": ("", "IT", "President of the Council of Ministers of Italy", "2022-10-22", None),
    "fumio-kishida": ("岸田文雄", "JP", "Prime Minister of Japan", "2021-10-04", "2024-10-01"),
    "shigeru-ishiba": ("石破茂", "JP", "Prime Minister of Japan", "2024-10-01", "2025-10-21"),
}


def day(text):
    return datetime.date.fromisoformat(text) if text else None


def fixture_text():
    return (Path(settings.FIXTURE_DIRS[0]) / "seed.json").read_text(encoding="utf-8")


def row_counts():
    return {model.__name__: model.objects.count() for model in RECORD_MODELS}


def timestamps():
    """Every stored timestamp of the record, keyed by model and natural key (or fixed pk)."""
    stamps = {}
    for model in (Source, Leader, Meeting, Commitment):
        for row in model.objects.all():
            stamps[model.__name__, row.natural_key()] = (row.created_at, row.updated_at)
    for change in StatusChange.objects.all():
        stamps["StatusChange", change.pk] = (change.recorded_at,)
    return stamps


def dump_record(path):
    call_command(
        "dumpdata",
        *RECORD_LABELS,
        natural_foreign=True,
        natural_primary=True,
        indent=2,
        output=str(path),
        verbosity=0,
    )
    return json.loads(path.read_text(encoding="utf-8"))


def tokyo_commitments():
    return Commitment.objects.filter(meeting__slug=TOKYO_SUMMIT)


# Loading --------------------------------------------------------------------------------------


def test_seed_holds_only_the_record_not_reference_data():
    models = {item["model"] for item in json.loads(fixture_text())}
    assert models == set(RECORD_LABELS)


def test_seed_loads_the_record(seed):
    assert row_counts() == {
        "Source": 44,
        "Leader": 4,
        "Meeting": 7,
        "MeetingCitation": 26,
        "Commitment": 13,
        "CommitmentCitation": 37,
        "StatusChange": 18,
        "DiplomaticTie": 1,
        "Agreement": 6,
        "AgreementCitation": 16,
        "AgreementEvent": 11,
        "Signatory": 13,
        "AgreementText": 2,
        "CommitmentLink": 1,
    }


def test_loading_the_seed_twice_changes_nothing(seed, tmp_path):
    counts, stamps = row_counts(), timestamps()
    before = dump_record(tmp_path / "before.json")

    call_command("loaddata", "seed", verbosity=0)

    assert row_counts() == counts
    assert timestamps() == stamps
    assert dump_record(tmp_path / "after.json") == before


def test_every_seeded_record_passes_model_validation(seed):
    for model in RECORD_MODELS:
        for row in model.objects.all():
            row.full_clean()


# Meetings and leaders ---------------------------------------------------------------------------


def test_seed_holds_the_seven_japan_italy_meetings(seed):
    meetings = Meeting.objects.involving("IT", "JP").with_related()
    assert {meeting.slug for meeting in meetings} == set(MEETINGS)
    for meeting in meetings:
        date, kind, city, host, leaders = MEETINGS[meeting.slug]
        assert (meeting.date, meeting.kind, meeting.city, meeting.host_id) == (day(date), kind, city, host)
        assert {country.code for country in meeting.countries.all()} == {"IT", "JP"}
        assert {leader.slug for leader in meeting.leaders.all()} == leaders


def test_meeting_slugs_are_built_from_date_countries_and_place(seed):
    for meeting in Meeting.objects.all():
        codes = [country.code for country in meeting.countries.all()]
        assert meeting.slug == Meeting.build_slug(meeting.date, codes, meeting.city, meeting.kind)


def test_tokyo_summit_is_a_one_day_meeting_at_the_kantei_during_the_visit(seed):
    summit = Meeting.objects.get(slug=TOKYO_SUMMIT)
    assert summit.end_date is None
    assert summit.venue == "Prime Minister's Office (Kantei)"
    assert "15 to 17 January 2026" in summit.summary


def test_g20_encounter_in_a_third_country_has_no_host_and_no_commitments(seed):
    encounter = Meeting.objects.get(slug="2025-11-22-it-jp-johannesburg")
    assert encounter.host is None
    assert not encounter.commitments.exists()


def test_leaders_have_their_titles_and_terms(seed):
    leaders = {leader.slug: leader for leader in Leader.objects.all()}
    assert set(leaders) == set(LEADERS)
    for slug, (native_name, country, title, took_office, left_office) in LEADERS.items():
        leader = leaders[slug]
        assert (leader.native_name, leader.country_id, leader.title) == (native_name, country, title)
        assert (leader.took_office, leader.left_office) == (day(took_office), day(left_office))


def test_every_meeting_leader_was_in_office_on_the_day(seed):
    for meeting in Meeting.objects.prefetch_related("leaders"):
        in_office = set(Leader.objects.in_office_on(meeting.date))
        assert set(meeting.leaders.all()) <= in_office, meeting.slug


def test_ties_date_from_the_1866_treaty(seed):
    tie = DiplomaticTie.objects.between("JP", "IT").get()
    assert tie.established == datetime.date(1866, 8, 25)
    assert "Treaty of Amity and Commerce" in tie.description


# Commitments ---------------------------------------------------------------------------------


def test_tokyo_summit_has_its_eight_commitments_by_topic(seed):
    topics = sorted(tokyo_commitments().values_list("topic", flat=True))
    assert topics == sorted(
        [
            "critical-minerals",
            "partnership-upgrade",
            "space",
            "energy",
            "defence-security",
            "defence-security",
            "technology",
            "culture",
        ]
    )
    assert set(tokyo_commitments().values_list("status", flat=True)) == {"announced"}


def test_gcap_binds_the_uk_too_and_targets_2035(seed):
    gcap = tokyo_commitments().get(summary__contains="GCAP")
    assert set(gcap.parties.values_list("code", flat=True)) == {"GB", "IT", "JP"}
    assert (gcap.target_date, gcap.target_precision) == (datetime.date(2035, 12, 31), "year")
    assert gcap.target_display == "2035"


def test_other_commitments_bind_the_meeting_countries(seed):
    for commitment in Commitment.objects.exclude(summary__contains="GCAP"):
        assert set(commitment.parties.values_list("code", flat=True)) == {"IT", "JP"}, commitment.summary


def test_partnership_levels_rise_from_strategic_to_special_strategic(seed):
    upgrades = Commitment.objects.on_topic("partnership-upgrade").order_by("meeting__date")
    assert [(c.meeting.date, c.level_from, c.level_to) for c in upgrades] == [
        (datetime.date(2023, 1, 10), "", "strategic partnership"),
        (datetime.date(2026, 1, 16), "strategic partnership", "special strategic partnership"),
    ]


def test_status_changes_are_dated_sourced_and_match_the_status(seed):
    changed = Commitment.objects.exclude(status="announced")
    assert {(c.meeting.slug, c.status) for c in changed} == {
        ("2025-11-05-it-jp-phone-call", "fulfilled"),
        ("2024-06-14-it-jp-fasano", "fulfilled"),
        ("2024-06-14-it-jp-fasano", "in-progress"),
    }
    for commitment in Commitment.objects.all():
        first, *later = commitment.history.all()
        assert (first.date, first.status) == (commitment.meeting.date, "announced")
        assert first.source in commitment.meeting.sources.all()
        assert [change.status for change in later][-1:] == ([commitment.status] if later else [])
        for change in later:
            assert change.date >= commitment.meeting.date
            assert change.note and change.source_id


def test_acsa_is_fulfilled_as_the_kantei_reported_on_the_tokyo_summit_day(seed):
    acsa = Commitment.objects.get(meeting__slug="2024-06-14-it-jp-fasano", summary__contains="ACSA")
    change = acsa.history.latest()
    assert (change.date, change.status) == (datetime.date(2026, 1, 16), "fulfilled")
    assert "September 2025" in change.note
    assert change.source.url.startswith("https://www.kantei.go.jp/")


# Sources ---------------------------------------------------------------------------------------


def test_every_meeting_and_commitment_cites_a_source(seed):
    assert not Meeting.objects.filter(citations__isnull=True).exists()
    assert not Commitment.objects.filter(citations__isnull=True).exists()


def test_every_source_is_cited_by_something(seed):
    uncited = Source.objects.filter(
        meetings__isnull=True,
        commitments__isnull=True,
        status_changes__isnull=True,
        ties__isnull=True,
        agreements__isnull=True,
    )
    assert list(uncited) == []


def test_excerpts_are_short_quotations(seed):
    citations = [*MeetingCitation.objects.all(), *CommitmentCitation.objects.all()]
    excerpts = [citation.excerpt for citation in citations if citation.excerpt]
    assert excerpts
    assert all(len(excerpt.split()) <= EXCERPT_MAX_WORDS for excerpt in excerpts)


def test_joint_statement_is_cited_under_its_japanese_title(seed):
    statement = Source.objects.get(url=JOINT_STATEMENT_URL)
    assert statement.title == "日・イタリア共同声明"
    assert statement.published == datetime.date(2026, 1, 16)
    assert statement.meetings.filter(slug=TOKYO_SUMMIT).exists()


def test_the_dinner_menu_line_is_not_seeded(seed, tmp_path):
    texts = [fixture_text(), json.dumps(dump_record(tmp_path / "dump.json"), ensure_ascii=False)]
    for text in texts:
        lowered = text.casefold()
        assert "yaki-soba" not in lowered
        assert "yakisoba" not in lowered
        assert "pizza" not in lowered


# Natural keys ------------------------------------------------------------------------------


def test_a_natural_key_dump_of_the_seed_reloads_to_the_same_data(seed, tmp_path):
    """Dump with natural keys, empty the record tables, load the dump: the same data comes back.

    The reference tables stay: their primary key is their natural key, which dumpdata
    --natural-primary leaves out, and migrations load them anyway.
    """
    dump = tmp_path / "dump.json"
    before = dump_record(dump)
    Commitment.objects.all().delete()  # with their citations and history
    Agreement.objects.all().delete()  # with their citations, events, signatories and texts
    for model in (MeetingCitation, Meeting, DiplomaticTie, Leader, Source):
        model.objects.all().delete()
    assert sum(row_counts().values()) == 0

    call_command("loaddata", str(dump), verbosity=0)

    assert dump_record(tmp_path / "again.json") == before


# Agreements --------------------------------------------------------------------------------------

AGREEMENTS = {
    # slug: (kind, binding, status, parties, meeting)
    "1866-08-25-it-jp-treaty": ("treaty", True, "in-force", {"IT", "JP"}, None),
    "2023-12-14-gb-it-jp-treaty": ("treaty", True, "signed", {"GB", "IT", "JP"}, None),
    "2024-06-14-it-jp-action-plan": ("action-plan", False, "signed", {"IT", "JP"}, "2024-06-14-it-jp-fasano"),
    "2024-11-25-it-jp-agreement": ("agreement", True, "in-force", {"IT", "JP"}, None),
    "2025-03-05-it-jp-fact-sheet": ("fact-sheet", False, "signed", {"IT", "JP"}, None),
    "2026-01-16-it-jp-joint-statement": ("joint-statement", False, "signed", {"IT", "JP"}, TOKYO_SUMMIT),
}


def test_seed_holds_the_japan_italy_agreements(seed):
    found = {
        agreement.slug: (
            agreement.kind,
            agreement.binding,
            agreement.status,
            {country.code for country in agreement.parties.all()},
            agreement.meeting.slug if agreement.meeting else None,
        )
        for agreement in Agreement.objects.prefetch_related("parties").select_related("meeting")
    }
    assert found == AGREEMENTS


def test_every_agreement_cites_a_source_and_has_a_first_event_on_its_date(seed):
    for agreement in Agreement.objects.all():
        assert agreement.citations.exists()
        first = agreement.events.first()
        assert (first.date, first.kind) == (agreement.date, "signature" if agreement.binding else "adoption")


def test_acsa_was_signed_by_two_ministers_and_entered_into_force_in_september_2025(seed):
    acsa = Agreement.objects.get(slug="2024-11-25-it-jp-agreement")
    assert acsa.place == "Rome"
    assert {(s.country_id, s.display_name, s.display_office) for s in acsa.signatories.all()} == {
        ("JP", "Takeshi Iwaya", "Foreign minister"),
        ("IT", "Guido Crosetto", "Defence minister"),
    }
    assert [(event.date, event.kind) for event in acsa.events.all()] == [
        (datetime.date(2024, 11, 25), "signature"),
        (datetime.date(2025, 8, 6), "notification"),
        (datetime.date(2025, 9, 5), "entry-into-force"),
    ]


def test_joint_statement_title_is_marked_as_our_translation_of_the_japanese(seed):
    statement = Agreement.objects.get(slug="2026-01-16-it-jp-joint-statement")
    assert (statement.title, statement.title_is_translation) == ("Japan–Italy Joint Statement", True)
    assert (statement.original_title, statement.original_language) == ("日・イタリア共同声明", "ja")
    assert {signatory.leader.slug for signatory in statement.signatories.all()} == TAKAICHI_MELONI
    assert statement.texts.get().url == JOINT_STATEMENT_URL


def test_tokyo_commitments_name_the_joint_statement_where_the_sources_tie_them_to_it(seed):
    linked = tokyo_commitments().filter(agreement__slug="2026-01-16-it-jp-joint-statement")
    assert {commitment.topic_id for commitment in linked} == {
        "partnership-upgrade",
        "culture",
        "critical-minerals",
        "defence-security",
    }
    upgrade = linked.get(topic="partnership-upgrade")
    assert upgrade.paragraph == "Paragraph 2"


def test_official_and_joint_accounts_are_marked(seed):
    kantei = Source.objects.get(url="https://www.kantei.go.jp/jp/104/actions/202601/16Italy2.html")
    assert (kantei.kind, kantei.issuer_id) == (SourceKind.OFFICIAL, "JP")
    statement = Source.objects.get(url=JOINT_STATEMENT_URL)
    assert (statement.kind, statement.issuer_id) == (SourceKind.JOINT, None)
    assert Source.objects.filter(kind=SourceKind.REPORT, issuer__isnull=False).count() == 0


def test_the_2026_upgrade_supersedes_the_2023_partnership_and_the_acsa_fulfils_its_negotiation(seed):
    upgrade_2023 = Commitment.objects.get(meeting__slug="2023-01-10-it-jp-rome", topic="partnership-upgrade")
    upgrade_2026 = tokyo_commitments().get(topic="partnership-upgrade")
    assert upgrade_2023.superseded and not upgrade_2026.superseded
    assert [(link.kind, link.earlier) for link in upgrade_2026.links.all()] == [("supersedes", upgrade_2023)]
    negotiation = Commitment.objects.get(meeting__slug="2024-06-14-it-jp-fasano", summary__contains="ACSA")
    assert negotiation.fulfilled_by.slug == "2024-11-25-it-jp-agreement"
    assert negotiation.status == "fulfilled"


def test_the_gcap_convention_was_signed_by_the_three_defence_ministers_as_the_sources_name_them(seed):
    gcap = Agreement.objects.get(slug="2023-12-14-gb-it-jp-treaty")
    assert {(s.country_id, s.display_name, s.display_office) for s in gcap.signatories.all()} == {
        ("IT", "Guido Crosetto", "Defence minister"),
        ("JP", "Kihara", "Defence minister"),
        ("GB", "Shapps", "Defence minister"),
    }


def test_titles_without_an_official_english_form_are_marked_as_ours(seed):
    ours = set(Agreement.objects.filter(title_is_translation=True).values_list("slug", flat=True))
    assert ours == {
        "1866-08-25-it-jp-treaty",
        "2025-03-05-it-jp-fact-sheet",
        "2026-01-16-it-jp-joint-statement",
    }


def test_the_acsa_talks_were_fulfilled_by_its_signature_and_reviewed_at_the_tokyo_summit(seed):
    talks = Commitment.objects.get(summary__startswith="Start negotiations on an Acquisition")
    assert [(e.date, e.status, e.review) for e in talks.history.all()] == [
        (datetime.date(2024, 6, 14), "announced", False),
        (datetime.date(2024, 11, 25), "fulfilled", False),
        (datetime.date(2026, 1, 16), "fulfilled", True),
    ]
    assert (talks.status, talks.reviewed_on) == ("fulfilled", datetime.date(2026, 1, 16))
    plan = Commitment.objects.get(summary__startswith="Carry out the Japan–Italy Action Plan")
    assert (plan.status, plan.reviewed_on) == ("in-progress", datetime.date(2025, 3, 5))


def test_the_seed_loads_over_a_record_whose_history_has_moved_on(seed):
    """A fixture or a backup loaded over existing rows leaves what the database keeps: the status
    and last review its history (in the database and then in the file) give."""
    from tests.factories import make_source, make_status_change

    plan = Commitment.objects.get(summary__startswith="Carry out the Japan–Italy Action Plan")
    make_status_change(plan, date=datetime.date(2026, 6, 1), status="fulfilled", source=make_source())
    call_command("loaddata", "seed", verbosity=0)
    plan.refresh_from_db()
    assert (plan.status, plan.reviewed_on) == ("fulfilled", datetime.date(2026, 6, 1))
