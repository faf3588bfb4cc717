"""Agreements as records: their rules both ways, a status from dated events, the admin, the pages."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from agreements.models import (
    Agreement,
    AgreementEvent,
    Signatory,
    Source,
    SourceKind,
    validate_language_code,
)

from .factories import country, make_agreement, make_commitment, make_leader, make_source, make_text
from .test_constraints import assert_refused

pytestmark = pytest.mark.django_db

JOINT_STATEMENT = "/agreements/2026-01-16-it-jp-joint-statement/"
TOKYO_SUMMIT = "/meetings/2026-01-16-it-jp-tokyo/"


def event(agreement, kind, date, **fields):
    return AgreementEvent.objects.create(
        agreement=agreement, kind=kind, date=date, source=make_source(), **fields
    )


def status_of(agreement):
    return Agreement.objects.get(pk=agreement.pk).status


# Rules, at the model and in the database ---------------------------------------------------------


class TestSource:
    def test_one_government_s_account_names_the_government(self):
        assert_refused(Source(url="https://gov.example.org/1", kind=SourceKind.OFFICIAL))

    def test_a_report_names_no_government(self):
        assert_refused(Source(url="https://news.example.org/1", kind=SourceKind.REPORT, issuer=country("JP")))

    def test_a_joint_document_names_no_single_government(self):
        assert_refused(Source(url="https://gov.example.org/2", kind=SourceKind.JOINT, issuer=country("JP")))

    def test_the_kind_must_be_known(self):
        assert_refused(Source(url="https://news.example.org/2", kind="rumour"), "kind")

    def test_an_account_is_labelled_by_whose_it_is(self):
        japan = Source(url="https://gov.example.org/3", kind=SourceKind.OFFICIAL, issuer=country("JP"))
        assert japan.account_label == "Japan's account"
        assert Source(url="https://x.example.org/", kind=SourceKind.JOINT).account_label == "Joint document"


class TestAgreement:
    def agreement(self, **fields):
        values = {
            "slug": "a",
            "kind": "treaty",
            "title": "A treaty",
            "binding": True,
            "date": datetime.date(2024, 1, 1),
        }
        values.update(fields)
        return Agreement(**values)

    def test_the_kind_must_be_known(self):
        assert_refused(self.agreement(kind="handshake"), "kind")

    def test_an_original_title_says_its_language(self):
        assert_refused(self.agreement(original_title="日・イタリア共同声明"))

    def test_the_slug_is_unique(self):
        make_agreement(slug="taken")
        assert_refused(self.agreement(slug="taken"), "slug")

    def test_parties_are_two_or_more(self):
        assert Agreement.parties_problem(["JP"]) == "An agreement has at least two parties."
        assert Agreement.parties_problem(["JP", "JP"]) == "An agreement has at least two parties."
        assert Agreement.parties_problem(["GB", "IT", "JP"]) == ""

    def test_slugs_are_built_from_date_parties_and_kind(self):
        assert Agreement.build_slug(datetime.date(2024, 11, 25), ["JP", "IT"], "agreement") == (
            "2024-11-25-it-jp-agreement"
        )

    def test_a_meeting_with_an_agreement_is_not_deleted_with_it_unseen(self):
        from django.db.models import ProtectedError

        agreement = make_agreement(meeting=make_commitment().meeting)
        with pytest.raises(ProtectedError):
            agreement.meeting.delete()


class TestSignatory:
    def test_is_a_leader_or_a_named_official_not_both(self):
        agreement = make_agreement()
        leader = make_leader(country=country("JP"))
        assert_refused(Signatory(agreement=agreement, country=country("JP"), leader=leader, name="Someone"))
        assert_refused(Signatory(agreement=agreement, country=country("JP")))

    def test_a_leader_signs_for_their_own_country(self):
        signatory = Signatory(agreement=make_agreement(), country=country("IT"), leader=make_leader())
        with pytest.raises(ValidationError) as excinfo:
            signatory.full_clean()
        assert "leader" in excinfo.value.message_dict

    def test_an_official_keeps_the_office_held_when_signing(self):
        signatory = Signatory(agreement=make_agreement(), country=country("IT"), name="Guido Crosetto")
        signatory.office = "Minister of Defence"
        signatory.full_clean()
        assert (signatory.display_name, signatory.display_office) == ("Guido Crosetto", "Minister of Defence")


class TestText:
    def test_a_text_is_listed_once_per_agreement(self):
        text = make_text()
        assert_refused(type(text)(agreement=text.agreement, language="en", url=text.url), None)


class TestLanguageCodes:
    @pytest.mark.parametrize("code", ["ja", "it", "en", "pt-BR", "zh-Hant", "ita"])
    def test_a_bcp_47_tag_of_an_iso_639_language_is_accepted(self, code):
        validate_language_code(code)

    @pytest.mark.parametrize("code", ["japanese", "xx", "j", "ja_JP", "ja-", "-ja", "ja jp"])
    def test_anything_else_is_refused_with_an_example(self, code):
        with pytest.raises(ValidationError, match="Give a language code such as ja, it, en or pt-BR"):
            validate_language_code(code)

    def test_texts_and_original_titles_are_checked(self):
        text = make_text(language="japanese")
        with pytest.raises(ValidationError) as refused:
            text.full_clean()
        assert list(refused.value.message_dict) == ["language"]
        agreement = make_agreement(original_title="日・イタリア共同声明", original_language="Japanese")
        with pytest.raises(ValidationError) as refused:
            agreement.full_clean()
        assert list(refused.value.message_dict) == ["original_language"]

    def test_a_text_is_named_by_its_language_and_its_title_marked_as_in_it(self, client):
        agreement = make_agreement()
        make_text(agreement, language="ja", title="日・イタリア共同声明")
        page = client.get(agreement.get_absolute_url()).content.decode()
        assert 'lang="ja">日・イタリア共同声明</a> <span class="sub">Japanese · ' in page


# Status from events ------------------------------------------------------------------------------


class TestStatus:
    def test_a_new_agreement_is_signed_with_its_first_event_citing_its_first_source(self):
        first, second = make_source(), make_source()
        agreement = make_agreement(binding=True, kind="treaty", sources=[first, second])
        assert [(e.date, e.kind, e.source) for e in agreement.events.all()] == [
            (agreement.date, "signature", first)
        ]
        assert status_of(agreement) == "signed"
        assert Agreement.objects.filter(pk=agreement.pk).complete() == []

    def test_a_non_binding_text_is_adopted(self):
        assert make_agreement(binding=False).events.get().kind == "adoption"

    def test_the_status_follows_the_latest_event_that_changes_it(self):
        agreement = make_agreement(binding=True, kind="treaty", date=datetime.date(2020, 1, 1))
        event(agreement, "ratification", datetime.date(2020, 6, 1), party=country("JP"))
        assert status_of(agreement) == "signed"
        event(agreement, "entry-into-force", datetime.date(2021, 1, 1))
        assert status_of(agreement) == "in-force"
        ending = event(agreement, "termination", datetime.date(2024, 1, 1))
        event(agreement, "amendment", datetime.date(2025, 1, 1))
        assert status_of(agreement) == "terminated"
        ending.delete()
        assert status_of(agreement) == "in-force"
        ending = AgreementEvent.objects.get(kind="entry-into-force", agreement=agreement)
        ending.kind = "supersession"
        ending.save()
        assert status_of(agreement) == "superseded"

    def test_the_database_refuses_a_status_its_events_do_not_give(self):
        agreement = make_agreement()
        for status in ("in-force", "expired"):
            with pytest.raises(IntegrityError), transaction.atomic():
                Agreement.objects.filter(pk=agreement.pk).update(status=status)
        assert status_of(agreement) == "signed"

    def test_saving_an_agreement_never_writes_its_status(self):
        agreement = make_agreement(date=datetime.date(2020, 1, 1))
        event(agreement, "entry-into-force", datetime.date(2021, 1, 1))
        agreement.title = "Renamed"  # `agreement.status` is still the "signed" it was loaded with
        agreement.save()
        assert (status_of(agreement), Agreement.objects.get(pk=agreement.pk).title) == ("in-force", "Renamed")

    def test_on_one_day_entry_into_force_follows_signature_whatever_was_typed_first(self):
        agreement = make_agreement(binding=True, kind="agreement", date=datetime.date(2020, 1, 1), sources=[])
        AgreementEvent.objects.filter(agreement=agreement).delete()
        event(agreement, "entry-into-force", agreement.date)
        event(agreement, "signature", agreement.date)
        assert status_of(agreement) == "in-force"
        event(agreement, "termination", datetime.date(2024, 1, 1))
        event(agreement, "supersession", datetime.date(2024, 1, 1))
        event(agreement, "termination", datetime.date(2024, 1, 1), note="Typed again")
        assert status_of(agreement) == "superseded"
        assert Agreement.objects.get(pk=agreement.pk).status_event().kind == "supersession"

    def test_a_new_agreement_is_signed_whatever_its_insert_says(self):
        """It has no events yet: a fixture's or a backup's events, loaded after it, give its status."""
        Agreement.objects.bulk_create(
            [
                Agreement(
                    slug="in-force-at-birth",
                    kind="treaty",
                    title="T",
                    binding=True,
                    date=datetime.date(2020, 1, 1),
                    status="in-force",
                )
            ]
        )
        assert Agreement.objects.get(slug="in-force-at-birth").status == "signed"

    def test_an_event_is_dated_between_the_signature_and_today(self):
        agreement = make_agreement(date=datetime.date(2024, 1, 1))
        early = AgreementEvent(agreement=agreement, kind="ratification", date=datetime.date(2023, 1, 1))
        with pytest.raises(ValidationError, match="before the agreement was signed or adopted"):
            early.clean()
        late = AgreementEvent(agreement=agreement, kind="ratification", date=datetime.date(2999, 1, 1))
        with pytest.raises(ValidationError, match="in the future"):
            late.clean()

    def test_the_event_kind_must_be_known(self):
        agreement = make_agreement()
        assert_refused(
            AgreementEvent(agreement=agreement, kind="rumour", date=agreement.date, source=make_source())
        )


# The admin ---------------------------------------------------------------------------------------


def agreement_form(source, **overrides):
    data = {
        "title": "Japan–Italy Acquisition and Cross-Servicing Agreement",
        "kind": "agreement",
        "binding": "on",
        "date": "2024-11-25",
        "place": "Rome",
        "parties": ["IT", "JP"],
        "slug": "",
        "original_title": "",
        "original_language": "",
        "summary": "",
        "citations-TOTAL_FORMS": "1",
        "citations-INITIAL_FORMS": "0",
        "citations-0-source": str(source.pk),
        "citations-0-excerpt": "",
    }
    for prefix in ("events", "signatories", "texts"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(overrides)
    return data


class TestAdmin:
    url = "/admin/agreements/agreement/add/"

    def test_an_editor_records_an_agreement_with_its_signatories_on_one_page(self, editor_client):
        source = make_source()
        data = agreement_form(
            source,
            **{
                "signatories-TOTAL_FORMS": "2",
                "signatories-0-country": "JP",
                "signatories-0-name": "Takeshi Iwaya",
                "signatories-0-office": "Minister for Foreign Affairs",
                "signatories-1-country": "IT",
                "signatories-1-name": "Guido Crosetto",
                "signatories-1-office": "Minister of Defence",
            },
        )
        response = editor_client.post(self.url, data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        agreement = Agreement.objects.get()
        assert agreement.slug == "2024-11-25-it-jp-agreement"
        assert [(e.kind, e.date, e.source) for e in agreement.events.all()] == [
            ("signature", datetime.date(2024, 11, 25), source)
        ]
        assert agreement.signatories.count() == 2

    def test_one_party_is_refused_with_the_model_s_message(self, editor_client):
        response = editor_client.post(self.url, agreement_form(make_source(), parties=["JP"]))
        assert response.status_code == 200
        assert "An agreement has at least two parties." in response.content.decode()
        assert not Agreement.objects.exists()

    def test_an_event_before_the_signature_is_refused(self, editor_client):
        source = make_source()
        data = agreement_form(
            source,
            **{
                "events-TOTAL_FORMS": "1",
                "events-0-date": "2024-01-01",
                "events-0-kind": "ratification",
                "events-0-source": str(source.pk),
            },
        )
        response = editor_client.post(self.url, data)
        assert response.status_code == 200
        assert "before the agreement was signed or adopted" in response.content.decode()

    def test_an_event_or_a_signatory_for_a_country_that_is_not_a_party_is_refused(self, editor_client):
        source = make_source()
        data = agreement_form(
            source,
            **{
                "events-TOTAL_FORMS": "1",
                "events-0-date": "2024-12-01",
                "events-0-kind": "ratification",
                "events-0-party": "GB",
                "events-0-source": str(source.pk),
                "signatories-TOTAL_FORMS": "1",
                "signatories-0-country": "FR",
                "signatories-0-name": "A. Minister",
            },
        )
        page = editor_client.post(self.url, data).content.decode()
        assert "The agreement&#x27;s parties (IT, JP) do not include GB." in page
        assert "The agreement&#x27;s parties (IT, JP) do not include FR." in page
        assert not Agreement.objects.exists()

    def test_an_agreement_cannot_supersede_or_amend_itself(self, editor_client):
        agreement = make_agreement(parties=["IT", "JP"])
        url = f"/admin/agreements/agreement/{agreement.pk}/change/"
        source = agreement.citations.get().source
        data = agreement_form(
            source,
            slug=agreement.slug,
            date=agreement.date.isoformat(),
            supersedes=[str(agreement.pk)],
            amends=[str(agreement.pk)],
            **{"citations-INITIAL_FORMS": "1", "citations-0-id": str(agreement.citations.get().pk)},
        )
        data.update(
            {
                "citations-0-agreement": str(agreement.pk),
                "events-TOTAL_FORMS": "0",
            }
        )
        response = editor_client.post(url, data)
        assert response.status_code == 200
        assert response.content.decode().count("An agreement cannot supersede or amend itself.") == 2
        assert not agreement.supersedes.exists()

    @pytest.mark.parametrize(
        ("day", "message"),
        [
            ("1799-12-31", "An agreement cannot be dated before 1800."),
            ("2999-01-01", "An agreement cannot be dated in the future"),
        ],
    )
    def test_an_agreement_is_dated_from_1800_to_today(self, editor_client, day, message):
        response = editor_client.post(self.url, agreement_form(make_source(), date=day))
        assert message in response.content.decode()
        assert not Agreement.objects.exists()

    def test_the_status_is_not_a_field_an_editor_can_send(self, editor_client):
        data = agreement_form(make_source(), status="terminated")
        assert editor_client.post(self.url, data).status_code == 302
        assert Agreement.objects.get().status == "signed"


# Pages -------------------------------------------------------------------------------------------


def slugs(response):
    return [agreement.slug for agreement in response.context["agreement_list"]]


class TestList:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("", 6),
            ("?kind=treaty", 2),
            ("?binding=no", 3),
            ("?binding=yes", 3),
            ("?status=in-force", 2),
            ("?country=gb", 1),
            ("?country=it&country=jp", 6),
            ("?topic=culture", 1),
            ("?q=convention", 1),
            ("?q=joint statement", 1),
            ("?date_after=2024-01-01&date_before=2024-12-31", 2),
        ],
    )
    def test_filters(self, client, seed, query, expected):
        response = client.get(f"/agreements/{query}")
        assert response.status_code == 200
        assert len(slugs(response)) == expected

    def test_newest_first_and_sortable_by_title(self, client, seed):
        assert slugs(client.get("/agreements/"))[0] == "2026-01-16-it-jp-joint-statement"
        assert slugs(client.get("/agreements/?sort=-date"))[-1] == "1866-08-25-it-jp-treaty"
        titles = [a.title for a in client.get("/agreements/?sort=title").context["agreement_list"]]
        assert titles == sorted(titles)

    def test_facets_count_kinds_statuses_and_years(self, client, seed):
        facets = {facet["parameter"]: facet for facet in client.get("/agreements/").context["facets"]}
        kinds = {item["value"]: item["count"] for item in facets["kind"]["items"]}
        assert kinds == {"treaty": 2, "agreement": 1, "action-plan": 1, "fact-sheet": 1, "joint-statement": 1}
        statuses = {item["value"]: item["count"] for item in facets["status"]["items"]}
        assert statuses == {"signed": 4, "in-force": 2}
        years = {item["value"]: item["count"] for item in facets["year"]["items"]}
        assert years["2024"] == 2 and years["1866"] == 1

    @pytest.mark.parametrize(
        "query",
        [
            "?kind=handshake",
            "?status=expired",
            "?binding=maybe",
            "?country=zz",
            "?country=j",
            "?topic=weather",
            "?date_after=notadate",
            "?q=" + "x" * 201,
            "?country=a&country=b&country=c&country=d&country=e&country=f",
        ],
    )
    def test_bad_values_answer_400_with_the_form_s_message(self, client, seed, query):
        response = client.get(f"/agreements/{query}")
        assert response.status_code == 400
        assert client.get(f"/agreements/{query}&format=csv").status_code == 400
        assert client.get(f"/feeds/agreements/{query}").status_code == 400

    def test_csv_and_json_hold_every_agreement_with_its_entry_into_force(self, client, seed):
        response = client.get("/agreements/?format=csv&kind=agreement")
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        assert [(row["slug"], row["parties"], row["status"], row["entered_into_force"]) for row in rows] == [
            ("2024-11-25-it-jp-agreement", "IT; JP", "in-force", "2025-09-05")
        ]
        data = client.get("/agreements/?format=json&country=gb")
        results = __import__("json").loads(b"".join(data.streaming_content))["results"]
        assert [(r["slug"], r["parties"], r["binding"]) for r in results] == [
            ("2023-12-14-gb-it-jp-treaty", ["GB", "IT", "JP"], True)
        ]

    def test_user_text_is_escaped_in_the_page_the_csv_and_the_feed(self, client, db):
        make_agreement(title="<script>alert(1)</script>", summary="=HYPERLINK(1)")
        assert b"<script>alert(1)</script>" not in client.get("/agreements/").content
        csv_text = b"".join(client.get("/agreements/?format=csv").streaming_content).decode("utf-8-sig")
        assert "'=HYPERLINK(1)" in csv_text
        assert b"<script>" not in client.get("/feeds/agreements/").content

    def test_the_feed_lists_new_agreements(self, client, seed):
        response = client.get("/feeds/agreements/?kind=treaty")
        assert response.status_code == 200
        assert response.content.count(b"<entry>") == 2


class TestDetail:
    def test_an_unknown_slug_is_404(self, client, seed):
        assert client.get("/agreements/no-such-agreement/").status_code == 404

    def test_shows_its_events_signatories_texts_commitments_and_meeting(self, client, seed):
        page = client.get("/agreements/2024-11-25-it-jp-agreement/").content.decode()
        for text in ("Takeshi Iwaya", "Foreign minister", "Guido Crosetto", "Entered into force"):
            assert text in page
        assert 'Since <time datetime="2025-09-05">5 September 2025</time>, the latest event' in page
        page = client.get(JOINT_STATEMENT).content.decode()
        assert "日・イタリア共同声明" in page and "this one is ours" in page
        assert reverse("agreements:meeting-detail", args=["2026-01-16-it-jp-tokyo"]) in page
        assert "Paragraph 2" in page and "special strategic partnership" in page

    def test_a_commitment_links_the_text_it_comes_from(self, client, seed):
        from agreements.models import Commitment

        upgrade = Commitment.objects.get(meeting__slug="2026-01-16-it-jp-tokyo", topic="partnership-upgrade")
        page = client.get(upgrade.get_absolute_url()).content.decode()
        assert JOINT_STATEMENT in page and "Paragraph 2" in page

    def test_an_edit_shows_at_once(self, client, seed):
        assert client.get(JOINT_STATEMENT).status_code == 200
        Agreement.objects.filter(slug="2026-01-16-it-jp-joint-statement").update(title="Renamed statement")
        assert "Renamed statement" in client.get(JOINT_STATEMENT).content.decode()
        source = Source.objects.get(url="https://worldjpn.net/documents/texts/JPEU/20260116.D1J.html")
        source.title = "A retitled source"
        source.save()
        assert "A retitled source" in client.get(JOINT_STATEMENT).content.decode()


class TestOtherPages:
    def test_pair_country_and_meeting_pages_list_their_agreements(self, client, seed):
        pair = client.get("/relations/it-jp/").content.decode()
        assert "Treaty of Amity and Commerce" in pair and "Japan–Italy Action Plan 2024–2027" in pair
        assert "/agreements/?country=it&amp;country=jp" in pair
        assert "Convention on the Establishment" in client.get("/countries/gb/").content.decode()
        meeting = client.get(TOKYO_SUMMIT).content.decode()
        assert "Agreed texts" in meeting and JOINT_STATEMENT in meeting

    def test_the_pair_timeline_draws_agreements_and_counts_older_ones(self, client, seed):
        page = client.get("/relations/it-jp/").content.decode()
        timeline = page.split('<figure class="chart timeline">')[1].split("</figure>")[0]
        assert timeline.count("<polygon points=") == 5 + 2  # five agreements since 2023, two legend marks
        assert "1 earlier agreement not drawn: the list of agreements holds it" in timeline

    def test_a_pair_with_only_an_agreement_has_a_page_and_a_feed(self, client, db):
        make_agreement(parties=("FR", "DE"), title="A Franco-German treaty")
        page = client.get("/relations/de-fr/").content.decode()
        assert "A Franco-German treaty" in page and 'href="/relations/de-fr/feed/"' in page
        feed = client.get("/relations/de-fr/feed/")
        assert feed.status_code == 200 and "A Franco-German treaty" in feed.content.decode()

    def test_the_list_offers_every_party_to_an_agreement_and_no_other(self, client, seed):
        options = client.get("/agreements/").context["filter"].form.fields["country"].widget.choices
        assert [code for code, _name in options] == ["it", "jp", "gb"]  # by name


class TestAccountsSideBySide:
    def table(self, client):
        page = client.get(TOKYO_SUMMIT).content.decode()
        assert "Each side’s account" in page
        table = page.split('<table class="data accounts">')[1].split("</table>")[0]
        head, body = table.split("</thead>")
        columns = [cell.split("</span>")[0] for cell in head.split('<span class="account-kind">')[1:]]
        rows = {}
        for row in body.split("<tr>")[1:]:
            summary = row.split('">', 2)[2].split("</a>")[0]
            cells = row.split('<td class="account-')[1:]
            rows[summary] = ["Mentions" in cell for cell in cells[:-1]] + [
                cells[-1].split("<span")[0].strip()
            ]
        return columns, rows

    def test_the_tokyo_summit_sets_japan_s_account_the_joint_statement_and_reports_side_by_side(
        self, client, seed
    ):
        columns, rows = self.table(client)
        assert columns == ["Japan&#x27;s account", "Joint document", "Reports"]
        assert rows["Raise relations from a strategic partnership to a special strategic partnership"] == [
            False,
            True,
            'reports is-mentioned">2 reports',
        ]
        assert rows[
            "Increase port calls and joint exercises, including an Italian Navy ship visit in 2026"
        ] == [
            True,
            True,
            'reports">',
        ]
        energy = rows["Coordinate on energy supply-chain resilience, including emergency LNG swaps"]
        assert energy == [False, False, 'reports is-mentioned">4 reports']

    def test_no_table_without_a_government_s_or_a_joint_account(self, client, db):
        commitment = make_commitment()
        assert "Each side’s account" not in client.get(commitment.meeting.get_absolute_url()).content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer in at a time")
@pytest.mark.django_db(transaction=True)
def test_two_editors_adding_events_at_once_leave_the_status_of_both(reference_data_restored):
    """The later-dated event commits first; the earlier one's trigger waits for it and then reads both."""
    import threading

    from django.db import connections

    agreement = make_agreement(binding=True, kind="treaty", date=datetime.date(2020, 1, 1))
    sources = [make_source(), make_source()]
    ending_written, failures = threading.Event(), []

    def add_entry_into_force():
        try:
            ending_written.wait()
            with transaction.atomic():
                AgreementEvent.objects.create(
                    agreement=agreement,
                    kind="entry-into-force",
                    date=datetime.date(2021, 1, 1),
                    source=sources[0],
                )
        except Exception as error:  # reported by the assertion below
            failures.append(error)
        finally:
            connections.close_all()

    other_editor = threading.Thread(target=add_entry_into_force)
    other_editor.start()
    with transaction.atomic():
        AgreementEvent.objects.create(
            agreement=agreement, kind="termination", date=datetime.date(2024, 1, 1), source=sources[1]
        )
        ending_written.set()
        with connection.cursor() as cursor:  # until the other editor's event waits for this one
            for _ in range(500):
                cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                if cursor.fetchone()[0]:
                    break
                threading.Event().wait(0.01)
    other_editor.join()
    assert failures == []
    assert status_of(agreement) == "terminated"
