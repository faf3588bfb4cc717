"""`bilateral-meetings/2`: agreements, whose account a source is, commitments naming their agreement;
`bilateral-meetings/1` files still read as before."""

import copy
import datetime
import json

import pytest
from django.contrib.auth.models import Permission

from agreements.importer import ImportFailed, import_files
from agreements.models import (
    Agreement,
    AgreementCitation,
    AgreementEvent,
    AgreementText,
    Commitment,
    Leader,
    Signatory,
    Source,
)
from tests.factories import country, make_agreement, make_leader, make_source
from tests.test_admin_import import URL, confirm_import, log_entries, upload
from tests.test_import import meeting_data

pytestmark = pytest.mark.django_db

MOFA = "https://www.mofa.go.jp/summit.html"
KANTEI = "https://www.kantei.go.jp/readout"
JOINT = "https://worldjpn.net/joint-statement"


def agreement_data(**overrides):
    """A joint statement as a file gives it: adopted, then in force, with signatories and texts."""
    data = {
        "slug": "2026-01-16-it-jp-joint-statement",
        "date": "2026-01-16",
        "kind": "joint-statement",
        "title": "Japan–Italy Joint Statement",
        "title_is_translation": True,
        "original_title": "日・イタリア共同声明",
        "original_language": "ja",
        "binding": False,
        "place": "Tokyo",
        "parties": ["JP", "IT"],
        "meeting": "tokyo-summit",
        "summary": "It redefines relations as a special strategic partnership.",
        "status": "in-force",
        "sources": [
            {"url": JOINT, "publisher": "The World and Japan", "kind": "joint", "excerpt": "The two leaders"},
            {"url": KANTEI, "publisher": "Kantei", "kind": "official", "issuer": "JP"},
        ],
        "events": [
            {"date": "2026-01-16", "kind": "adoption", "source": JOINT},
            {
                "date": "2026-02-01",
                "kind": "ratification",
                "party": "IT",
                "note": "Approved.",
                "source": KANTEI,
            },
            {
                "date": "2026-03-01",
                "kind": "entry-into-force",
                "source": {"url": "https://news.example.org/in-force", "kind": "report"},
            },
        ],
        "signatories": [
            {"country": "JP", "leader": "takaichi-sanae"},
            {"country": "IT", "name": "Antonio Tajani", "office": "Minister for Foreign Affairs"},
        ],
        "texts": [
            {"language": "ja", "kind": "authentic", "url": JOINT, "title": "日・イタリア共同声明"},
            {"language": "en", "url": "https://www.mofa.go.jp/joint-statement-en.html"},
        ],
    }
    data.update(overrides)
    return data


def document(meetings=None, agreements=None, version=2):
    if meetings is None:
        meeting = meeting_data(slug="tokyo-summit")
        meeting["commitments"][0].update(agreement="2026-01-16-it-jp-joint-statement", paragraph="3")
        meetings = [meeting]
    data = {"format": f"bilateral-meetings/{version}", "meetings": meetings}
    if agreements is not False:
        data["agreements"] = agreements if agreements is not None else [agreement_data()]
    return data


def run(data, **options):
    return import_files([("agreements.json", json.dumps(data))], **options)


def problems(data):
    with pytest.raises(ImportFailed) as failure:
        run(data)
    return [str(problem) for problem in failure.value.problems]


def snapshot():
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (
            Agreement,
            AgreementCitation,
            AgreementEvent,
            AgreementText,
            Signatory,
            Source,
            Commitment,
            Agreement.parties.through,
            Agreement.supersedes.through,
            Agreement.amends.through,
        )
    }


# What a version 2 file creates ---------------------------------------------------------------------


def test_a_version_2_file_creates_agreements_with_their_events_signatories_texts_and_sources():
    report = run(document())

    agreement = Agreement.objects.get()
    assert agreement.slug == "2026-01-16-it-jp-joint-statement"
    assert (agreement.kind, agreement.binding, agreement.title_is_translation) == (
        "joint-statement",
        False,
        True,
    )
    assert (agreement.original_title, agreement.original_language) == ("日・イタリア共同声明", "ja")
    assert (agreement.date, agreement.place) == (datetime.date(2026, 1, 16), "Tokyo")
    assert agreement.meeting.slug == "tokyo-summit"
    assert sorted(agreement.parties.values_list("code", flat=True)) == ["IT", "JP"]
    assert agreement.status == "in-force", "derived by the database from the events"
    assert [(c.source.url, c.excerpt) for c in agreement.citations.order_by("id")] == [
        (JOINT, "The two leaders"),
        (KANTEI, ""),
    ]
    assert [(e.date, e.kind, e.party_id, e.note, e.source.url) for e in agreement.events.all()] == [
        (datetime.date(2026, 1, 16), "adoption", None, "", JOINT),
        (datetime.date(2026, 2, 1), "ratification", "IT", "Approved.", KANTEI),
        (datetime.date(2026, 3, 1), "entry-into-force", None, "", "https://news.example.org/in-force"),
    ]
    takaichi = Leader.objects.get(name="Takaichi Sanae")
    assert [(s.country_id, s.leader, s.name, s.office) for s in agreement.signatories.all()] == [
        ("JP", takaichi, "", ""),
        ("IT", None, "Antonio Tajani", "Minister for Foreign Affairs"),
    ]
    assert [(t.language, t.kind, t.url, t.title) for t in agreement.texts.all()] == [
        ("en", "published", "https://www.mofa.go.jp/joint-statement-en.html", ""),
        ("ja", "authentic", JOINT, "日・イタリア共同声明"),
    ]
    kantei, joint = Source.objects.get(url=KANTEI), Source.objects.get(url=JOINT)
    assert (kantei.kind, kantei.issuer_id, joint.kind, joint.issuer_id) == ("official", "JP", "joint", None)
    assert Source.objects.get(url=MOFA).kind == "report", "a new source without a kind is a report"

    upgrade = Commitment.objects.get(topic="partnership-upgrade")
    assert (upgrade.agreement, upgrade.paragraph) == (agreement, "3")
    assert Commitment.objects.get(topic="defence-security").agreement is None

    assert report.tallies["agreements"].created == 1
    assert report.tallies["agreement events"].created == 3
    assert "created agreement 2026-01-16-it-jp-joint-statement (Japan–Italy Joint Statement)" in (
        report.change_lines()
    )


def test_a_new_agreement_without_events_is_signed_or_adopted_on_its_date_citing_its_first_source():
    treaty = agreement_data(kind="treaty", binding=True, events=None, status=None, signatories=None)

    report = run(document(agreements=[treaty]))

    event = Agreement.objects.get().events.get()
    assert (event.date, event.kind, event.source.url) == (datetime.date(2026, 1, 16), "signature", JOINT)
    assert Agreement.objects.get().status == "signed"
    assert report.tallies["agreement events"].created == 1
    assert not run(document(agreements=[treaty])).changed


def test_without_a_slug_an_agreement_gets_one_from_date_parties_and_kind_and_is_matched_by_it():
    data = agreement_data(slug=None)
    meetings = document()["meetings"]

    run(document(meetings, [data]))
    run(document(meetings, [data]))

    assert list(Agreement.objects.values_list("slug", flat=True)) == ["2026-01-16-it-jp-joint-statement"]


def test_an_agreement_may_name_the_agreements_it_supersedes_or_amends_in_the_file_or_recorded():
    recorded = make_agreement(slug="old-plan", date=datetime.date(2020, 1, 1))
    plan = agreement_data(
        slug="action-plan",
        kind="action-plan",
        date="2024-06-14",
        meeting=None,
        status=None,
        events=None,
        signatories=None,
        texts=None,
        supersedes=["old-plan"],
    )
    statement = agreement_data(supersedes=["action-plan"], amends=["action-plan", "old-plan"])

    run(document(agreements=[statement, plan]))

    statement = Agreement.objects.get(slug="2026-01-16-it-jp-joint-statement")
    assert list(statement.supersedes.values_list("slug", flat=True)) == ["action-plan"]
    assert sorted(statement.amends.values_list("slug", flat=True)) == ["action-plan", "old-plan"]
    assert list(Agreement.objects.get(slug="action-plan").supersedes.all()) == [recorded]


def test_a_signatory_may_be_given_as_the_leader_a_meeting_gives():
    takaichi = document()["meetings"][0]["leaders"][0]
    signatories = [{"country": "JP", "leader": takaichi}]

    run(document(agreements=[agreement_data(signatories=signatories)]))

    assert Signatory.objects.get().leader == Leader.objects.get(name="Takaichi Sanae")


def test_a_signatory_may_name_a_recorded_leader_by_slug():
    meloni = make_leader(name="Giorgia Meloni", slug="meloni", country=country("IT"), title="PM")

    run(document(agreements=[agreement_data(signatories=[{"country": "IT", "leader": "meloni"}])]))

    assert Signatory.objects.get().leader == meloni


# Version 1 ----------------------------------------------------------------------------------------


def test_a_version_1_file_is_still_read_and_leaves_what_it_cannot_say_as_recorded():
    agreement = make_agreement()
    official = make_source(url=MOFA, kind="official", issuer=country("JP"))
    meeting = meeting_data(slug="tokyo-summit")
    run(document([meeting], agreements=False, version=1))
    upgrade = Commitment.objects.get(topic="partnership-upgrade")
    Commitment.objects.filter(pk=upgrade.pk).update(agreement=agreement, paragraph="2")

    report = run(document([meeting], agreements=False, version=1))

    assert not report.changed
    assert "agreements" not in report.tallies
    upgrade.refresh_from_db()
    official.refresh_from_db()
    assert (upgrade.agreement, upgrade.paragraph) == (agreement, "2")
    assert (official.kind, official.issuer_id) == ("official", "JP")


def test_a_version_1_file_cannot_carry_what_version_2_adds():
    meeting = meeting_data()
    meeting["sources"][0]["kind"] = "joint"
    meeting["commitments"][0]["agreement"] = "x"

    assert problems(document([meeting], [], version=1)) == [
        "agreements: unknown field in bilateral-meetings/1 (version 2 adds it)",
        "meetings[0].commitments[0].agreement: unknown field in bilateral-meetings/1 (version 2 adds it)",
        "meetings[0].sources[0].kind: unknown field in bilateral-meetings/1 (version 2 adds it)",
    ]


def test_a_version_2_file_leaving_the_agreement_out_unlinks_the_commitment():
    run(document())
    data = document()
    del data["meetings"][0]["commitments"][0]["agreement"]

    run(data)

    upgrade = Commitment.objects.get(topic="partnership-upgrade")
    assert (upgrade.agreement, upgrade.paragraph) == (None, "3")


# Idempotence and updates -------------------------------------------------------------------------


def test_importing_the_same_version_2_file_again_changes_nothing():
    run(document())
    before = snapshot()

    report = run(document())

    assert not report.changed
    assert report.tallies["agreements"].unchanged == 1
    assert report.tallies["agreement events"].unchanged == 3
    assert snapshot() == before


def test_a_changed_agreement_is_updated_and_its_rows_become_the_files():
    run(document())
    agreement = Agreement.objects.get()
    data = agreement_data(
        title="A corrected title",
        sources=[{"url": KANTEI}],
        signatories=[{"country": "IT", "name": "Antonio Tajani", "office": "Deputy Prime Minister"}],
        texts=[{"language": "ja", "kind": "authentic", "url": JOINT, "title": "共同声明"}],
        events=[
            {"date": "2026-01-16", "kind": "adoption", "source": KANTEI},
            {"date": "2026-03-01", "kind": "entry-into-force", "source": KANTEI, "note": "In force."},
        ],
    )

    report = run(document(agreements=[data]))

    agreement.refresh_from_db()
    assert agreement.title == "A corrected title"
    assert [c.source.url for c in agreement.citations.all()] == [KANTEI]
    assert [(s.name, s.office) for s in agreement.signatories.all()] == [
        ("Antonio Tajani", "Deputy Prime Minister")
    ]
    assert [(t.url, t.title) for t in agreement.texts.all()] == [(JOINT, "共同声明")]
    # Events are matched by date, kind and party, and never deleted (as status changes).
    assert [(e.kind, e.source.url, e.note) for e in agreement.events.all()] == [
        ("adoption", KANTEI, ""),
        ("ratification", KANTEI, "Approved."),
        ("entry-into-force", KANTEI, "In force."),
    ]
    assert agreement.status == "in-force"
    change = next(change for change in report.changes if change.record == "agreement")
    assert change.fields == ["title", "sources", "signatories", "texts", "events"]


def test_a_recorded_sources_kind_and_issuer_change_when_the_file_gives_them_and_stay_when_it_does_not():
    run(document())
    data = document()
    data["agreements"][0]["sources"][1] = {"url": KANTEI}  # left out: kept
    run(data)
    assert Source.objects.filter(url=KANTEI, kind="official", issuer="JP").exists()

    data["agreements"][0]["sources"][1] = {"url": KANTEI, "kind": "joint"}
    run(data)
    assert Source.objects.filter(url=KANTEI, kind="joint", issuer=None).exists()


# Problems, each with its path ----------------------------------------------------------------------


def broken(change):
    data = document()
    change(data)
    return data


ACCOUNT = "one government's account names that government; other sources name none."

ERRORS = [
    (
        lambda d: d["agreements"][0]["texts"][1].update(language="english"),
        "agreements[0].texts[1].language: give a language code such as ja, it, en or pt-BR, not “english”.",
    ),
    (
        lambda d: d["agreements"][0].update(original_language="Japanese"),
        "agreements[0].original_language: give a language code such as ja, it, en or pt-BR, not “Japanese”.",
    ),
    (
        lambda d: d["agreements"][0]["events"][1].update(party="GB"),
        "agreements[0].events[1].party: the agreement's parties (IT, JP) do not include GB.",
    ),
    (
        lambda d: d["agreements"][0]["signatories"][1].update(country="FR"),
        "agreements[0].signatories[1].country: the agreement's parties (IT, JP) do not include FR.",
    ),
    (
        lambda d: d["agreements"][0].update(date="1799-12-31"),
        "agreements[0].date: an agreement cannot be dated before 1800.",
    ),
    (
        lambda d: d["agreements"][0]["sources"][1].pop("issuer"),
        f"agreements[0].sources[1].issuer: {ACCOUNT}",
    ),
    (
        lambda d: d["meetings"][0]["sources"][0].update(issuer="JP"),
        f"meetings[0].sources[0].issuer: {ACCOUNT}",
    ),
    (
        lambda d: d["agreements"][0]["sources"][0].update(issuer="JP"),
        f"agreements[0].sources[0].issuer: {ACCOUNT}",
    ),
    (
        lambda d: d["agreements"][0]["events"][2]["source"].update(kind="official"),
        f"agreements[0].events[2].source.issuer: {ACCOUNT}",
    ),
    (
        lambda d: d["meetings"][0]["sources"][0].update(kind="official", issuer="XX"),
        'meetings[0].sources[0].issuer: unknown country code "XX"',
    ),
    (
        lambda d: d["meetings"][0]["sources"][0].update(kind="rumour"),
        'meetings[0].sources[0].kind: unknown kind "rumour" (expected one of: report, official, joint)',
    ),
    (
        lambda d: d["meetings"][0]["commitments"][0].update(agreement="no-such-agreement"),
        'meetings[0].commitments[0].agreement: "no-such-agreement" is not an agreement given in the file '
        "or already recorded",
    ),
    (
        lambda d: d["agreements"][0].update(status="signed"),
        'agreements[0].status: "signed" disagrees with the latest event that changes it '
        '(2026-03-01: "entry-into-force", which gives "in-force")',
    ),
    (
        lambda d: d["agreements"][0].update(events=None),
        'agreements[0].status: "in-force" is what an event says: give the dated, sourced event that shows it',
    ),
    (
        lambda d: d["agreements"][0].update(parties=["JP"]),
        "agreements[0].parties: an agreement has at least two parties.",
    ),
    (
        lambda d: d["agreements"][0].update(parties=["JP", "jp"]),
        "agreements[0].parties: an agreement has at least two parties.",
    ),
    (
        lambda d: d["agreements"][0].update(parties=["JP", "XX"]),
        'agreements[0].parties[1]: unknown country code "XX"',
    ),
    (
        lambda d: d["agreements"][0]["signatories"][0].update(country="IT"),
        'agreements[0].signatories[0].leader: the leader speaks for another country ("Takaichi Sanae" is '
        "a leader of JP)",
    ),
    (
        lambda d: d["agreements"][0]["signatories"][0].update(leader="nobody"),
        'agreements[0].signatories[0].leader: "nobody" is not a leader given in the file or already recorded',
    ),
    (
        lambda d: d["agreements"][0]["signatories"][0].update(name="Sanae Takaichi"),
        "agreements[0].signatories[0]: choose a leader of the record or type a name, not both.",
    ),
    (
        lambda d: d["agreements"][0]["signatories"][1].pop("name"),
        "agreements[0].signatories[1]: choose a leader of the record or type a name, not both.",
    ),
    (
        lambda d: d["agreements"][0]["events"][0].update(date="2026-01-15"),
        "agreements[0].events[0].date: an entry cannot be dated before the agreement was signed or adopted "
        "(2026-01-16).",
    ),
    (
        lambda d: d["agreements"][0]["events"][1].update(source="https://unknown.example.org/"),
        'agreements[0].events[1].source: "https://unknown.example.org/" is not a source given in the file '
        "or already recorded",
    ),
    (
        lambda d: d["agreements"][0]["events"].append(copy.deepcopy(d["agreements"][0]["events"][1])),
        "agreements[0].events[3]: the same date, kind and party as agreements[0].events[1]",
    ),
    (
        lambda d: d["agreements"][0]["events"][1].update(kind="rumour"),
        'agreements[0].events[1].kind: unknown kind "rumour" (expected one of: signature, adoption, '
        "ratification, notification, entry-into-force, amendment, termination, supersession)",
    ),
    (
        lambda d: d["agreements"][0].update(original_language=""),
        "agreements[0].original_language: give the original title's language.",
    ),
    (
        lambda d: d["agreements"][0].update(meeting="no-such-meeting"),
        'agreements[0].meeting: "no-such-meeting" is not a meeting given in the file or already recorded',
    ),
    (
        lambda d: d["agreements"][0].update(supersedes=["2026-01-16-it-jp-joint-statement"]),
        "agreements[0].supersedes[0]: an agreement cannot supersede or amend itself.",
    ),
    (
        lambda d: d["agreements"][0].update(amends=["nothing"]),
        'agreements[0].amends[0]: "nothing" is not an agreement given in the file or already recorded',
    ),
    (
        lambda d: d["agreements"].append(agreement_data(title="Again")),
        'agreements[1].slug: "2026-01-16-it-jp-joint-statement" is also the slug of agreements[0]',
    ),
    (
        lambda d: d["agreements"][0]["texts"].append({"language": "it", "url": JOINT}),
        f'agreements[0].texts[2].url: "{JOINT}" is listed twice (also at agreements[0].texts[0].url)',
    ),
    (lambda d: d["agreements"][0].pop("binding"), "agreements[0].binding: required field missing"),
    (lambda d: d["agreements"][0].update(colour="red"), "agreements[0].colour: unknown field"),
    (
        lambda d: d["agreements"][0]["signatories"][0].update(role="x"),
        "agreements[0].signatories[0].role: unknown field",
    ),
]


@pytest.mark.parametrize(("change", "message"), ERRORS, ids=[message for _, message in ERRORS])
def test_each_problem_names_the_record_and_field(change, message):
    before = snapshot()

    assert message in problems(broken(change))
    assert snapshot() == before


def test_on_one_day_an_entry_into_force_listed_before_the_signature_still_gives_in_force():
    events = [
        {"date": "2026-01-16", "kind": "entry-into-force", "source": JOINT},
        {"date": "2026-01-16", "kind": "adoption", "source": JOINT},
    ]
    data = document(agreements=[agreement_data(events=events)])
    run(data)
    assert Agreement.objects.get(slug="2026-01-16-it-jp-joint-statement").status == "in-force"


def test_two_agreements_without_a_slug_that_build_the_same_one_are_a_problem():
    data = document(agreements=[agreement_data(slug=None), agreement_data(slug=None, title="Other")])

    assert problems(data) == [
        "agreements[1]: the same date, parties and kind as agreements[0] (slug "
        '"2026-01-16-it-jp-joint-statement"); give each a slug to record them as separate agreements'
    ]


def test_a_problem_shown_names_its_agreement_by_date_and_title():
    data = document(agreements=[agreement_data(parties=["JP"])])

    with pytest.raises(ImportFailed) as failure:
        run(data)

    assert failure.value.lines() == [
        "agreements[0].parties (2026-01-16 Japan–Italy Joint Statement): "
        "an agreement has at least two parties."
    ]


def test_the_signatorys_leader_is_checked_against_a_recorded_leader_too():
    make_leader(name="Giorgia Meloni", slug="meloni", country=country("IT"), title="PM")

    found = problems(
        document(agreements=[agreement_data(signatories=[{"country": "JP", "leader": "meloni"}])])
    )

    assert found == [
        'agreements[0].signatories[0].leader: the leader speaks for another country ("Giorgia Meloni" is '
        "a leader of IT)"
    ]


def test_a_commitment_may_name_a_recorded_agreement():
    agreement = make_agreement(slug="recorded")
    data = document(agreements=False)
    data["meetings"][0]["commitments"][0]["agreement"] = "recorded"

    run(data)

    assert Commitment.objects.get(topic="partnership-upgrade").agreement == agreement


# The admin's import page ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "missing",
    ["add_agreement", "change_agreement", "add_agreementevent", "add_signatory", "change_agreementtext"],
)
def test_staff_without_the_agreement_permissions_are_refused(client, editor, missing):
    editor.groups.clear()
    from agreements.admin_import import PERMISSIONS

    granted = [
        permission.split(".")[1] for permission in PERMISSIONS if not permission.endswith(f".{missing}")
    ]
    editor.user_permissions.add(*Permission.objects.filter(codename__in=granted))
    client.force_login(editor)

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"file": upload(document())}).status_code == 403
    assert not Agreement.objects.exists()


def test_an_editor_imports_agreements_and_the_history_records_them(editor_client, editor):
    from django.contrib.admin.models import ADDITION, CHANGE

    def confirm(data):
        return confirm_import(editor_client, data)

    assert confirm(document()).status_code == 302
    agreement = Agreement.objects.get()
    written = [
        agreement,
        *AgreementEvent.objects.all(),
        *AgreementCitation.objects.all(),
        *Signatory.objects.all(),
        *AgreementText.objects.all(),
    ]
    assert all(log_entries(obj, ADDITION).get().user == editor for obj in written)

    assert confirm(document(agreements=[agreement_data(place="Rome")])).status_code == 302
    assert log_entries(agreement, CHANGE).get().change_message == "Imported from meetings.json: place."


def test_an_editor_may_not_remove_signatories_through_an_import(editor_client):
    run(document())
    data = agreement_data()
    data["signatories"].pop()

    response = editor_client.post(URL, {"file": upload(document(agreements=[data]))})

    assert "it removes 1 signatories, which you may not delete" in response.content.decode()
    assert Signatory.objects.count() == 2


def test_a_bulk_import_of_agreements_takes_a_few_queries_whatever_its_size(django_assert_max_num_queries):
    def agreements(count):
        return [
            agreement_data(
                slug=f"agreement-{n}" if n else "2026-01-16-it-jp-joint-statement",
                date=(datetime.date(2020, 1, 1) + datetime.timedelta(days=n)).isoformat(),
                meeting=None,
                events=[
                    {
                        "date": (datetime.date(2020, 1, 1) + datetime.timedelta(days=n)).isoformat(),
                        "kind": "adoption",
                        "source": KANTEI,
                    },
                    {"date": "2026-03-01", "kind": "entry-into-force", "source": KANTEI},
                ],
            )
            for n in range(count)
        ]

    with django_assert_max_num_queries(70):  # 58 on SQLite, for 5 agreements as for 200
        run(document(agreements=agreements(200)))
    with django_assert_max_num_queries(50):
        assert not run(document(agreements=agreements(200))).changed
