"""The editors' admin: every page opens, editors can add and change but not delete, strangers log in first."""

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from agreements.models import (
    AgreementCitation,
    AgreementEvent,
    AgreementText,
    Commitment,
    CommitmentCitation,
    CommitmentLink,
    Correction,
    Derived,
    LeaderCitation,
    Meeting,
    MeetingCitation,
    Signatory,
    Source,
    StatusChange,
)

from .factories import (
    country,
    make_agreement,
    make_commitment,
    make_leader,
    make_meeting,
    make_signatory,
    make_source,
    make_text,
)

pytestmark = pytest.mark.django_db

# Rows the database derives (summaries, pair rows) are in no admin.
AGREEMENT_MODELS = [
    model for model in apps.get_app_config("agreements").get_models() if not issubclass(model, Derived)
]


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture(params=["superuser", "editor"])
def staff_client(request, client, admin_user, editor):
    client.force_login(admin_user if request.param == "superuser" else editor)
    return client


def test_every_agreements_model_is_registered():
    assert {model for model in AGREEMENT_MODELS if admin.site.is_registered(model)} == set(AGREEMENT_MODELS)


@pytest.mark.parametrize("model", AGREEMENT_MODELS, ids=lambda model: model._meta.model_name)
def test_changelist_opens_with_and_without_a_search(staff_client, model):
    make_commitment()
    assert staff_client.get(admin_url(model, "changelist")).status_code == 200
    assert staff_client.get(admin_url(model, "changelist"), {"q": "Tokyo <script>"}).status_code == 200


# Rows edited inline on their parent's page (a meeting, a commitment, an agreement); listed and shown alone.
INLINE_ONLY = {
    StatusChange,
    MeetingCitation,
    CommitmentCitation,
    AgreementEvent,
    AgreementCitation,
    Signatory,
    AgreementText,
    CommitmentLink,
    LeaderCitation,
}


@pytest.mark.parametrize("model", AGREEMENT_MODELS, ids=lambda model: model._meta.model_name)
def test_add_form_opens(staff_client, model):
    expected = 403 if model in INLINE_ONLY or model is Correction else 200
    assert staff_client.get(admin_url(model, "add")).status_code == expected


@pytest.mark.parametrize("model", sorted(INLINE_ONLY, key=str), ids=lambda model: model._meta.model_name)
def test_inline_rows_are_shown_but_not_changed_alone(staff_client, model):
    commitment = make_commitment()
    StatusChange.objects.create(
        commitment=commitment, date=datetime.date(2026, 3, 1), status="announced", source=make_source()
    )
    agreement = make_agreement()
    make_signatory(agreement)
    make_text(agreement)
    later = make_commitment(meeting=make_meeting(date=datetime.date(2026, 2, 1)))
    CommitmentLink.objects.create(commitment=later, earlier=commitment, kind="reaffirms")
    LeaderCitation.objects.create(leader=make_leader(), source=make_source())
    row = model.objects.first()
    url = admin_url(model, "change", row.pk)
    assert staff_client.get(url).status_code == 200
    assert staff_client.post(url, {}).status_code == 403


@pytest.mark.parametrize("lookup", ["end_date__year", "date__year", "updated_at__year"])
def test_an_unusable_date_filter_in_the_url_is_the_admin_s_own_error(staff_client, lookup):
    make_meeting()
    response = staff_client.get(admin_url(Meeting, "changelist"), {lookup: "0"})
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_change_forms_open(staff_client):
    commitment = make_commitment()
    assert staff_client.get(admin_url(Meeting, "change", commitment.meeting.pk)).status_code == 200
    assert staff_client.get(admin_url(Commitment, "change", commitment.pk)).status_code == 200


@pytest.mark.parametrize("model", AGREEMENT_MODELS, ids=lambda model: model._meta.model_name)
def test_anonymous_visitors_are_sent_to_the_login_page(client, model):
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


class TestEditorsGroup:
    def test_may_view_add_and_change_every_record_but_delete_none(self):
        codenames = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
        expected = {
            f"{action}_{model._meta.model_name}"
            for model in AGREEMENT_MODELS
            for action in ("view", "add", "change")
        } - {"add_correction"}  # readers send corrections; editors decide them
        assert codenames == expected

    def test_has_no_permission_outside_the_record(self):
        permissions = Group.objects.get(name="Editors").permissions.all()
        assert not permissions.exclude(content_type__app_label="agreements").exists()
        assert not Permission.objects.filter(group__name="Editors", codename__startswith="delete_").exists()

    def test_editor_cannot_delete_a_meeting(self, editor_client):
        meeting = make_meeting()
        response = editor_client.post(admin_url(Meeting, "delete", meeting.pk), {"post": "yes"})
        assert response.status_code == 403
        assert Meeting.objects.filter(pk=meeting.pk).exists()

    def test_editor_cannot_manage_users(self, editor_client, django_user_model):
        assert editor_client.get(reverse("admin:auth_user_changelist")).status_code == 403
        assert editor_client.get(reverse("admin:auth_user_add")).status_code == 403


def meeting_form_data(**overrides):
    source = make_source()
    data = {
        "slug": "2026-01-16-it-jp-tokyo",
        "kind": "official-visit",
        "date": "2026-01-16",
        "city": "Tokyo",
        "title": "Takaichi–Meloni summit",
        "countries": ["IT", "JP"],
        "host": "JP",
        "citations-TOTAL_FORMS": "1",
        "citations-INITIAL_FORMS": "0",
        "citations-0-source": str(source.pk),
        "citations-0-excerpt": "",
        "commitments-TOTAL_FORMS": "1",
        "commitments-INITIAL_FORMS": "0",
        "commitments-0-topic": "space",
        "commitments-0-summary": "Establish a consultative body on space cooperation",
        "commitments-0-status": "announced",
        "commitments-0-level_from": "",
        "commitments-0-level_to": "",
    }
    data.update(overrides)
    return data


class TestMeetingEditing:
    def test_editor_adds_a_meeting_with_a_commitment(self, editor_client):
        response = editor_client.post(admin_url(Meeting, "add"), meeting_form_data())
        assert response.status_code == 302, response.context["errors"] if response.context else response
        meeting = Meeting.objects.get(slug="2026-01-16-it-jp-tokyo")
        commitment = meeting.commitments.get()
        assert set(commitment.parties.values_list("code", flat=True)) == {"IT", "JP"}
        assert list(commitment.sources.all()) == list(meeting.sources.all())

    def test_new_leaders_are_recorded_and_added_without_leaving_the_page(self, editor_client):
        data = meeting_form_data(
            new_leaders="Giorgia Meloni, Prime Minister of Italy, it\n\n"
            "Takaichi Sanae, Prime Minister of Japan, JP"
        )
        response = editor_client.post(admin_url(Meeting, "add"), data)
        assert response.status_code == 302
        meeting = Meeting.objects.get(slug="2026-01-16-it-jp-tokyo")
        assert sorted(meeting.leaders.values_list("name", "country", "title", "slug")) == [
            ("Giorgia Meloni", "IT", "Prime Minister of Italy", "giorgia-meloni"),
            ("Takaichi Sanae", "JP", "Prime Minister of Japan", "takaichi-sanae"),
        ]
        commitment = meeting.commitments.get()
        assert list(commitment.history.values_list("date", "status")) == [(meeting.date, "announced")]

    @pytest.mark.parametrize(
        ("line", "message"),
        [
            ("Giorgia Meloni", "Line 1: give the name, the office and the country code"),
            ("Giorgia Meloni, IT", "Line 1: give the name, the office and the country code"),
            (", Prime Minister, IT", "Line 1: This field cannot be blank."),
            ("Emmanuel Macron, President of France, FR", "Not a leader of the meeting&#x27;s countries"),
            ("Someone, Office, XX", "Line 1: unknown country code &#x27;XX&#x27;"),
        ],
    )
    def test_a_new_leader_line_that_cannot_be_read_is_explained(self, editor_client, line, message):
        response = editor_client.post(admin_url(Meeting, "add"), meeting_form_data(new_leaders=line))
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Meeting.objects.exists()

    def test_a_leader_already_recorded_is_chosen_not_added_again(self, editor_client):
        from .factories import make_leader

        make_leader(name="Giorgia Meloni", country=country("IT"))
        data = meeting_form_data(new_leaders="Giorgia Meloni, Prime Minister of Italy, IT")
        response = editor_client.post(admin_url(Meeting, "add"), data)
        assert response.status_code == 200
        assert "Leader with this Name and Country already exists." in response.content.decode()

    def test_leaders_of_other_countries_are_refused(self, editor_client):
        from .factories import make_leader

        macron = make_leader(name="Emmanuel Macron", country=country("FR"))
        response = editor_client.post(admin_url(Meeting, "add"), meeting_form_data(leaders=[str(macron.pk)]))
        assert response.status_code == 200
        assert "Not a leader of the meeting&#x27;s countries: Emmanuel Macron." in response.content.decode()

    def test_a_second_meeting_of_the_same_day_and_countries_is_refused(self, editor_client):
        make_meeting(slug="recorded-summit", title="The recorded summit", date=datetime.date(2026, 1, 16))

        data = meeting_form_data(slug="another-summit", city="Kyoto")
        response = editor_client.post(admin_url(Meeting, "add"), data)

        assert response.status_code == 200
        assert "(recorded-summit) is already recorded with the same day and countries" in (
            response.content.decode()
        )
        assert Meeting.objects.count() == 1

    def test_a_leader_out_of_office_on_the_meetings_day_is_refused(self, editor_client):
        kishida = make_leader(
            name="Fumio Kishida",
            country=country("JP"),
            took_office=datetime.date(2021, 10, 4),
            left_office=datetime.date(2024, 10, 1),
        )

        response = editor_client.post(admin_url(Meeting, "add"), meeting_form_data(leaders=[str(kishida.pk)]))

        assert response.status_code == 200
        assert "Fumio Kishida left office on 2024-10-01, before 2026-01-16: not in office then." in (
            response.content.decode()
        )
        assert not Meeting.objects.exists()

    def test_a_meeting_needs_two_countries(self, editor_client):
        response = editor_client.post(admin_url(Meeting, "add"), meeting_form_data(countries=["JP"]))
        assert response.status_code == 200
        assert "at least two countries" in response.content.decode()
        assert not Meeting.objects.exists()

    def test_a_meeting_needs_a_source(self, editor_client):
        data = meeting_form_data(**{"citations-TOTAL_FORMS": "0"})
        response = editor_client.post(admin_url(Meeting, "add"), data)
        assert response.status_code == 200
        assert "Cite at least one source, here or in the New sources box." in response.content.decode()
        assert not Meeting.objects.exists()

    def test_new_sources_are_recorded_and_cited_by_the_meeting_and_its_new_commitments(self, editor_client):
        known = make_source(url="https://news.example.org/known", title="Known")
        data = meeting_form_data(
            **{"citations-TOTAL_FORMS": "0"},
            new_sources="https://elysee.fr/entretien | Élysée | Entretien avec Friedrich Merz | 2026-01-16"
            "\n"
            "\nhttps://news.example.org/known",
        )
        response = editor_client.post(admin_url(Meeting, "add"), data)
        assert response.status_code == 302, response.context["errors"] if response.context else response
        meeting = Meeting.objects.get(slug="2026-01-16-it-jp-tokyo")
        elysee = Source.objects.get(url="https://elysee.fr/entretien")
        assert (elysee.publisher, elysee.title, elysee.published) == (
            "Élysée",
            "Entretien avec Friedrich Merz",
            datetime.date(2026, 1, 16),
        )
        assert set(meeting.sources.all()) == {elysee, known}
        assert set(meeting.commitments.get().sources.all()) == {elysee, known}
        assert Source.objects.get(url=known.url).title == "Known"  # one already recorded is left as it is

    @pytest.mark.parametrize(
        ("line", "message"),
        [
            ("not an address", "Line 1: Enter a valid URL."),
            ("https://x.example.org/ | P | T | 16 January", "Line 1: Enter a valid date."),
            ("https://x.example.org/ | P | T | 2026-01-16 | extra", "Line 1: give at most an address"),
        ],
    )
    def test_a_new_source_that_cannot_be_recorded_is_explained_and_nothing_is_saved(
        self, editor_client, line, message
    ):
        response = editor_client.post(admin_url(Meeting, "add"), meeting_form_data(new_sources=line))
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Meeting.objects.exists()

    def test_the_host_is_one_of_the_meeting_s_countries(self, editor_client):
        response = editor_client.post(admin_url(Meeting, "add"), meeting_form_data(host="BR"))
        assert response.status_code == 200
        assert "The host is one of the meeting&#x27;s countries" in response.content.decode()
        assert not Meeting.objects.exists()

    def test_the_status_is_not_edited_on_the_meeting_page(self, editor_client):
        commitment = make_commitment(status="fulfilled")
        StatusChange.objects.create(
            commitment=commitment, date=datetime.date(2026, 3, 1), status="fulfilled", source=make_source()
        )
        meeting = commitment.meeting
        citation = meeting.citations.get()
        data = meeting_form_data(
            **{
                "slug": meeting.slug,
                "host": "",
                "citations-INITIAL_FORMS": "1",
                "citations-0-id": str(citation.pk),
                "citations-0-meeting": str(meeting.pk),
                "citations-0-source": str(citation.source_id),
                "commitments-INITIAL_FORMS": "1",
                "commitments-0-id": str(commitment.pk),
                "commitments-0-meeting": str(meeting.pk),
                "commitments-0-summary": commitment.summary,
                "commitments-0-status": "lapsed",
            }
        )
        response = editor_client.post(admin_url(Meeting, "change", meeting.pk), data)
        assert response.status_code == 302
        commitment.refresh_from_db()
        assert commitment.status == "fulfilled"  # what its history says

    def test_a_citation_row_deleted_and_its_address_typed_as_a_new_source_stays_cited_once(
        self, editor_client
    ):
        meeting = make_meeting(slug="2026-01-16-it-jp-tokyo")
        citation = meeting.citations.get()
        data = meeting_form_data(
            **{
                "slug": meeting.slug,
                "host": "",
                "citations-INITIAL_FORMS": "1",
                "citations-0-id": str(citation.pk),
                "citations-0-meeting": str(meeting.pk),
                "citations-0-source": str(citation.source_id),
                "citations-0-DELETE": "on",
                "commitments-TOTAL_FORMS": "0",
                "new_sources": citation.source.url,
            }
        )
        response = editor_client.post(admin_url(Meeting, "change", meeting.pk), data)
        assert response.status_code == 302, response.context["errors"] if response.context else response
        assert list(meeting.citations.values_list("source__url", flat=True)) == [citation.source.url]

    def test_end_date_before_start_is_explained(self, editor_client):
        response = editor_client.post(admin_url(Meeting, "add"), meeting_form_data(end_date="2026-01-15"))
        assert response.status_code == 200
        assert "The end date cannot be before the start date." in response.content.decode()

    def test_editor_sees_the_record_in_the_changelist(self, editor_client):
        make_meeting(title="Takaichi–Meloni summit in Tokyo")
        response = editor_client.get(admin_url(Meeting, "changelist"), {"q": "Meloni"})
        assert "Takaichi–Meloni summit in Tokyo" in response.content.decode()


def commitment_form_data(commitment, **overrides):
    source = commitment.sources.get()
    data = {
        "meeting": str(commitment.meeting.pk),
        "topic": commitment.topic_id,
        "summary": commitment.summary,
        "status": "fulfilled",
        "parties": ["IT", "JP"],
        "level_from": "",
        "level_to": "",
        "citations-TOTAL_FORMS": "1",
        "citations-INITIAL_FORMS": "1",
        "citations-0-id": str(commitment.citations.get().pk),
        "citations-0-commitment": str(commitment.pk),
        "citations-0-source": str(source.pk),
        "citations-0-excerpt": "",
        "history-TOTAL_FORMS": "1",
        "history-INITIAL_FORMS": "0",
        "links-TOTAL_FORMS": "0",
        "links-INITIAL_FORMS": "0",
        "history-0-date": "2026-09-01",
        "history-0-status": "fulfilled",
        "history-0-note": "The body met for the first time.",
        "history-0-source": str(make_source().pk),
    }
    data.update(overrides)
    return data


class TestStatusHistory:
    def test_editor_records_a_status_change_with_its_source(self, editor_client):
        commitment = make_commitment()
        response = editor_client.post(
            admin_url(Commitment, "change", commitment.pk), commitment_form_data(commitment)
        )
        assert response.status_code == 302
        commitment.refresh_from_db()
        assert commitment.status == "fulfilled"
        assert list(commitment.history.values_list("date", "status")) == [
            (commitment.meeting.date, "announced"),
            (datetime.date(2026, 9, 1), "fulfilled"),
        ]

    def test_a_status_changes_only_with_a_dated_sourced_entry(self, editor_client):
        commitment = make_commitment()
        data = commitment_form_data(commitment, status="in-progress", **{"history-TOTAL_FORMS": "0"})
        response = editor_client.post(admin_url(Commitment, "change", commitment.pk), data)
        assert response.status_code == 302
        commitment.refresh_from_db()
        assert commitment.status == "announced"
        assert list(commitment.history.values_list("status", flat=True)) == ["announced"]
        page = editor_client.get(admin_url(Commitment, "change", commitment.pk)).content.decode()
        assert (
            'name="status"' not in page and "the commitment&#x27;s status is that of the latest entry" in page
        )

    @pytest.mark.parametrize(
        ("day", "message"),
        [("2025-01-01", "before the commitment was agreed"), ("2031-01-01", "in the future")],
    )
    def test_history_dates_are_after_the_agreement_and_not_in_the_future(self, editor_client, day, message):
        commitment = make_commitment()
        data = commitment_form_data(commitment, **{"history-0-date": day})
        response = editor_client.post(admin_url(Commitment, "change", commitment.pk), data)
        assert response.status_code == 200
        assert message in response.content.decode()
        commitment.refresh_from_db()
        assert commitment.status == "announced"
        assert list(commitment.history.values_list("status", flat=True)) == ["announced"]

    def test_the_last_entry_cannot_be_deleted(self, admin_client):  # editors delete no entries
        commitment = make_commitment()
        announced = commitment.history.get()
        data = commitment_form_data(
            commitment,
            **{
                "history-TOTAL_FORMS": "1",
                "history-INITIAL_FORMS": "1",
                "history-0-id": str(announced.pk),
                "history-0-commitment": str(commitment.pk),
                "history-0-date": announced.date.isoformat(),
                "history-0-status": "announced",
                "history-0-source": str(announced.source_id),
                "history-0-DELETE": "on",
            },
        )
        response = admin_client.post(admin_url(Commitment, "change", commitment.pk), data)
        assert response.status_code == 200
        assert "Keep at least one entry" in response.content.decode()
        assert commitment.history.filter(pk=announced.pk).exists()

    def test_a_new_commitment_is_announced_on_its_meetings_day_citing_its_first_source(self, editor_client):
        first, second = make_source(), make_source()
        meeting = make_meeting(sources=[first, second])
        data = commitment_form_data(
            make_commitment(meeting=meeting),
            summary="Open talks on a new agreement",
            **{"citations-INITIAL_FORMS": "0", "citations-0-id": "", "citations-0-commitment": ""},
            **{"history-TOTAL_FORMS": "0"},
        )
        response = editor_client.post(admin_url(Commitment, "add"), data)
        assert response.status_code == 302
        created = Commitment.objects.get(summary="Open talks on a new agreement")
        assert list(created.history.values_list("date", "status", "source")) == [
            (meeting.date, "announced", first.pk)
        ]

    def test_empty_parties_default_to_the_meeting_countries(self, editor_client):
        commitment = make_commitment(parties=[country("GB"), country("IT"), country("JP")])
        data = commitment_form_data(commitment, parties=[])
        editor_client.post(admin_url(Commitment, "change", commitment.pk), data)
        assert set(commitment.parties.values_list("code", flat=True)) == {"IT", "JP"}

    def test_history_is_shown_on_the_commitment_form(self, editor_client):
        commitment = make_commitment()
        StatusChange.objects.create(
            commitment=commitment, date=datetime.date(2026, 3, 1), status="in-progress", source=make_source()
        )
        response = editor_client.get(admin_url(Commitment, "change", commitment.pk))
        assert "2026-03-01" in response.content.decode()


def test_editor_sees_the_tokyo_summit_and_its_commitments(seed, editor_client):
    changelist = editor_client.get(admin_url(Meeting, "changelist"), {"q": "Tokyo"}).content.decode()
    assert "Takaichi and Meloni hold a summit in Tokyo" in changelist
    summit = Meeting.objects.get(slug="2026-01-16-it-jp-tokyo")
    page = editor_client.get(admin_url(Meeting, "change", summit.pk)).content.decode()
    assert "Establish a consultative body on space cooperation" in page
    assert "Cooperate on resilient supply chains for critical minerals" in page
    assert "special strategic partnership" in page


def test_citations_are_labelled_by_their_source(editor_client):
    source = make_source(title="Japan-Italy Summit Meeting")
    commitment = make_commitment(sources=[source])
    page = editor_client.get(admin_url(Commitment, "change", commitment.pk)).content.decode()
    assert "Japan-Italy Summit Meeting" in page and " cites " not in page


def test_a_meeting_without_a_slug_gets_the_importers_one(editor_client):
    response = editor_client.post(
        admin_url(Meeting, "add"), meeting_form_data(slug="", title="Macron and Merz meet")
    )
    assert response.status_code == 302
    assert Meeting.objects.get().slug == "2026-01-16-it-jp-tokyo"
    again = editor_client.post(admin_url(Meeting, "add"), meeting_form_data(slug=""))
    assert again.status_code == 200
    assert "Another meeting has the slug 2026-01-16-it-jp-tokyo" in again.content.decode()


@pytest.mark.parametrize(
    ("typed", "date", "precision"),
    [
        ("2035", datetime.date(2035, 12, 31), "year"),
        ("2035-06-30", datetime.date(2035, 6, 30), "day"),
        ("", None, ""),
    ],
)
def test_a_target_is_typed_as_a_year_or_a_day(editor_client, typed, date, precision):
    commitment = make_commitment(target_date=datetime.date(2030, 12, 31), target_precision="year")
    data = commitment_form_data(commitment, target=typed, **{"history-TOTAL_FORMS": "0"})
    response = editor_client.post(admin_url(Commitment, "change", commitment.pk), data)
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.target_date, commitment.target_precision) == (date, precision)


def test_a_target_that_is_no_year_or_day_is_explained(editor_client):
    commitment = make_commitment()
    data = commitment_form_data(commitment, target="31/12/2035", **{"history-TOTAL_FORMS": "0"})
    response = editor_client.post(admin_url(Commitment, "change", commitment.pk), data)
    assert response.status_code == 200
    assert "Give a year (2035) or a day (2035-06-30)." in response.content.decode()
    page = editor_client.get(admin_url(Commitment, "change", commitment.pk)).content.decode()
    assert 'name="target_precision"' not in page


def autocomplete(client, model_name, field_name, term, **extra):
    query = {"app_label": "agreements", "model_name": model_name, "field_name": field_name, "term": term}
    response = client.get(reverse("admin:autocomplete"), {**query, **extra})
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("uk", "United Kingdom (GB)"),
        ("britain", "United Kingdom (GB)"),
        ("gb", "United Kingdom (GB)"),
        ("turkey", "Türkiye (TR)"),
        ("ivory coast", "Côte d'Ivoire (CI)"),
        ("czech republic", "Czechia (CZ)"),
        ("holland", "Netherlands (NL)"),
        ("korea, republic", "South Korea (KR)"),
    ],
)
def test_countries_are_found_by_code_and_everyday_names_and_shown_with_their_code(editor_client, term, found):
    assert found in autocomplete(editor_client, "meeting", "countries", term)


def test_a_meetings_leaders_are_narrowed_to_the_countries_chosen(editor_client):
    from .factories import make_leader

    make_leader(name="Giorgia Meloni", country=country("IT"), title="Prime Minister of Italy")
    make_leader(name="Emmanuel Macron", country=country("FR"), title="President of France")
    assert autocomplete(editor_client, "meeting", "leaders", "", country=["it", "JP"]) == [
        "Giorgia Meloni (IT), Prime Minister of Italy"
    ]
    assert len(autocomplete(editor_client, "meeting", "leaders", "")) == 2
    page = editor_client.get(admin_url(Meeting, "add")).content.decode()
    assert "js/meeting-leaders" in page and 'name="new_leaders"' in page


def test_levels_on_a_commitment_that_is_no_upgrade_are_explained_beside_the_field(editor_client):
    commitment = make_commitment()
    data = commitment_form_data(commitment, level_to="special strategic partnership")
    response = editor_client.post(admin_url(Commitment, "change", commitment.pk), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "level_to": ["Only partnership-upgrade commitments name levels."]
    }


def test_an_excerpt_over_25_words_is_explained_beside_the_field(editor_client):
    commitment = make_commitment()
    data = commitment_form_data(commitment, **{"citations-0-excerpt": "word " * 26})
    response = editor_client.post(admin_url(Commitment, "change", commitment.pk), data)
    assert response.status_code == 200
    assert "26 words; keep a quoted excerpt to 25 words at most." in response.content.decode()
