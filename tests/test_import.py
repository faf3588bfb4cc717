"""`import_meetings`: all or nothing, idempotent, every problem reported with its path."""

import copy
import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection

from agreements.importer import ImportFailed, import_files, read_document
from agreements.models import (
    Commitment,
    CommitmentCitation,
    Leader,
    Meeting,
    MeetingCitation,
    Source,
    StatusChange,
)
from tests.factories import make_commitment, make_leader, make_meeting, make_source

pytestmark = pytest.mark.django_db

MODELS = (Meeting, Leader, Source, Commitment, StatusChange, MeetingCitation, CommitmentCitation)


def meeting_data(**overrides):
    """A valid meeting as a file gives it: the Tokyo summit, two leaders, two commitments."""
    data = {
        "date": "2026-01-16",
        "kind": "summit",
        "city": "Tokyo",
        "venue": "Kantei",
        "host": "JP",
        "countries": ["JP", "IT"],
        "title": "Japan–Italy summit",
        "summary": "The two prime ministers met in Tokyo.",
        "leaders": [
            {
                "name": "Takaichi Sanae",
                "native_name": "高市早苗",
                "country": "JP",
                "title": "Prime Minister of Japan",
                "took_office": "2025-10-21",
            },
            {"name": "Giorgia Meloni", "country": "IT", "title": "President of the Council of Ministers"},
        ],
        "sources": [
            {
                "url": "https://www.mofa.go.jp/summit.html",
                "publisher": "Ministry of Foreign Affairs of Japan",
                "title": "Japan-Italy Summit Meeting",
                "published": "2026-01-16",
                "excerpt": "The two leaders held a summit meeting.",
            }
        ],
        "commitments": [
            {
                "topic": "partnership-upgrade",
                "summary": "Raise the relationship to a special strategic partnership",
                "level_from": "strategic partnership",
                "level_to": "special strategic partnership",
                "sources": [{"url": "https://www.mofa.go.jp/summit.html"}],
            },
            {
                "topic": "defence-security",
                "summary": "Develop the GCAP fighter together",
                "status": "in-progress",
                "target": "2035",
                "sources": [{"url": "https://news.example.org/gcap", "publisher": "Example News"}],
                "history": [
                    {
                        "date": "2026-02-01",
                        "status": "in-progress",
                        "note": "Work began.",
                        "source": "https://news.example.org/gcap",
                    }
                ],
            },
        ],
    }
    data.update(overrides)
    return data


def document(*meetings):
    return {"format": "bilateral-meetings/1", "meetings": list(meetings) or [meeting_data()]}


def run(data, dry_run=False):
    """Import a document (dict) through the shared code path; return the report."""
    raw = data if isinstance(data, (bytes, str)) else json.dumps(data)
    return import_files([("meetings.json", raw)], dry_run=dry_run)


def problems(data):
    """Each problem's path and message (the lines shown to editors name the meeting too)."""
    with pytest.raises(ImportFailed) as failure:
        run(data)
    return [str(problem) for problem in failure.value.problems] + failure.value.lines()[
        len(failure.value.problems) :
    ]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def snapshot():
    """Every imported row with its timestamps, to show nothing changed."""
    return {
        "meetings": list(Meeting.objects.order_by("pk").values()),
        "leaders": list(Leader.objects.order_by("pk").values()),
        "sources": list(Source.objects.order_by("pk").values()),
        "commitments": list(Commitment.objects.order_by("pk").values()),
        "history": list(StatusChange.objects.order_by("pk").values()),
        "meeting citations": list(MeetingCitation.objects.order_by("pk").values()),
        "commitment citations": list(CommitmentCitation.objects.order_by("pk").values()),
        "meeting countries": list(Meeting.countries.through.objects.order_by("pk").values()),
        "meeting leaders": list(Meeting.leaders.through.objects.order_by("pk").values()),
        "parties": list(Commitment.parties.through.objects.order_by("pk").values()),
    }


def command(*args, stdin=None, monkeypatch=None):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_meetings", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# What an import creates ----------------------------------------------------------------------


def test_import_creates_the_meeting_its_leaders_commitments_and_sources():
    report = run(document())

    meeting = Meeting.objects.get()
    assert meeting.slug == "2026-01-16-it-jp-tokyo"
    assert (meeting.kind, meeting.city, meeting.venue, meeting.host_id) == ("summit", "Tokyo", "Kantei", "JP")
    assert sorted(meeting.countries.values_list("code", flat=True)) == ["IT", "JP"]
    assert sorted(meeting.leaders.values_list("name", flat=True)) == ["Giorgia Meloni", "Takaichi Sanae"]
    takaichi = Leader.objects.get(name="Takaichi Sanae")
    assert (takaichi.slug, takaichi.native_name, takaichi.country_id) == ("takaichi-sanae", "高市早苗", "JP")
    assert takaichi.took_office == datetime.date(2025, 10, 21)
    citation = meeting.citations.get()
    assert citation.excerpt == "The two leaders held a summit meeting."
    assert citation.source.publisher == "Ministry of Foreign Affairs of Japan"

    upgrade = Commitment.objects.get(topic="partnership-upgrade")
    assert (upgrade.status, upgrade.level_from, upgrade.level_to) == (
        "announced",
        "strategic partnership",
        "special strategic partnership",
    )
    assert sorted(upgrade.parties.values_list("code", flat=True)) == ["IT", "JP"]
    announced = upgrade.history.get()  # the file gives no history: announced, citing the meeting
    assert (announced.date, announced.status, announced.source) == (
        meeting.date,
        "announced",
        citation.source,
    )
    gcap = Commitment.objects.get(topic="defence-security")
    assert (gcap.target_display, gcap.target_precision, gcap.status) == ("2035", "year", "in-progress")
    change = gcap.history.get()
    assert (change.date, change.status, change.note) == (
        datetime.date(2026, 2, 1),
        "in-progress",
        "Work began.",
    )
    assert change.source.url == "https://news.example.org/gcap"

    assert report.tallies["meetings"].created == 1
    assert report.tallies["leaders"].created == 2
    assert report.tallies["sources"].created == 2
    assert report.tallies["commitments"].created == 2
    assert report.tallies["status changes"].created == 2


def test_lower_case_country_codes_are_accepted():
    run(document(meeting_data(countries=["jp", "it"], host="jp")))

    meeting = Meeting.objects.get()
    assert meeting.host_id == "JP"
    assert sorted(meeting.countries.values_list("code", flat=True)) == ["IT", "JP"]


def test_a_slug_in_the_file_is_kept():
    run(document(meeting_data(slug="tokyo-summit-2026")))

    assert Meeting.objects.get().slug == "tokyo-summit-2026"


def test_a_built_slug_that_is_taken_gets_a_number():
    make_meeting(slug="2026-01-16-it-jp-tokyo", date=datetime.date(2025, 1, 1))

    run(document())

    assert Meeting.objects.filter(date=datetime.date(2026, 1, 16)).get().slug == "2026-01-16-it-jp-tokyo-2"


def test_a_new_leader_whose_slug_is_taken_gets_a_number():
    make_leader(name="Someone Else", slug="giorgia-meloni")

    run(document())

    assert Leader.objects.get(name="Giorgia Meloni").slug == "giorgia-meloni-2"


def test_a_leader_named_only_in_native_script_gets_a_slug():
    leader = {"name": "高市早苗", "country": "JP", "title": "Prime Minister of Japan"}
    run(document(meeting_data(leaders=[leader])))

    assert Leader.objects.get().slug == "leader-jp"


def test_parties_default_to_the_meetings_countries_and_may_differ():
    data = meeting_data()
    data["commitments"][0]["parties"] = ["jp"]
    data["commitments"][1]["parties"] = ["GB", "IT", "JP"]  # GCAP: the United Kingdom too

    run(document(data))

    upgrade = Commitment.objects.get(topic="partnership-upgrade")
    assert list(upgrade.parties.values_list("code", flat=True)) == ["JP"]
    gcap = Commitment.objects.get(topic="defence-security")
    assert sorted(gcap.parties.values_list("code", flat=True)) == ["GB", "IT", "JP"]


def test_a_target_date_is_kept_to_the_day():
    data = meeting_data()
    data["commitments"][1]["target"] = "2035-06-30"

    run(document(data))

    gcap = Commitment.objects.get(topic="defence-security")
    assert (gcap.target_date, gcap.target_display) == (datetime.date(2035, 6, 30), "2035-06-30")


def test_a_target_year_may_be_a_number():
    data = meeting_data()
    data["commitments"][1]["target"] = 2035.0

    run(document(data))

    assert Commitment.objects.get(topic="defence-security").target_display == "2035"


def test_optional_fields_may_be_null():
    data = meeting_data(end_date=None, venue=None, host=None, summary=None, slug=None)
    data["leaders"][0]["native_name"] = None
    data["commitments"][1].update(detail=None, status=None, target=None, parties=None, history=None)
    data["sources"][0].update(publisher=None, excerpt=None)

    run(document(data))

    meeting = Meeting.objects.get()
    assert (meeting.host, meeting.venue, meeting.summary) == (None, "", "")
    assert Commitment.objects.get(topic="defence-security").status == "announced"


def test_a_history_entry_may_cite_a_recorded_source_or_give_one():
    make_source(url="https://recorded.example.org/report")
    data = meeting_data()
    data["commitments"][1]["status"] = "fulfilled"  # as the latest history entry says
    data["commitments"][1]["history"] = [
        {"date": "2026-02-01", "status": "in-progress", "source": "https://recorded.example.org/report"},
        {
            "date": "2026-03-01",
            "status": "fulfilled",
            "source": {"url": "https://new.example.org/x", "title": "X"},
        },
    ]

    run(document(data))

    gcap = Commitment.objects.get(topic="defence-security")
    assert [change.source.url for change in gcap.history.all()] == [
        "https://recorded.example.org/report",
        "https://new.example.org/x",
    ]
    assert Source.objects.get(url="https://new.example.org/x").title == "X"


def test_several_files_import_as_one():
    first = document(meeting_data())
    second = document(meeting_data(date="2026-02-01", city="Rome", host="IT", title="Rome talks"))

    import_files([("a.json", json.dumps(first)), ("b.json", json.dumps(second))])

    assert Meeting.objects.count() == 2
    assert Leader.objects.count() == 2


# Matching and idempotence --------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing():
    data = document(meeting_data(), meeting_data(date="2026-02-01", city="Rome", host="IT", title="Rome"))
    run(data)
    before = snapshot()

    report = run(copy.deepcopy(data))

    assert snapshot() == before
    assert not report.changed
    assert {label: tally.unchanged for label, tally in report.tallies.items()} == {
        "meetings": 2,
        "leaders": 2,
        "sources": 2,
        "commitments": 4,
        "status changes": 2,
    }


def test_a_meeting_without_a_slug_is_matched_by_date_countries_and_city():
    existing = make_meeting(slug="the-tokyo-summit", countries=("IT", "JP"), city="Tokyo")

    report = run(document(meeting_data(countries=["JP", "IT"])))

    assert Meeting.objects.get() == existing
    assert report.tallies["meetings"].updated == 1
    existing.refresh_from_db()
    assert existing.title == "Japan–Italy summit"


def test_a_meeting_with_a_slug_is_matched_by_slug():
    existing = make_meeting(slug="the-tokyo-summit", city="Osaka", date=datetime.date(2026, 1, 10))

    run(document(meeting_data(slug="the-tokyo-summit")))

    existing.refresh_from_db()
    assert (Meeting.objects.count(), existing.city, existing.date) == (1, "Tokyo", datetime.date(2026, 1, 16))


def test_leaders_are_matched_by_name_and_country():
    meloni = make_leader(name="Giorgia Meloni", slug="meloni", country_id="IT", title="Prime Minister")
    namesake = make_leader(name="Takaichi Sanae", slug="another-takaichi", country_id="FR", title="Someone")

    run(document())

    meloni.refresh_from_db()
    assert meloni.title == "President of the Council of Ministers"
    assert Meeting.objects.get().leaders.filter(pk=meloni.pk).exists()
    assert not Meeting.objects.get().leaders.filter(pk=namesake.pk).exists()
    assert Leader.objects.count() == 3


def test_a_field_left_out_keeps_a_leaders_and_a_sources_recorded_details():
    leader = make_leader(name="Giorgia Meloni", slug="meloni", country_id="IT", native_name="Giorgia Meloni")
    source = make_source(url="https://news.example.org/gcap", title="GCAP", publisher="Someone")

    run(document())

    leader.refresh_from_db()
    source.refresh_from_db()
    assert leader.native_name == "Giorgia Meloni"
    assert leader.took_office == datetime.date(2020, 1, 1)
    assert (source.title, source.publisher) == ("GCAP", "Example News")


def test_a_changed_field_updates_only_that_record():
    data = document(meeting_data(), meeting_data(date="2026-02-01", city="Rome", host="IT", title="Rome"))
    run(data)
    rome = Meeting.objects.get(city="Rome")
    tokyo = Meeting.objects.get(city="Tokyo")

    data["meetings"][0]["venue"] = "Prime Minister's Office"
    report = run(data)

    tokyo_after, rome_after = Meeting.objects.get(pk=tokyo.pk), Meeting.objects.get(pk=rome.pk)
    assert tokyo_after.venue == "Prime Minister's Office"
    assert tokyo_after.updated_at > tokyo.updated_at
    assert rome_after.updated_at == rome.updated_at
    assert (report.tallies["meetings"].updated, report.tallies["meetings"].unchanged) == (1, 1)
    assert report.change_lines() == [f"updated {tokyo.slug} (Japan–Italy summit): venue"]


def test_a_field_left_out_of_a_meeting_is_cleared():
    run(document())
    data = meeting_data()
    del data["venue"]

    run(document(data))

    assert Meeting.objects.get().venue == ""


def test_the_files_sets_of_countries_leaders_and_sources_replace_the_recorded_ones():
    run(document(meeting_data(slug="summit")))
    data = meeting_data(slug="summit", countries=["JP", "IT", "EU"])
    data["leaders"] = data["leaders"][:1]
    data["sources"] = [{"url": "https://other.example.org/", "excerpt": "Met."}]
    data["commitments"][0]["sources"] = [{"url": "https://other.example.org/"}]

    report = run(document(data))

    meeting = Meeting.objects.get()
    assert sorted(meeting.countries.values_list("code", flat=True)) == ["EU", "IT", "JP"]
    assert list(meeting.leaders.values_list("name", flat=True)) == ["Takaichi Sanae"]
    assert list(meeting.sources.values_list("url", flat=True)) == ["https://other.example.org/"]
    assert report.change_lines() == ["updated summit (Japan–Italy summit): countries, leaders, sources"]
    assert Leader.objects.count() == 2, "a leader no longer listed is not deleted"


def test_a_changed_excerpt_updates_the_citation():
    run(document())
    data = meeting_data()
    data["sources"][0]["excerpt"] = "A new quotation."

    report = run(document(data))

    assert MeetingCitation.objects.get().excerpt == "A new quotation."
    assert report.tallies["meetings"].updated == 1


def test_commitments_are_matched_by_topic_and_summary_and_never_deleted():
    run(document())
    data = meeting_data()
    data["commitments"][1]["status"] = "fulfilled"
    data["commitments"][1]["history"].append(
        {
            "date": "2026-05-01",
            "status": "fulfilled",
            "note": "Done.",
            "source": "https://news.example.org/gcap",
        }
    )
    del data["commitments"][0]

    report = run(document(data))

    assert Commitment.objects.count() == 2
    assert Commitment.objects.get(topic="defence-security").status == "fulfilled"  # from its history
    assert report.tallies["commitments"].unchanged == 1
    assert (report.tallies["status changes"].created, report.tallies["status changes"].unchanged) == (1, 1)


def test_an_existing_commitment_is_updated_in_place():
    meeting = make_meeting(slug="summit")
    gcap = make_commitment(
        meeting=meeting, topic_id="defence-security", summary="Develop the GCAP fighter together"
    )
    other_topic = make_commitment(
        meeting=meeting, topic_id="space", summary="Develop the GCAP fighter together"
    )

    run(document(meeting_data(slug="summit")))

    gcap.refresh_from_db()
    other_topic.refresh_from_db()
    assert (gcap.status, gcap.target_display) == ("in-progress", "2035")
    assert other_topic.status == "announced", "another topic is another commitment"
    assert Commitment.objects.filter(meeting=meeting).count() == 3


def test_a_dry_run_writes_nothing_and_reports_what_it_would_do():
    before = counts()

    report = run(document(), dry_run=True)

    assert counts() == before
    assert report.dry_run
    assert report.tallies["meetings"].created == 1
    assert report.change_lines() == ["create 2026-01-16-it-jp-tokyo (Japan–Italy summit)"]
    assert report.summary_lines()[0].startswith("meetings:")
    assert "1 would be created" in report.summary_lines()[0]


def test_a_dry_run_reports_updates():
    run(document())
    data = meeting_data(title="A new title")

    before = snapshot()
    report = run(document(data), dry_run=True)

    assert snapshot() == before
    assert report.change_lines() == ["update 2026-01-16-it-jp-tokyo (A new title): title"]


def test_a_small_bulk_import_takes_a_few_queries_whatever_its_size(django_assert_max_num_queries):
    meetings = [
        meeting_data(date=(datetime.date(2020, 1, 1) + datetime.timedelta(days=n)).isoformat(), title=f"M{n}")
        for n in range(300)
    ]
    for n, meeting in enumerate(meetings):
        del meeting["leaders"][0]["took_office"]  # a term of no matter here
        meeting["sources"] = [{"url": f"https://news.example.org/{n}"}]
        meeting["commitments"][0]["sources"] = [{"url": f"https://news.example.org/{n}"}]

    with django_assert_max_num_queries(60):
        report = run(document(*meetings))

    assert report.tallies["meetings"].created == 300
    assert Commitment.objects.count() == 600
    with django_assert_max_num_queries(40):
        assert not run(document(*meetings)).changed


# Problems: every one reported, with its path -------------------------------------------------


def broken(change):
    data = meeting_data()
    change(data)
    return document(meeting_data(date="2025-12-01", title="A good one"), data)


ERRORS = [
    (
        lambda m: m["countries"].__setitem__(1, "XX"),
        'meetings[1].countries[1]: unknown country code "XX"',
    ),
    (
        lambda m: m["countries"].__setitem__(1, "ITA"),
        'meetings[1].countries[1]: not a two-letter country code: "ITA"',
    ),
    (
        lambda m: m["countries"].append("jp"),
        'meetings[1].countries[2]: "JP" is listed twice (also at meetings[1].countries[0])',
    ),
    (lambda m: m.update(countries=["JP"], host=None), "meetings[1].countries: give at least two countries"),
    (lambda m: m.update(host="FR"), 'meetings[1].host: "FR" is not one of the meeting\'s countries'),
    (
        lambda m: m["leaders"][1].update(country="FR"),
        'meetings[1].leaders[1].country: "FR" is not one of the meeting\'s countries',
    ),
    (
        lambda m: m.update(kind="meeting"),
        'meetings[1].kind: unknown kind "meeting" (expected one of: official-visit, summit, '
        "sideline-talks, phone-call, video-call, encounter)",
    ),
    (
        lambda m: m["commitments"][0].update(topic="minerals"),
        'meetings[1].commitments[0].topic: unknown topic "minerals" (expected one of: critical-minerals, '
        "culture, defence-security, economic-security, energy, other, partnership-upgrade, space, "
        "technology, trade-investment)",
    ),
    (
        lambda m: m["commitments"][1].update(status="done"),
        'meetings[1].commitments[1].status: unknown status "done" (expected one of: announced, '
        "in-progress, fulfilled, lapsed)",
    ),
    (
        lambda m: m["commitments"][1]["history"][0].update(status="started"),
        'meetings[1].commitments[1].history[0].status: unknown status "started" (expected one of: '
        "announced, in-progress, fulfilled, lapsed)",
    ),
    (
        lambda m: m.update(date="16/01/2026"),
        'meetings[1].date: not a date in the form YYYY-MM-DD: "16/01/2026"',
    ),
    (lambda m: m.update(date="2026-02-30"), 'meetings[1].date: not a real date: "2026-02-30"'),
    (
        lambda m: m.update(end_date="2026-01-15"),
        "meetings[1].end_date: 2026-01-15 is before the start date 2026-01-16",
    ),
    (
        lambda m: m["leaders"][0].update(took_office="2026-01-01", left_office="2025-01-01"),
        "meetings[1].leaders[0].left_office: 2025-01-01 is before took_office 2026-01-01",
    ),
    (
        lambda m: m["commitments"][1].update(level_to="allies"),
        "meetings[1].commitments[1].level_to: only partnership-upgrade commitments name levels",
    ),
    (
        lambda m: m["commitments"][0].pop("level_to"),
        "meetings[1].commitments[0].level_to: a partnership upgrade names the level it reaches",
    ),
    (
        lambda m: m["commitments"][0].update(level_from="special strategic partnership"),
        "meetings[1].commitments[0].level_from: the level before must differ from the level reached",
    ),
    (
        lambda m: m["sources"][0].update(excerpt=" ".join(["word"] * 26)),
        "meetings[1].sources[0].excerpt: 26 words; keep a quoted excerpt to 25 words at most",
    ),
    (lambda m: m.update(sources=[]), "meetings[1].sources: cite at least one source"),
    (
        lambda m: m["commitments"][0].pop("sources"),
        "meetings[1].commitments[0].sources: required field missing",
    ),
    (
        lambda m: m["sources"].append({"url": "https://www.mofa.go.jp/summit.html"}),
        'meetings[1].sources[1].url: "https://www.mofa.go.jp/summit.html" is cited twice '
        "(also at meetings[1].sources[0])",
    ),
    (
        lambda m: m["sources"][0].update(url="mofa.go.jp/summit"),
        'meetings[1].sources[0].url: not an http or https URL: "mofa.go.jp/summit"',
    ),
    (
        lambda m: m["sources"][0].update(url="https://not a url"),
        'meetings[1].sources[0].url: not a valid URL: "https://not a url"',
    ),
    (
        lambda m: m["commitments"][1]["history"][0].update(source="https://unknown.example.org/"),
        'meetings[1].commitments[1].history[0].source: "https://unknown.example.org/" is not a source '
        "given in the file or already recorded",
    ),
    (
        lambda m: m["commitments"][1].update(target="2035-13-01"),
        'meetings[1].commitments[1].target: not a real date: "2035-13-01"',
    ),
    (
        lambda m: m["commitments"][1].update(target="soon"),
        'meetings[1].commitments[1].target: not a year ("2035") or a date ("2035-06-30"): "soon"',
    ),
    (
        lambda m: m["commitments"][1].update(parties=["JP", "XX"]),
        'meetings[1].commitments[1].parties[1]: unknown country code "XX"',
    ),
    (
        lambda m: m["commitments"][1].update(parties=["JP", "jp"]),
        'meetings[1].commitments[1].parties[1]: "JP" is listed twice '
        "(also at meetings[1].commitments[1].parties[0])",
    ),
    (
        lambda m: m["commitments"].append(copy.deepcopy(m["commitments"][0])),
        "meetings[1].commitments[2].summary: the same topic and summary as meetings[1].commitments[0]: "
        "a meeting records a commitment once",
    ),
    (lambda m: m.pop("title"), "meetings[1].title: required field missing"),
    (lambda m: m.update(title=""), "meetings[1].title: must not be empty"),
    (lambda m: m.update(title="   "), "meetings[1].title: must not be empty"),
    (lambda m: m["leaders"][0].update(name=" "), "meetings[1].leaders[0].name: must not be empty"),
    (lambda m: m["leaders"][0].update(title=" "), "meetings[1].leaders[0].title: must not be empty"),
    (
        lambda m: m["commitments"][0].update(summary=" "),
        "meetings[1].commitments[0].summary: must not be empty",
    ),
    (lambda m: m["commitments"][0].update(topic=" "), "meetings[1].commitments[0].topic: must not be empty"),
    (lambda m: m.update(title="x" * 301), "meetings[1].title: longer than 300 characters (301)"),
    (lambda m: m.update(colour="red"), "meetings[1].colour: unknown field"),
    (lambda m: m["sources"][0].update(author="Me"), "meetings[1].sources[0].author: unknown field"),
    (lambda m: m.update(countries="JP,IT"), "meetings[1].countries: expected an array, got a string"),
    (
        lambda m: m.update(slug="Tokyo summit!"),
        'meetings[1].slug: not a slug (letters, digits, hyphens and underscores): "Tokyo summit!"',
    ),
]


@pytest.mark.parametrize(("change", "message"), ERRORS, ids=[message for _, message in ERRORS])
def test_each_problem_names_the_record_and_field(change, message):
    before = counts()

    assert message in problems(broken(change))
    assert counts() == before


def test_a_leader_in_a_new_office_takes_the_latest_meetings_details():
    later = meeting_data(date="2026-02-01", title="Later")
    later["leaders"][0].update(title="Former Prime Minister", left_office="2026-02-01", native_name=None)
    earlier = meeting_data(date="2025-12-01", title="Earlier")
    earlier["leaders"][0]["title"] = "Minister for Foreign Affairs"

    run(document(later, meeting_data(), earlier))

    takaichi = Leader.objects.get(name="Takaichi Sanae")
    assert (takaichi.title, takaichi.left_office) == ("Former Prime Minister", datetime.date(2026, 2, 1))
    assert takaichi.native_name == "高市早苗", "a field left out keeps the value given elsewhere"
    assert Meeting.objects.get(title="Earlier").leaders.filter(pk=takaichi.pk).exists()


def test_a_term_ending_before_it_starts_across_meetings_is_a_problem():
    later = meeting_data(date="2026-02-01", title="Later")
    later["leaders"][0].update(took_office=None, left_office="2025-01-01")

    assert problems(document(meeting_data(), later)) == [
        "meetings[1].leaders[0].left_office: 2025-01-01 is before took_office 2025-10-21"
    ]


def test_a_term_ending_before_the_recorded_start_is_a_problem():
    make_leader(
        name="Giorgia Meloni", slug="meloni", country_id="IT", took_office=datetime.date(2022, 10, 22)
    )
    data = meeting_data()
    data["leaders"][1]["left_office"] = "2020-01-01"

    assert problems(document(data)) == [
        "meetings[0].leaders[1].left_office: 2020-01-01 is before took_office 2022-10-22 "
        "(with the dates already recorded for this leader)"
    ]


def test_a_source_given_twice_with_different_details_is_a_problem():
    data = meeting_data()
    data["commitments"][0]["sources"][0]["publisher"] = "Someone else"

    assert problems(document(data)) == [
        'meetings[0].commitments[0].sources[0].publisher: "Someone else" differs from "Ministry of Foreign '
        'Affairs of Japan" given at meetings[0].sources[0] for the same source'
    ]


def test_the_same_slug_twice_in_a_file_is_a_problem():
    data = document(meeting_data(slug="summit"), meeting_data(slug="summit", date="2026-02-01"))

    assert problems(data) == ['meetings[1].slug: "summit" is also the slug of meetings[0]']


def test_the_same_meeting_twice_without_a_slug_is_a_problem():
    assert problems(document(meeting_data(), meeting_data(title="Again"))) == [
        "meetings[1]: the same day and countries as meetings[0]: record a meeting once"
    ]


def test_two_meetings_of_one_day_and_the_same_countries_are_a_problem_even_with_slugs():
    data = document(meeting_data(slug="talks"), meeting_data(slug="dinner", city="Osaka", kind="summit"))

    assert problems(data) == ["meetings[1]: the same day and countries as meetings[0]: record a meeting once"]


def test_a_meeting_recorded_under_another_slug_is_a_duplicate_naming_both():
    run(document(meeting_data(slug="2026-01-16-it-jp-tokyo")))

    assert problems(document(meeting_data(slug="japan-italy-summit", city="Kyoto"))) == [
        'meetings[0]: "japan-italy-summit" has the same day and countries as the recorded meeting '
        '"2026-01-16-it-jp-tokyo": record a meeting once (give its slug to update it)'
    ]
    assert Meeting.objects.count() == 1


def test_a_meeting_of_the_same_day_with_another_country_is_not_a_duplicate():
    run(document(meeting_data(slug="2026-01-16-it-jp-tokyo")))
    other = meeting_data(slug="2026-01-16-jp-gb-tokyo", countries=["JP", "GB"], host="JP")
    other["leaders"] = other["leaders"][:1]

    assert run(document(other)).tallies["meetings"].created == 1


def test_a_leader_not_in_office_on_the_meetings_day_is_a_problem():
    early = meeting_data(date="2025-06-01", title="Before her term")

    assert problems(document(early)) == [
        "meetings[0].leaders: Takaichi Sanae took office on 2025-10-21, after 2025-06-01: not in office then"
    ]


def test_the_term_check_uses_the_recorded_term_when_the_file_gives_none():
    make_leader(
        name="Giorgia Meloni",
        slug="meloni",
        country_id="IT",
        took_office=datetime.date(2022, 10, 22),
        left_office=datetime.date(2025, 12, 31),
    )

    assert problems(document(meeting_data())) == [
        "meetings[0].leaders: Giorgia Meloni left office on 2025-12-31, before 2026-01-16: not in office then"
    ]


def test_a_leader_meets_on_the_last_day_of_the_term():
    data = meeting_data()
    data["leaders"][0]["left_office"] = "2026-01-16"

    assert run(document(data)).tallies["meetings"].created == 1


def test_a_meeting_that_matches_two_recorded_meetings_is_a_problem():
    make_meeting(slug="call-a", city="Tokyo")
    make_meeting(slug="call-b", city="Tokyo")

    assert problems(document()) == [
        "meetings[0]: matches 2 recorded meetings (call-a, call-b); give the slug of one"
    ]


def test_the_format_is_checked():
    assert problems({"format": "bilateral-meetings/4", "meetings": []}) == [
        'format: unsupported format "bilateral-meetings/4"; this version reads "bilateral-meetings/3", '
        '"bilateral-meetings/2" and "bilateral-meetings/1"'
    ]
    assert not run({"format": "bilateral-meetings/3", "meetings": []}).changed
    assert not run({"format": "bilateral-meetings/2", "meetings": []}).changed
    assert problems({"meetings": []}) == ["format: required field missing"]
    assert problems([]) == ["expected an object, got an array"]


def test_malformed_json_reports_line_and_column():
    with pytest.raises(ImportFailed) as failure:
        read_document(b'{"format": "bilateral-meetings/1",\n  "meetings": [}\n', "broken.json")

    assert failure.value.lines() == ["line 2, column 16: malformed JSON: Expecting value"]
    assert failure.value.problems[0].document == "broken.json"


def test_a_file_that_is_not_utf8_is_refused():
    assert problems(b'{"format": "\xff"}') == ["not UTF-8 text (byte 12 cannot be read)"]


def test_every_problem_is_reported_at_once_in_file_order():
    data = document(
        meeting_data(countries=["JP", "XX"], host="JP"),
        meeting_data(date="2026-02-01", kind="chat"),
        meeting_data(date="2026-01-20", sources=[]),
    )
    data["meetings"][0]["commitments"][0]["topic"] = "nonsense"

    assert problems(data) == [
        'meetings[0].commitments[0].topic: unknown topic "nonsense" (expected one of: critical-minerals, '
        "culture, defence-security, economic-security, energy, other, partnership-upgrade, space, "
        "technology, trade-investment)",
        'meetings[0].countries[1]: unknown country code "XX"',
        'meetings[1].kind: unknown kind "chat" (expected one of: official-visit, summit, sideline-talks, '
        "phone-call, video-call, encounter)",
        "meetings[2].sources: cite at least one source",
    ]


# All or nothing ------------------------------------------------------------------------------


def test_a_file_whose_last_record_is_bad_leaves_the_database_unchanged():
    run(document(meeting_data(slug="existing")))
    before = snapshot()
    good = [meeting_data(date=f"2026-03-{day:02}", title=f"Good {day}") for day in range(1, 20)]
    changed = meeting_data(slug="existing", title="Changed")
    bad = meeting_data(date="2026-04-01", countries=["JP", "XX"])

    with pytest.raises(ImportFailed):
        run(document(*good, changed, bad))

    assert snapshot() == before


def test_a_failure_while_writing_rolls_everything_back(monkeypatch):
    before = snapshot()

    def refuse(*args, **kwargs):
        raise IntegrityError("refused")

    monkeypatch.setattr(StatusChange.objects, "bulk_create", refuse)

    with pytest.raises(ImportFailed) as failure:
        run(document())

    assert failure.value.lines() == ["the database refused the import: refused"]
    assert snapshot() == before


# The command ---------------------------------------------------------------------------------


def write(tmp_path, data, name="meetings.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_the_command_imports_and_prints_a_summary(tmp_path):
    out, err = command(write(tmp_path, document()))

    assert out.splitlines() == [
        "meetings:       1 created, 0 updated, 0 unchanged",
        "leaders:        2 created, 0 updated, 0 unchanged",
        "sources:        2 created, 0 updated, 0 unchanged",
        "commitments:    2 created, 0 updated, 0 unchanged",
        "status changes: 2 created, 0 updated, 0 unchanged",
    ]
    assert err == ""
    assert Meeting.objects.count() == 1


def test_the_command_dry_run_lists_changes_and_writes_nothing(tmp_path):
    out, _ = command(write(tmp_path, document()), "--dry-run")

    assert out.splitlines()[:3] == [
        "Dry run: nothing was written.",
        "  create 2026-01-16-it-jp-tokyo (Japan–Italy summit)",
        "meetings:       1 would be created, 0 would be updated, 0 unchanged",
    ]
    assert Meeting.objects.count() == 0


def test_the_command_reports_problems_and_fails(tmp_path):
    path = write(tmp_path, broken(lambda m: m["countries"].__setitem__(1, "XX")))
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 problem found; nothing was imported"):
        call_command("import_meetings", path, stdout=io.StringIO(), stderr=err)

    assert err.getvalue() == (
        'meetings[1].countries[1] (2026-01-16 Japan–Italy summit): unknown country code "XX"\n'
    )
    assert Meeting.objects.count() == 0


def test_the_command_names_the_file_when_given_several(tmp_path):
    good = write(tmp_path, document(), "good.json")
    bad = write(tmp_path, broken(lambda m: m.update(kind="chat")), "bad.json")
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_meetings", good, bad, stdout=io.StringIO(), stderr=err)

    assert err.getvalue().startswith(
        'bad.json: meetings[1].kind (2026-01-16 Japan–Italy summit): unknown kind "chat"'.replace(
            "bad.json", bad
        )
    )


def test_the_command_reports_malformed_json_with_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "bilateral-meetings/1",\n "meetings": [,]}')
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_meetings", str(path), stdout=io.StringIO(), stderr=err)

    assert err.getvalue() == "line 2, column 15: malformed JSON: Expecting value\n"


def test_the_command_reads_standard_input(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(json.dumps(document()).encode())))

    command("-")

    assert Meeting.objects.count() == 1


def test_the_command_exits_non_zero_on_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read the file"):
        call_command("import_meetings", str(tmp_path / "missing.json"), stdout=io.StringIO())


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_the_progress_bar_shows_on_a_terminal_for_large_files_only():
    from agreements.management.commands.import_meetings import progress_bar

    silent, terminal, small = io.StringIO(), FakeTerminal(), FakeTerminal()

    assert list(progress_bar(silent)(list(range(500)), "Checking")) == list(range(500))
    list(progress_bar(terminal)(list(range(500)), "Checking"))
    list(progress_bar(small)(list(range(199)), "Checking"))

    assert silent.getvalue() == ""
    assert "Checking:   0%|" in terminal.getvalue()
    assert small.getvalue() == ""


def check_deferred_constraints():
    """On PostgreSQL, run the checks deferred to commit (a meeting has two or more countries) now."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django's own constraints are


def test_an_import_passes_the_databases_deferred_checks():
    run(document(meeting_data(slug="summit")))
    check_deferred_constraints()
    run(document(meeting_data(slug="summit", countries=["EU", "IT"], host="IT", leaders=[])))
    check_deferred_constraints()

    meeting = Meeting.objects.get()
    assert sorted(meeting.countries.values_list("code", flat=True)) == ["EU", "IT"]


def test_the_deferred_check_is_real_on_postgresql():
    """The check above would catch a meeting left with one country."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no deferred constraint triggers")
    meeting = make_meeting(countries=("IT", "JP"))
    meeting.countries.remove("JP")

    with pytest.raises(IntegrityError):
        check_deferred_constraints()


def test_a_status_that_disagrees_with_the_latest_history_entry_is_refused():
    data = document()
    commitment = data["meetings"][0]["commitments"][0]
    source = commitment["sources"][0]["url"]
    commitment["status"] = "announced"
    commitment["history"] = [{"date": "2026-06-01", "status": "fulfilled", "note": "Done.", "source": source}]
    assert (
        'meetings[0].commitments[0].status: "announced" disagrees with the latest history '
        'entry (2026-06-01: "fulfilled")'
    ) in problems(data)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "malformed JSON: nested too deeply"),
        ('{"format": ' + "9" * 5000 + "}", "malformed JSON: Exceeds the limit"),
    ],
    ids=["nested", "huge-integer"],
)
def test_json_python_cannot_read_is_a_problem_not_a_crash(raw, message):
    with pytest.raises(ImportFailed) as failure:
        run(raw)
    assert message in failure.value.lines()[0]


def test_text_with_a_lone_surrogate_is_a_problem_naming_the_field():
    raw = json.dumps(document()).replace('"title": "', '"title": "\\ud800', 1)
    lines = problems(raw)
    assert lines == ["meetings[0].title: text with an unpaired surrogate escape (\\ud800-\\udfff)"]


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([], '"in-progress" is what a history entry says: give the dated, sourced entry that shows it'),
        (
            [{"date": "2026-01-01", "status": "in-progress", "source": "https://news.example.org/gcap"}],
            "history[0].date: an entry cannot be dated before the commitment was agreed (2026-01-16)",
        ),
        (
            [{"date": "2099-01-01", "status": "in-progress", "source": "https://news.example.org/gcap"}],
            "history[0].date: an entry cannot be dated in the future",
        ),
    ],
    ids=["no-history", "before-the-meeting", "in-the-future"],
)
def test_a_status_needs_a_history_entry_dated_between_the_meeting_and_today(history, message):
    data = document()
    data["meetings"][0]["commitments"][1]["history"] = history
    found = problems(data)
    assert any(
        problem.startswith("meetings[0].commitments[1].") and message in problem for problem in found
    ), found


def test_checking_stops_after_a_bounded_number_of_problems():
    from agreements.importer import MAX_PROBLEMS

    bad = [meeting_data(date="2026-02-01", kind="chat", title=f"Bad {n}") for n in range(MAX_PROBLEMS * 5)]
    with pytest.raises(ImportFailed) as failure:
        run(document(*bad))
    lines = failure.value.lines()
    assert len(lines) == MAX_PROBLEMS + 1
    assert (
        lines[-1]
        == f"Checking stopped after {MAX_PROBLEMS} problems: correct these and check the file again."
    )
    assert str(failure.value) == f"at least {MAX_PROBLEMS} problems found; nothing was imported."


def test_the_schemas_vocabularies_are_the_models_choices():
    from agreements.importer import schema
    from agreements.models import MeetingKind, Status

    for version in ("bilateral-meetings/1", "bilateral-meetings/2", "bilateral-meetings/3"):
        definitions = schema(version)["$defs"]
        assert definitions["status"]["enum"] == Status.values
        assert definitions["meeting"]["properties"]["kind"]["enum"] == MeetingKind.values
        assert definitions["commitment"]["properties"]["status"]["enum"] == [*Status.values, None]


@pytest.mark.parametrize("version", ["bilateral-meetings/2", "bilateral-meetings/3"])
def test_the_agreement_vocabularies_of_versions_2_and_3_are_the_models_choices(version):
    from agreements.importer import schema
    from agreements.models import AgreementKind, AgreementStatus, EventKind, SourceKind, TextKind

    definitions = schema(version)["$defs"]
    assert definitions["sourceDetails"]["properties"]["kind"]["enum"] == [*SourceKind.values, None]
    assert definitions["agreement"]["properties"]["kind"]["enum"] == AgreementKind.values
    assert definitions["agreement"]["properties"]["status"]["enum"] == [*AgreementStatus.values, None]
    assert definitions["agreementStatus"]["enum"] == AgreementStatus.values
    assert definitions["agreementEvent"]["properties"]["kind"]["enum"] == EventKind.values
    assert definitions["agreementText"]["properties"]["kind"]["enum"] == [*TextKind.values, None]


def test_the_version_3_schemas_vocabularies_are_the_models_choices():
    from agreements.importer import FORMAT, schema
    from agreements.models import LinkKind

    definitions = schema("bilateral-meetings/3")["$defs"]
    assert definitions["commitmentLink"]["properties"]["kind"]["enum"] == LinkKind.values
    assert schema()["$defs"] == definitions and FORMAT == "bilateral-meetings/3", "the newest by default"


def test_each_problem_shown_names_its_meeting_by_date_and_title():
    long_title = "A summit " + "with a very long title " * 10
    failure_lines = problems_shown(
        document(
            meeting_data(date="2025-12-01", title="A good one", kind="chat"),
            meeting_data(title=long_title, countries=["JP", "XX"]),
            meeting_data(date=20260116, title=["not", "text"], host="FR"),
        )
    )
    assert failure_lines == [
        'meetings[0].kind (2025-12-01 A good one): unknown kind "chat" (expected one of: official-visit, '
        "summit, sideline-talks, phone-call, video-call, encounter)",
        f'meetings[1].countries[1] (2026-01-16 {long_title[:79]}…): unknown country code "XX"',
        "meetings[2].date: expected a string, got a number",
        'meetings[2].host: "FR" is not one of the meeting\'s countries',
        "meetings[2].title: expected a string, got an array",
    ]


def problems_shown(data):
    with pytest.raises(ImportFailed) as failure:
        run(data)
    return failure.value.lines()


# Sources for a leader's term ---------------------------------------------------------------


def document3(*meetings):
    return {"format": "bilateral-meetings/3", "meetings": list(meetings)}


TERM_SOURCE = {
    "url": "https://www.kantei.go.jp/takaichi-cabinet.html",
    "publisher": "Prime Minister's Office of Japan",
    "kind": "official",
    "issuer": "JP",
    "excerpt": "The Takaichi Cabinet was formed on October 21, 2025.",
}


def test_a_leaders_term_cites_its_sources_and_a_second_import_changes_nothing():
    data = meeting_data()
    data["leaders"][0]["sources"] = [TERM_SOURCE]

    run(document3(data))

    takaichi = Leader.objects.get(name="Takaichi Sanae")
    assert [(c.source.url, c.excerpt) for c in takaichi.citations.all()] == [
        (TERM_SOURCE["url"], TERM_SOURCE["excerpt"])
    ]
    assert not run(document3(data)).changed


def test_a_leaders_sources_are_added_to_never_removed():
    data = meeting_data()
    data["leaders"][0]["sources"] = [TERM_SOURCE]
    run(document3(data))
    later = meeting_data(date="2026-02-01", title="Later")
    later["leaders"][0]["sources"] = [{"url": "https://news.example.org/takaichi-elected"}]

    report = run(document3(later))

    assert report.tallies["leaders"].updated == 1
    assert sorted(
        Leader.objects.get(name="Takaichi Sanae").citations.values_list("source__url", flat=True)
    ) == [
        "https://news.example.org/takaichi-elected",
        TERM_SOURCE["url"],
    ]
    del later["leaders"][0]["sources"]
    assert not run(document3(later)).changed


def test_a_leaders_source_is_checked_as_any_other():
    data = meeting_data()
    data["leaders"][0]["sources"] = [{**TERM_SOURCE, "excerpt": " ".join(["word"] * 30)}]

    assert problems(document3(data)) == [
        "meetings[0].leaders[0].sources[0].excerpt: 30 words; keep a quoted excerpt to 25 words at most"
    ]


def test_a_version_2_file_cannot_give_a_leaders_sources():
    data = meeting_data()
    data["leaders"][0]["sources"] = [TERM_SOURCE]

    assert problems({"format": "bilateral-meetings/2", "meetings": [data]}) == [
        "meetings[0].leaders[0].sources: unknown field in bilateral-meetings/2 (version 3 adds it)"
    ]
