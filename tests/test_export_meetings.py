"""`export_meetings`: the import format, deterministic, so export → import → export is identical."""

import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from jsonschema import Draft202012Validator

from agreements.exporter import dumps, export_document, meetings_to_export
from agreements.importer import import_files, schema
from agreements.models import (
    Agreement,
    AgreementEvent,
    Commitment,
    DiplomaticTie,
    Leader,
    LeaderCitation,
    Meeting,
    Source,
    StatusChange,
)
from tests.factories import (
    country,
    make_agreement,
    make_commitment,
    make_leader,
    make_meeting,
    make_signatory,
    make_source,
    make_status_change,
    make_text,
)

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "seed-meetings.json"


def export(*args):
    out = io.StringIO()
    call_command("export_meetings", *args, stdout=out)
    return out.getvalue()


def empty_the_record():
    """Delete every record an export holds (reference data stays), children first."""
    StatusChange.objects.all().delete()
    Commitment.objects.all().delete()
    Agreement.objects.all().delete()
    Meeting.objects.all().delete()
    DiplomaticTie.objects.all().delete()
    Leader.objects.all().delete()
    Source.objects.all().delete()


def make_record():
    """Two meetings covering every field the format carries."""
    takaichi = make_leader(
        name="Sanae Takaichi", native_name="高市早苗", slug="takaichi", country=country("JP")
    )
    meloni = make_leader(
        name="Giorgia Meloni", slug="meloni", country=country("IT"), title="President of the Council"
    )
    term = make_source(
        url="https://news.example.org/takaichi-elected", title="Takaichi elected", publisher=""
    )
    LeaderCitation.objects.create(leader=takaichi, source=term, excerpt="Takaichi became prime minister.")
    statement = make_source(url="https://www.mofa.go.jp/statement", title="Joint statement", publisher="MOFA")
    bare = make_source(url="https://news.example.org/bare", title="", publisher="", published=None)
    tokyo = make_meeting(
        slug="2026-01-16-it-jp-tokyo",
        kind="official-visit",
        date=datetime.date(2026, 1, 16),
        end_date=datetime.date(2026, 1, 17),
        venue="Kantei",
        title="Summit in Tokyo",
        summary="They met.",
        leaders=[takaichi, meloni],
        sources=[statement, bare],
    )
    citation = tokyo.citations.get(source=statement)
    citation.excerpt = "The two leaders met."
    citation.save()
    upgrade = make_commitment(
        meeting=tokyo,
        topic_id="partnership-upgrade",
        summary="Special strategic partnership",
        level_from="strategic",
        level_to="special strategic",
        sources=[statement],
    )
    gcap = make_commitment(
        meeting=tokyo,
        topic_id="defence-security",
        summary="GCAP fighter",
        parties=["GB", "IT", "JP"],
        target_date=datetime.date(2035, 12, 31),
        target_precision="year",
        sources=[bare],
    )
    make_commitment(
        meeting=tokyo,
        topic_id="space",
        summary="Space dialogue",
        detail="A dialogue between agencies.",
        target_date=datetime.date(2027, 6, 30),
        target_precision="day",
        sources=[statement],
    )
    make_status_change(commitment=gcap, date=datetime.date(2026, 3, 1), source=bare)
    make_status_change(
        commitment=gcap,
        date=datetime.date(2026, 6, 1),
        status="fulfilled",
        source=make_source(url="https://history-only.example.org/", title="Only cited by history"),
    )
    call = make_meeting(
        slug="2025-11-02-it-jp-phone-call",
        kind="phone-call",
        date=datetime.date(2025, 11, 2),
        city="",
        host=None,
        title="Phone call",
        leaders=[meloni],
        sources=[statement],
    )
    return {"tokyo": tokyo, "call": call, "upgrade": upgrade, "gcap": gcap}


def make_agreements(record):
    """Two agreements covering every field the format carries about them; a commitment names one."""
    kantei = make_source(
        url="https://www.kantei.go.jp/readout", publisher="Kantei", kind="official", issuer=country("JP")
    )
    joint = make_source(url="https://www.mofa.go.jp/joint-text", title="Joint text", kind="joint")
    plan = make_agreement(
        slug="2024-06-14-it-jp-action-plan",
        kind="action-plan",
        title="Action Plan",
        date=datetime.date(2024, 6, 14),
        place="Apulia",
        sources=[joint],
    )
    statement = make_agreement(
        slug="2026-01-16-it-jp-joint-statement",
        title="Joint Statement",
        title_is_translation=True,
        original_title="日・イタリア共同声明",
        original_language="ja",
        summary="It redefines relations.",
        meeting=record["tokyo"],
        sources=[kantei, joint],
    )
    statement.supersedes.set([plan])
    statement.amends.set([plan])
    AgreementEvent.objects.create(
        agreement=statement,
        date=datetime.date(2026, 2, 1),
        kind="ratification",
        party=country("IT"),
        note="Approved.",
        source=make_source(url="https://event-only.example.org/", title="Only cited by an event"),
    )
    AgreementEvent.objects.create(
        agreement=statement, date=datetime.date(2026, 3, 1), kind="entry-into-force", source=kantei
    )
    takaichi = Leader.objects.get(slug="takaichi")
    make_signatory(statement, country=country("JP"), leader=takaichi, name="")
    make_signatory(
        statement, country=country("IT"), name="A. Minister", office="Minister for Foreign Affairs"
    )
    make_text(
        statement, language="ja", kind="authentic", url="https://texts.example.org/ja", title="共同声明"
    )
    make_text(statement, language="en", url="https://texts.example.org/en")
    upgrade = record["upgrade"]
    upgrade.agreement = statement
    upgrade.paragraph = "2"
    upgrade.save()
    return {"plan": plan, "statement": statement}


def test_export_writes_the_import_format_in_a_fixed_order():
    make_record()

    document = json.loads(export())

    assert document["format"] == "bilateral-meetings/3"
    assert [meeting["slug"] for meeting in document["meetings"]] == [
        "2025-11-02-it-jp-phone-call",
        "2026-01-16-it-jp-tokyo",
    ]
    call, tokyo = document["meetings"]
    assert list(call) == ["slug", "date", "kind", "title", "countries", "leaders", "sources"]
    assert list(tokyo) == [
        "slug",
        "date",
        "end_date",
        "kind",
        "title",
        "city",
        "venue",
        "host",
        "countries",
        "summary",
        "leaders",
        "sources",
        "commitments",
    ]
    assert tokyo["countries"] == ["IT", "JP"]
    assert tokyo["leaders"][0] == {
        "name": "Sanae Takaichi",
        "native_name": "高市早苗",
        "country": "JP",
        "title": "Prime Minister of Japan",
        "took_office": "2020-01-01",
        "sources": [
            {
                "url": "https://news.example.org/takaichi-elected",
                "title": "Takaichi elected",
                "published": tokyo["leaders"][0]["sources"][0]["published"],
                "kind": "report",
                "excerpt": "Takaichi became prime minister.",
            }
        ],
    }
    assert tokyo["sources"] == [
        {
            "url": "https://www.mofa.go.jp/statement",
            "publisher": "MOFA",
            "title": "Joint statement",
            "published": "2026-01-16",
            "kind": "report",
            "excerpt": "The two leaders met.",
        },
        {"url": "https://news.example.org/bare", "kind": "report"},
    ]
    assert [c["topic"] for c in tokyo["commitments"]] == ["space", "partnership-upgrade", "defence-security"]
    space, upgrade, gcap = tokyo["commitments"]
    assert (space["target"], space["detail"]) == ("2027-06-30", "A dialogue between agencies.")
    assert "parties" not in space, "the meeting's countries are the default"
    assert (upgrade["level_from"], upgrade["level_to"]) == ("strategic", "special strategic")
    assert (gcap["parties"], gcap["target"], gcap["status"]) == (["GB", "IT", "JP"], "2035", "fulfilled")
    assert gcap["history"] == [
        {"date": "2026-01-16", "status": "announced", "source": "https://www.mofa.go.jp/statement"},
        {
            "date": "2026-03-01",
            "status": "in-progress",
            "note": "Work began.",
            "source": "https://news.example.org/bare",
        },
        {
            "date": "2026-06-01",
            "status": "fulfilled",
            "note": "Work began.",
            "source": {
                "url": "https://history-only.example.org/",
                "publisher": "Example News",
                "title": "Only cited by history",
                "published": "2026-01-16",
                "kind": "report",
            },
        },
    ]
    assert document["agreements"] == []


def test_export_writes_agreements_and_what_version_2_adds():
    record = make_record()
    make_agreements(record)

    document = json.loads(export())

    tokyo = document["meetings"][1]
    upgrade = tokyo["commitments"][1]
    assert (upgrade["agreement"], upgrade["paragraph"]) == ("2026-01-16-it-jp-joint-statement", "2")
    assert "agreement" not in tokyo["commitments"][0]
    plan, statement = document["agreements"]
    assert plan == {
        "slug": "2024-06-14-it-jp-action-plan",
        "date": "2024-06-14",
        "kind": "action-plan",
        "title": "Action Plan",
        "title_is_translation": False,
        "binding": False,
        "place": "Apulia",
        "parties": ["IT", "JP"],
        "status": "signed",
        "sources": [
            {
                "url": "https://www.mofa.go.jp/joint-text",
                "publisher": "Example News",
                "title": "Joint text",
                "published": "2026-01-16",
                "kind": "joint",
            }
        ],
        "events": [{"date": "2024-06-14", "kind": "adoption", "source": "https://www.mofa.go.jp/joint-text"}],
    }
    assert list(statement) == [
        "slug",
        "date",
        "kind",
        "title",
        "title_is_translation",
        "original_title",
        "original_language",
        "binding",
        "place",
        "parties",
        "meeting",
        "summary",
        "status",
        "supersedes",
        "amends",
        "sources",
        "events",
        "signatories",
        "texts",
    ]
    assert (statement["meeting"], statement["status"]) == ("2026-01-16-it-jp-tokyo", "in-force")
    assert (statement["supersedes"], statement["amends"]) == (["2024-06-14-it-jp-action-plan"],) * 2
    assert statement["sources"][0] == {
        "url": "https://www.kantei.go.jp/readout",
        "publisher": "Kantei",
        "title": statement["sources"][0]["title"],
        "published": "2026-01-16",
        "kind": "official",
        "issuer": "JP",
    }
    assert statement["events"] == [
        {"date": "2026-01-16", "kind": "adoption", "source": "https://www.kantei.go.jp/readout"},
        {
            "date": "2026-02-01",
            "kind": "ratification",
            "party": "IT",
            "note": "Approved.",
            "source": {
                "url": "https://event-only.example.org/",
                "publisher": "Example News",
                "title": "Only cited by an event",
                "published": "2026-01-16",
                "kind": "report",
            },
        },
        {"date": "2026-03-01", "kind": "entry-into-force", "source": "https://www.kantei.go.jp/readout"},
    ]
    assert statement["signatories"] == [
        {"country": "JP", "leader": {k: v for k, v in tokyo["leaders"][0].items() if k != "sources"}},
        {"country": "IT", "name": "A. Minister", "office": "Minister for Foreign Affairs"},
    ]
    assert statement["texts"] == [
        {"language": "en", "kind": "published", "url": "https://texts.example.org/en"},
        {"language": "ja", "kind": "authentic", "url": "https://texts.example.org/ja", "title": "共同声明"},
    ]


def test_export_import_export_with_agreements_gives_the_same_document():
    make_agreements(make_record())
    first = export()
    empty_the_record()

    report = import_files([("export.json", first)])

    assert report.tallies["agreements"].created == 2
    assert export() == first
    assert not import_files([("export.json", first)]).changed


def test_agreements_are_exported_by_parties_and_date_and_when_a_commitment_names_them():
    record = make_record()
    agreements = make_agreements(record)
    make_agreement(slug="fr-jp", parties=("FR", "JP"), date=datetime.date(2025, 1, 1))

    def slugs(*args):
        return [agreement["slug"] for agreement in json.loads(export(*args))["agreements"]]

    assert slugs() == ["2024-06-14-it-jp-action-plan", "fr-jp", "2026-01-16-it-jp-joint-statement"]
    assert slugs("--country", "FR") == ["fr-jp"]
    assert slugs("--country", "IT", "--country", "JP") == [
        "2024-06-14-it-jp-action-plan",
        "2026-01-16-it-jp-joint-statement",
    ]
    assert slugs("--since", "2025-01-01") == ["fr-jp", "2026-01-16-it-jp-joint-statement"]
    # The upgrade names the joint statement: a commitment's agreement is exported with it.
    record["upgrade"].agreement = agreements["plan"]
    record["upgrade"].save()
    assert slugs("--since", "2026-01-01") == [
        "2024-06-14-it-jp-action-plan",
        "2026-01-16-it-jp-joint-statement",
    ]


def test_the_export_follows_the_schema():
    make_agreements(make_record())

    errors = list(Draft202012Validator(schema()).iter_errors(json.loads(export())))

    assert errors == []


def test_export_import_into_an_empty_database_and_export_again_gives_the_same_document():
    make_record()
    first = export()
    empty_the_record()

    import_files([("export.json", first)])

    assert export() == first


def test_exporting_twice_gives_the_same_bytes():
    make_record()

    assert export() == export()


def test_the_export_imports_back_with_no_change():
    make_record()

    report = import_files([("export.json", export())])

    assert not report.changed


def test_export_by_country_keeps_meetings_every_given_country_took_part_in():
    make_record()
    make_meeting(slug="fr-jp", countries=("FR", "JP"))

    assert [m["slug"] for m in json.loads(export("--country", "fr"))["meetings"]] == ["fr-jp"]
    assert len(json.loads(export("--country", "JP"))["meetings"]) == 3
    assert len(json.loads(export("--country", "JP", "--country", "IT"))["meetings"]) == 2


def test_export_by_topic_keeps_those_commitments_and_their_meetings():
    make_record()

    document = json.loads(export("--topic", "space", "--topic", "partnership-upgrade"))

    assert [m["slug"] for m in document["meetings"]] == ["2026-01-16-it-jp-tokyo"]
    assert [c["topic"] for c in document["meetings"][0]["commitments"]] == ["space", "partnership-upgrade"]


def test_export_since_a_date():
    make_record()

    document = json.loads(export("--since", "2026-01-01"))

    assert [m["slug"] for m in document["meetings"]] == ["2026-01-16-it-jp-tokyo"]


def test_export_writes_to_a_file(tmp_path):
    make_record()
    path = tmp_path / "out.json"

    assert export("-o", str(path)) == ""
    assert path.read_text(encoding="utf-8") == export()


def test_an_empty_record_exports_an_empty_document():
    assert export() == '{\n  "format": "bilateral-meetings/3",\n  "meetings": [],\n  "agreements": []\n}\n'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--country", "XX"], "unknown country code: XX"),
        (["--topic", "nonsense"], "unknown topic: nonsense"),
        (["--since", "yesterday"], "--since: not a date in the form YYYY-MM-DD: 'yesterday'"),
    ],
)
def test_export_refuses_unknown_filters(args, message):
    with pytest.raises(CommandError, match=message):
        export(*args)


def test_the_export_takes_a_few_queries_whatever_its_size(django_assert_num_queries):
    make_agreements(make_record())
    with django_assert_num_queries(18):
        export_document(meetings_to_export())
    for n in range(5):
        make_commitment(meeting=make_meeting(date=datetime.date(2024, 1, n + 1)), summary=f"More {n}")
        make_signatory(make_agreement(date=datetime.date(2024, 1, n + 1)))
    with django_assert_num_queries(18):
        export_document(meetings_to_export())


# The committed example: the seed data in the import format --------------------------------------


def test_the_example_file_is_the_seed_data_exported(seed):
    assert dumps(export_document(meetings_to_export())) == EXAMPLE.read_text(encoding="utf-8"), (
        "examples/seed-meetings.json is out of date: regenerate it with "
        "`manage.py loaddata seed` and `manage.py export_meetings -o examples/seed-meetings.json` "
        "on an empty database"
    )


def test_the_example_file_imports_into_an_empty_database_and_exports_the_same(client):
    text = EXAMPLE.read_text(encoding="utf-8")

    report = import_files([("seed-meetings.json", text)])

    assert report.tallies["meetings"].created == len(json.loads(text)["meetings"])
    assert export() == text
    assert not import_files([("seed-meetings.json", text)]).changed
    meeting = Meeting.objects.get(slug="2026-01-16-it-jp-tokyo")
    for url in ("/meetings/", meeting.get_absolute_url(), "/relations/it-jp/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert meeting.title in response.content.decode(), url


def test_a_leaders_sources_are_written_at_their_first_meeting_only():
    takaichi = make_record()["tokyo"].leaders.get(name="Sanae Takaichi")
    make_meeting(
        slug="2026-03-01-jp-kr-seoul",
        countries=("JP", "KR"),
        date=datetime.date(2026, 3, 1),
        leaders=[takaichi],
    )

    meetings = json.loads(export())["meetings"]
    takaichi = [
        leader for meeting in meetings for leader in meeting["leaders"] if leader["name"] == "Sanae Takaichi"
    ]

    assert len(takaichi) == 2
    assert takaichi[0]["sources"] == [
        {
            "url": "https://news.example.org/takaichi-elected",
            "title": "Takaichi elected",
            "published": takaichi[0]["sources"][0]["published"],
            "kind": "report",
            "excerpt": "Takaichi became prime minister.",
        }
    ]
    assert "sources" not in takaichi[1]
