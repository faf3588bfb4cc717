"""`bilateral-meetings/3`: history entries for one party and reviews, the agreement that fulfils a
commitment, and links to earlier commitments; files of versions 1 and 2 still read as before."""

import copy
import datetime
import json

import pytest
from django.contrib.auth.models import Permission

from agreements.importer import import_files
from agreements.models import Agreement, Commitment, CommitmentLink, StatusChange
from tests.factories import make_commitment, make_meeting
from tests.test_admin_import import URL, confirm_import, log_entries, upload
from tests.test_export_meetings import empty_the_record, export
from tests.test_import import meeting_data
from tests.test_import_agreements import JOINT, agreement_data, problems, run

pytestmark = pytest.mark.django_db

GCAP = "https://news.example.org/gcap"
ESTERI = "https://www.esteri.it/rome-talks"
STRATEGIC = "Raise relations to a strategic partnership"
SPECIAL = "Raise the relationship to a special strategic partnership"
ACSA = "Start negotiations on an Acquisition and Cross-Servicing Agreement"
STATEMENT = "2026-01-16-it-jp-joint-statement"
ROME = "2023-01-10-it-jp-rome"
DAY = datetime.date


def rome_data():
    """The 2023 Rome talks: a strategic partnership, and negotiations the 2026 statement fulfils."""
    return meeting_data(
        slug=ROME,
        date="2023-01-10",
        city="Rome",
        venue="Palazzo Chigi",
        host="IT",
        title="Rome talks",
        leaders=[],
        sources=[{"url": ESTERI, "publisher": "Farnesina"}],
        commitments=[
            {
                "topic": "partnership-upgrade",
                "summary": STRATEGIC,
                "level_to": "strategic partnership",
                "sources": [{"url": ESTERI}],
            },
            {
                "topic": "defence-security",
                "summary": ACSA,
                "status": "fulfilled",
                "fulfilled_by": STATEMENT,
                "sources": [{"url": ESTERI}],
                "history": [
                    {"date": "2023-01-10", "status": "announced", "source": ESTERI},
                    {"date": "2026-01-16", "status": "fulfilled", "note": "Signed.", "source": JOINT},
                ],
            },
        ],
    )


def tokyo_data():
    """The 2026 Tokyo summit: the upgrade supersedes the Rome one; GCAP is followed party by party."""
    tokyo = meeting_data(slug="tokyo-summit")
    upgrade, gcap = tokyo["commitments"]
    upgrade["links"] = [
        {
            "kind": "supersedes",
            "meeting": ROME,
            "topic": "partnership-upgrade",
            "summary": STRATEGIC,
            "note": "The special strategic partnership replaces the strategic one.",
        }
    ]
    gcap["parties"] = ["GB", "IT", "JP"]
    gcap["history"] = [
        {"date": "2026-02-01", "status": "in-progress", "note": "Work began.", "source": GCAP},
        {"date": "2026-03-01", "status": "fulfilled", "party": "IT", "note": "Italy's part.", "source": GCAP},
        {"date": "2026-04-01", "status": "fulfilled", "party": "IT", "review": True, "source": GCAP},
        {"date": "2026-05-01", "status": "in-progress", "review": True, "source": GCAP},
    ]
    return tokyo


def document(meetings=None, agreements=None, version=3):
    data = {
        "format": f"bilateral-meetings/{version}",
        "meetings": meetings if meetings is not None else [rome_data(), tokyo_data()],
    }
    if version > 1 or agreements is not None:
        data["agreements"] = agreements if agreements is not None else [agreement_data()]
    return data


def commitment(summary):
    return Commitment.objects.get(summary=summary)


def snapshot():
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Commitment, CommitmentLink, StatusChange, Agreement, Commitment.parties.through)
    }


# What a version 3 file records ---------------------------------------------------------------------


def test_a_version_3_file_records_party_entries_reviews_links_and_the_agreement_that_fulfils():
    report = run(document())

    gcap = commitment("Develop the GCAP fighter together")
    assert [(e.date, e.status, e.party_id, e.review, e.note) for e in gcap.history.all()] == [
        (DAY(2026, 2, 1), "in-progress", None, False, "Work began."),
        (DAY(2026, 3, 1), "fulfilled", "IT", False, "Italy's part."),
        (DAY(2026, 4, 1), "fulfilled", "IT", True, ""),
        (DAY(2026, 5, 1), "in-progress", None, True, ""),
    ]
    assert (gcap.status, gcap.reviewed_on) == ("in-progress", DAY(2026, 5, 1)), "kept by the database"
    assert StatusChange.party_statuses(
        [(e.date, e.id, e.status, e.party_id) for e in gcap.history.all()]
    ) == {"IT": "in-progress"}, "the shared review of May speaks for every party again"

    upgrade, strategic = commitment(SPECIAL), commitment(STRATEGIC)
    link = upgrade.links.get()
    assert (link.kind, link.earlier, link.note) == (
        "supersedes",
        strategic,
        "The special strategic partnership replaces the strategic one.",
    )
    assert strategic.superseded and not upgrade.superseded, "kept by the database"

    acsa = commitment(ACSA)
    assert (acsa.fulfilled_by.slug, acsa.status) == (STATEMENT, "fulfilled")
    assert report.tallies["commitments"].created == 4
    assert report.tallies["status changes"].created == 8  # the upgrades' "announced" too


def test_importing_the_same_version_3_file_again_changes_nothing():
    run(document())
    before = snapshot()

    report = run(document())

    assert not report.changed
    assert snapshot() == before
    assert report.tallies["commitments"].unchanged == 4
    assert report.tallies["status changes"].unchanged == 6


def test_export_import_export_with_follow_through_gives_the_same_document():
    run(document())
    first = export()
    assert '"format": "bilateral-meetings/3"' in first
    empty_the_record()

    import_report = run_text(first)

    assert import_report.tallies["commitments"].created == 4
    assert export() == first
    assert not run_text(first).changed


def run_text(text):
    return import_files([("export.json", text)])


def test_the_export_writes_what_version_3_adds():
    run(document())

    rome, tokyo = json_export()["meetings"]
    acsa = next(c for c in rome["commitments"] if c["summary"] == ACSA)
    assert acsa["fulfilled_by"] == STATEMENT
    upgrade, gcap = tokyo["commitments"]
    assert upgrade["links"] == tokyo_data()["commitments"][0]["links"]
    assert gcap["history"][1:] == [
        {"date": "2026-03-01", "status": "fulfilled", "party": "IT", "note": "Italy's part.", "source": GCAP},
        {"date": "2026-04-01", "status": "fulfilled", "party": "IT", "review": True, "source": GCAP},
        {"date": "2026-05-01", "status": "in-progress", "review": True, "source": GCAP},
    ]
    assert "links" not in gcap and "fulfilled_by" not in gcap


def test_an_export_holds_the_agreement_that_fulfils_one_of_its_commitments():
    run(document())

    assert [a["slug"] for a in json_export("--country", "IT", "--since", "2023-01-01")["agreements"]] == [
        STATEMENT
    ]
    assert [a["slug"] for a in json_export("--topic", "defence-security")["agreements"]] == [STATEMENT]


def json_export(*args):
    return json.loads(export(*args))


def test_a_link_may_name_a_recorded_commitment_not_in_the_file():
    run(document())
    tokyo = tokyo_data()
    tokyo["commitments"][1]["links"] = [
        {"kind": "extends", "meeting": ROME, "topic": "defence-security", "summary": ACSA}
    ]

    run(document([tokyo]))

    assert commitment("Develop the GCAP fighter together").links.get().earlier == commitment(ACSA)


def test_the_files_links_replace_the_recorded_ones_and_are_updated_in_place():
    run(document())
    link = CommitmentLink.objects.get()
    tokyo = tokyo_data()
    tokyo["commitments"][0]["links"][0].update(kind="reaffirms", note=None)

    report = run(document([rome_data(), tokyo]))

    assert CommitmentLink.objects.get().pk == link.pk
    assert CommitmentLink.objects.values_list("kind", "note").get() == ("reaffirms", "")
    assert not commitment(STRATEGIC).superseded
    assert report.tallies["commitments"].updated == 1

    del tokyo["commitments"][0]["links"]
    run(document([rome_data(), tokyo]))
    assert not CommitmentLink.objects.exists()


def test_a_version_3_file_leaving_fulfilled_by_out_clears_it():
    run(document())
    rome = rome_data()
    del rome["commitments"][1]["fulfilled_by"]

    run(document([rome, tokyo_data()]))

    assert commitment(ACSA).fulfilled_by is None


def test_a_changed_review_flag_updates_the_entry():
    run(document())
    tokyo = tokyo_data()
    tokyo["commitments"][1]["history"][1]["review"] = False  # was already False: unchanged
    tokyo["commitments"][1]["history"][3]["review"] = False  # a change to in-progress again, not a review

    report = run(document([rome_data(), tokyo]))

    entry = StatusChange.objects.get(date=DAY(2026, 5, 1))
    assert not entry.review
    assert (report.tallies["status changes"].updated, report.tallies["status changes"].unchanged) == (1, 5)


# Versions 1 and 2 ---------------------------------------------------------------------------------


def older(version, meetings=None):
    """The document in an earlier version: without what version 3 adds (links, the agreement that
    fulfils, entries for one party, reviews), and for version 1 without agreements."""
    data = document(copy.deepcopy(meetings) if meetings else None, version=version)
    for meeting in data["meetings"]:
        for item in meeting["commitments"]:
            item.pop("links", None)
            item.pop("fulfilled_by", None)
            history = [entry for entry in item.get("history") or [] if not entry.get("party")]
            item["history"] = [{key: value for key, value in e.items() if key != "review"} for e in history]
    return data


@pytest.mark.parametrize("version", [1, 2])
def test_an_earlier_version_leaves_what_it_cannot_say_as_recorded(version):
    run(document())
    before = snapshot()

    assert not run(older(version)).changed

    assert snapshot() == before
    assert commitment(ACSA).fulfilled_by.slug == STATEMENT
    assert CommitmentLink.objects.count() == 1
    assert StatusChange.objects.filter(review=True).count() == 2
    assert StatusChange.objects.filter(party__isnull=False).count() == 2


@pytest.mark.parametrize("version", [1, 2])
def test_an_earlier_version_still_imports_into_an_empty_record(version):
    rome = rome_data()
    rome["commitments"][1]["history"][1]["source"] = ESTERI  # version 1 gives no agreements to cite

    report = run(older(version, [rome, tokyo_data()]))

    assert report.tallies["commitments"].created == 4
    assert not CommitmentLink.objects.exists()
    assert not StatusChange.objects.filter(review=True).exists()
    assert not run(older(version, [rome, tokyo_data()])).changed


@pytest.mark.parametrize("version", [1, 2])
def test_an_earlier_version_cannot_carry_what_version_3_adds(version):
    found = problems(document(agreements=[], version=version))

    added = f"unknown field in bilateral-meetings/{version} (version 3 adds it)"
    assert [problem for problem in found if "version 3" in problem] == [
        f"meetings[0].commitments[1].fulfilled_by: {added}",
        f"meetings[1].commitments[0].links: {added}",
        f"meetings[1].commitments[1].history[1].party: {added}",
        f"meetings[1].commitments[1].history[2].party: {added}",
        f"meetings[1].commitments[1].history[2].review: {added}",
        f"meetings[1].commitments[1].history[3].review: {added}",
    ]
    if version == 1:
        assert "agreements: unknown field in bilateral-meetings/1 (version 2 adds it)" in found


# Problems, each with its path -------------------------------------------------------------------


def broken(change):
    data = document()
    change(data["meetings"][0], data["meetings"][1])
    return data


def gcap_history(tokyo):
    return tokyo["commitments"][1]["history"]


def link_to(**fields):
    return {
        "kind": "reaffirms",
        "meeting": ROME,
        "topic": "partnership-upgrade",
        "summary": STRATEGIC,
        **fields,
    }


LATER = "link to a commitment agreed before this one ({}); that one was agreed on {}."

ERRORS = [
    (
        lambda rome, tokyo: gcap_history(tokyo)[1].update(party="FR"),
        "meetings[1].commitments[1].history[1].party: the commitment's parties (GB, IT, JP) do not "
        "include FR.",
    ),
    (
        lambda rome, tokyo: gcap_history(tokyo)[1].update(party="XX"),
        'meetings[1].commitments[1].history[1].party: unknown country code "XX"',
    ),
    (
        lambda rome, tokyo: gcap_history(tokyo)[3].update(status="fulfilled"),
        "meetings[1].commitments[1].history[3].review: a review finds no change: its status is the one in "
        "effect before it (In progress).",
    ),
    (
        lambda rome, tokyo: gcap_history(tokyo)[2].update(status="lapsed"),
        "meetings[1].commitments[1].history[2].review: a review finds no change: its status is the one in "
        "effect before it (Fulfilled).",
    ),
    (
        lambda rome, tokyo: gcap_history(tokyo)[0].update(review=True),
        "meetings[1].commitments[1].history[0].review: a review restates a status: the history needs an "
        "entry before it.",
    ),
    (
        lambda rome, tokyo: tokyo["commitments"][1].update(status="fulfilled"),
        'meetings[1].commitments[1].status: "fulfilled" disagrees with the latest history entry for all '
        'parties (2026-05-01: "in-progress")',
    ),
    (
        lambda rome, tokyo: gcap_history(tokyo).append({**gcap_history(tokyo)[1], "note": "Again."}),
        "meetings[1].commitments[1].history[4]: the same date, status and party as "
        "meetings[1].commitments[1].history[1]",
    ),
    (
        lambda rome, tokyo: rome["commitments"][0].update(
            links=[
                link_to(
                    meeting="tokyo-summit",
                    topic="defence-security",
                    summary=tokyo["commitments"][1]["summary"],
                )
            ]
        ),
        "meetings[0].commitments[0].links[0]: " + LATER.format("2023-01-10", "2026-01-16"),
    ),
    (
        lambda rome, tokyo: tokyo["commitments"][1].update(
            links=[link_to(meeting="tokyo-summit", summary=SPECIAL)]
        ),
        "meetings[1].commitments[1].links[0]: " + LATER.format("2026-01-16", "2026-01-16"),
    ),
    (
        lambda rome, tokyo: tokyo["commitments"][0].update(
            links=[link_to(meeting="tokyo-summit", summary=SPECIAL)]
        ),
        "meetings[1].commitments[0].links[0]: a commitment cannot be linked to itself.",
    ),
    (
        lambda rome, tokyo: tokyo["commitments"][0]["links"][0].update(summary="Raise relations"),
        'meetings[1].commitments[0].links[0]: "Raise relations" (partnership-upgrade, at meeting '
        '"2023-01-10-it-jp-rome") is not a commitment given in the file or already recorded',
    ),
    (
        lambda rome, tokyo: tokyo["commitments"][0]["links"][0].update(meeting="2023-01-10-rome"),
        f'meetings[1].commitments[0].links[0]: "{STRATEGIC}" (partnership-upgrade, at meeting '
        '"2023-01-10-rome") is not a commitment given in the file or already recorded',
    ),
    (
        lambda rome, tokyo: tokyo["commitments"][0]["links"].append(link_to(kind="extends")),
        "meetings[1].commitments[0].links[1]: the same commitment as meetings[1].commitments[0].links[0]: "
        "link to it once",
    ),
    (
        lambda rome, tokyo: tokyo["commitments"][0]["links"][0].update(kind="replaces"),
        'meetings[1].commitments[0].links[0].kind: unknown kind "replaces" (expected one of: reaffirms, '
        "extends, supersedes, fulfils)",
    ),
    (
        lambda rome, tokyo: tokyo["commitments"][0]["links"][0].pop("summary"),
        "meetings[1].commitments[0].links[0].summary: required field missing",
    ),
    (
        lambda rome, tokyo: tokyo["commitments"][0]["links"][0].update(colour="red"),
        "meetings[1].commitments[0].links[0].colour: unknown field",
    ),
    (
        lambda rome, tokyo: rome["commitments"][1].update(fulfilled_by="no-such-agreement"),
        'meetings[0].commitments[1].fulfilled_by: "no-such-agreement" is not an agreement given in the '
        "file or already recorded",
    ),
]


@pytest.mark.parametrize(("change", "message"), ERRORS, ids=[message for _, message in ERRORS])
def test_each_problem_names_the_record_and_field(change, message):
    before = snapshot()

    assert message in problems(broken(change))
    assert snapshot() == before


def test_a_link_to_a_recorded_commitment_agreed_later_is_a_problem():
    later = make_commitment(meeting=make_meeting(slug="osaka", date=DAY(2026, 6, 1)), summary="Later")
    tokyo = tokyo_data()
    tokyo["commitments"][0]["links"] = [
        {"kind": "extends", "meeting": "osaka", "topic": later.topic_id, "summary": "Later"}
    ]

    assert problems(document([tokyo], [])) == [
        "meetings[0].commitments[0].links[0]: " + LATER.format("2026-01-16", "2026-06-01")
    ]


def test_a_new_entry_before_a_recorded_review_that_it_would_contradict_is_a_problem():
    run(document())
    tokyo = tokyo_data()
    # The review of May 1 is left out of the file (and kept in the record): it restates in-progress.
    gcap_history(tokyo)[3] = {"date": "2026-04-15", "status": "lapsed", "source": GCAP}

    assert problems(document([rome_data(), tokyo])) == [
        "meetings[1].commitments[1].history: the recorded entry of 2026-05-01 (in-progress): a review finds "
        "no change: its status is the one in effect before it (Lapsed).",
        'meetings[1].commitments[1].status: "in-progress" disagrees with the latest history entry for all '
        'parties (2026-04-15: "lapsed")',
    ]


def test_parties_that_leave_out_one_a_recorded_entry_concerns_are_a_problem():
    run(document())
    tokyo = tokyo_data()
    tokyo["commitments"][1]["parties"] = ["GB", "JP"]
    tokyo["commitments"][1]["history"] = gcap_history(tokyo)[:1]

    assert problems(document([rome_data(), tokyo])) == [
        "meetings[1].commitments[1].parties: the commitment's parties (GB, JP) do not include IT, which the "
        "recorded history entry of 2026-03-01 concerns",
        "meetings[1].commitments[1].parties: the commitment's parties (GB, JP) do not include IT, which the "
        "recorded history entry of 2026-04-01 concerns",
    ]


def test_a_status_for_one_party_only_is_not_the_commitments():
    tokyo = tokyo_data()
    gcap = tokyo["commitments"][1]
    gcap["history"] = [gcap_history(tokyo)[1]]

    assert problems(document([rome_data(), tokyo])) == [
        'meetings[1].commitments[1].status: "in-progress" is what a history entry for all parties says: '
        "give the dated, sourced entry that shows it"
    ]
    gcap["status"] = "announced"
    run(document([rome_data(), tokyo]))
    assert commitment(gcap["summary"]).status == "announced"


# The admin's import page ------------------------------------------------------------------------


def test_staff_without_the_link_permissions_are_refused(client, editor):
    from agreements.admin_import import PERMISSIONS

    editor.groups.clear()
    granted = [p.split(".")[1] for p in PERMISSIONS if p != "agreements.add_commitmentlink"]
    editor.user_permissions.add(*Permission.objects.filter(codename__in=granted))
    client.force_login(editor)

    assert "agreements.add_commitmentlink" in PERMISSIONS
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"file": upload(document())}).status_code == 403


def test_an_editor_imports_follow_through_and_the_history_records_it(editor_client, editor):
    from django.contrib.admin.models import ADDITION, CHANGE

    def confirm(data):
        return confirm_import(editor_client, data)

    assert confirm(document()).status_code == 302
    written = [*CommitmentLink.objects.all(), *StatusChange.objects.filter(party__isnull=False)]
    assert written and all(log_entries(obj, ADDITION).get().user == editor for obj in written)

    tokyo = tokyo_data()
    tokyo["commitments"][0]["links"][0]["note"] = "A new note."
    assert confirm(document([rome_data(), tokyo])).status_code == 302
    assert (
        log_entries(CommitmentLink.objects.get(), CHANGE).get().change_message
        == "Imported from meetings.json."
    )


def test_an_editor_may_not_remove_links_through_an_import(editor_client):
    run(document())
    tokyo = tokyo_data()
    del tokyo["commitments"][0]["links"]

    response = editor_client.post(URL, {"file": upload(document([rome_data(), tokyo]))})

    assert "it removes 1 commitment links, which you may not delete" in response.content.decode()
    assert CommitmentLink.objects.count() == 1


# Bulk ---------------------------------------------------------------------------------------------


def test_a_bulk_import_of_threads_takes_a_few_queries_whatever_its_size(django_assert_max_num_queries):
    def meetings(count):
        result = []
        for n in range(count):
            day = (DAY(2020, 1, 1) + datetime.timedelta(days=n)).isoformat()
            meeting = meeting_data(slug=f"meeting-{n}", date=day, title=f"M{n}", leaders=[])
            meeting["sources"] = [{"url": f"https://news.example.org/{n}"}]
            upgrade, gcap = meeting["commitments"]
            upgrade["sources"] = [{"url": f"https://news.example.org/{n}"}]
            if n:
                upgrade["links"] = [
                    link_to(kind="extends", meeting=f"meeting-{n - 1}", summary=upgrade["summary"])
                ]
            gcap["status"] = "in-progress"
            gcap["history"] = [
                {"date": day, "status": "in-progress", "source": GCAP},
                {"date": "2026-03-01", "status": "fulfilled", "party": "IT", "source": GCAP},
                {"date": "2026-04-01", "status": "in-progress", "review": True, "source": GCAP},
            ]
            result.append(meeting)
        return result

    with django_assert_max_num_queries(30):  # 23, for 5 meetings as for 200
        report = run(document(meetings(200), []))
    assert report.tallies["commitments"].created == 400
    assert CommitmentLink.objects.count() == 199
    with django_assert_max_num_queries(20):  # 14
        assert not run(document(meetings(200), [])).changed
