"""The admin's "Import meetings" page: editors upload, read the dry run, confirm; others are refused."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agreements.admin_import import PERMISSIONS
from agreements.models import Meeting, MeetingCitation
from tests.test_import import document, meeting_data

pytestmark = pytest.mark.django_db

URL = "/admin/agreements/meeting/import/"
TOKYO = "2026-01-16 Japan–Italy summit"  # how problems name the meeting of meeting_data()


def confirm_import(client, data):
    """Upload `data`, then confirm the import the preview offers; the confirmation's response."""
    preview = client.post(URL, {"file": upload(data)})
    form = preview.context["confirm_form"]
    return client.post(
        URL, {"name": form["name"].value(), "content": form["content"].value(), "confirm": "Import"}
    )


def log_entries(obj, flag):
    """The admin history's entries of `action_flag` for `obj`."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    kind = ContentType.objects.get_for_model(obj)
    return LogEntry.objects.filter(content_type=kind, object_id=str(obj.pk), action_flag=flag)


def upload(data, name="meetings.json"):
    raw = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    return SimpleUploadedFile(name, raw, content_type="application/json")


def test_the_url_is_named():
    assert reverse("admin-meeting-import") == URL


def test_anonymous_users_are_sent_to_the_admin_login(client):
    for response in (client.get(URL), client.post(URL, {"file": upload(document())})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert Meeting.objects.count() == 0


@pytest.mark.parametrize("missing", ["add_meeting", "change_leader", "add_statuschange", "change_source"])
def test_staff_without_every_permission_an_import_needs_are_refused(client, django_user_model, missing):
    user = django_user_model.objects.create_user("viewer", password="a long viewer password", is_staff=True)
    granted = [permission for permission in PERMISSIONS if not permission.endswith(f".{missing}")]
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=[permission.split(".")[1] for permission in granted])
    )
    client.force_login(user)

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"file": upload(document())}).status_code == 403
    assert Meeting.objects.count() == 0


def test_an_editor_sees_the_upload_form(editor_client):
    response = editor_client.get(URL)

    assert response.status_code == 200
    content = response.content.decode()
    assert 'enctype="multipart/form-data"' in content
    assert 'name="file"' in content
    assert "csrfmiddlewaretoken" in content


def test_uploading_shows_the_dry_run_and_writes_nothing(editor_client):
    response = editor_client.post(URL, {"file": upload(document())})

    assert response.status_code == 200
    content = response.content.decode()
    assert "Dry run: what importing meetings.json would do" in content
    assert "create 2026-01-16-it-jp-tokyo (Japan–Italy summit)" in content
    assert response.context["report"].tallies["meetings"].created == 1
    assert 'name="confirm"' in content
    assert Meeting.objects.count() == 0


def test_confirming_imports_the_file(editor_client):
    preview = editor_client.post(URL, {"file": upload(document())})
    confirm = preview.context["confirm_form"]

    response = editor_client.post(
        URL, {"name": confirm["name"].value(), "content": confirm["content"].value(), "confirm": "Import"}
    )

    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.slug == "2026-01-16-it-jp-tokyo"
    assert meeting.leaders.count() == 2
    messages = [str(message) for message in response.wsgi_request._messages]
    assert messages == [
        "Imported meetings.json: meetings: 1 created, 0 updated, 0 unchanged; "
        "leaders: 2 created, 0 updated, 0 unchanged; sources: 2 created, 0 updated, 0 unchanged; "
        "commitments: 2 created, 0 updated, 0 unchanged; status changes: 2 created, 0 updated, 0 unchanged."
    ]


def test_a_file_already_in_the_record_has_nothing_to_confirm(editor_client):
    text = json.dumps(document())
    editor_client.post(URL, {"name": "meetings.json", "content": text, "confirm": "Import"})

    response = editor_client.post(URL, {"file": upload(text.encode())})

    assert "there is nothing to import" in response.content.decode()
    assert 'name="confirm"' not in response.content.decode()


def test_a_broken_file_shows_every_problem_and_writes_nothing(editor_client):
    bad = meeting_data(kind="chat", countries=["JP", "XX"], host="JP")

    response = editor_client.post(URL, {"file": upload(document(bad))})

    assert response.status_code == 200
    assert response.context["problems"] == [
        f'meetings[0].countries[1] ({TOKYO}): unknown country code "XX"',
        f'meetings[0].kind ({TOKYO}): unknown kind "chat" (expected one of: official-visit, summit, '
        "sideline-talks, phone-call, video-call, encounter)",
    ]
    content = response.content.decode()
    assert "2 problems found in the file. Nothing was imported." in content
    assert f"meetings[0].countries[1] ({TOKYO}): unknown country code &quot;XX&quot;" in content
    assert Meeting.objects.count() == 0


def test_malformed_json_is_reported_with_line_and_column(editor_client):
    response = editor_client.post(
        URL, {"file": upload(b'{"format": "bilateral-meetings/1",\n "meetings": [,]}')}
    )

    assert response.context["problems"] == ["line 2, column 15: malformed JSON: Expecting value"]


def test_a_confirmation_is_checked_again(editor_client):
    text = json.dumps(document(meeting_data(countries=["JP", "XX"])))

    response = editor_client.post(URL, {"name": "meetings.json", "content": text, "confirm": "Import"})

    assert response.status_code == 200
    assert response.context["problems"] == [f'meetings[0].countries[1] ({TOKYO}): unknown country code "XX"']
    assert Meeting.objects.count() == 0


def test_uploading_nothing_asks_for_a_file(editor_client):
    response = editor_client.post(URL, {})

    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["This field is required."]}


def test_a_file_too_large_to_confirm_is_refused_before_checking(editor_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024

    response = editor_client.post(URL, {"file": upload(b" " * 5000 + json.dumps(document()).encode())})

    assert "too large for the admin page" in response.context["form"].errors["file"][0]
    assert response.context["report"] is None


def test_the_page_needs_a_csrf_token(editor, client):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(editor)

    response = csrf_client.post(
        URL, {"name": "m.json", "content": json.dumps(document()), "confirm": "Import"}
    )

    assert response.status_code == 403
    assert Meeting.objects.count() == 0


def test_the_meeting_list_links_to_the_import_page_for_editors(editor_client):
    response = editor_client.get(reverse("admin:agreements_meeting_changelist"))

    assert response.status_code == 200
    assert f'<a href="{URL}">Import meetings</a>' in response.content.decode()


def test_an_import_is_in_the_admin_s_history_with_who_and_what(editor_client, editor):
    from django.contrib.admin.models import ADDITION, CHANGE

    from agreements.models import Commitment, Leader, Source, StatusChange

    def confirm(data):
        return confirm_import(editor_client, data)

    assert confirm(document()).status_code == 302
    meeting = Meeting.objects.get()
    added = log_entries(meeting, ADDITION).get()
    assert (added.user, added.change_message) == (editor, "Imported from meetings.json.")
    written = [
        *Leader.objects.all(),
        *Source.objects.all(),
        *Commitment.objects.all(),
        *StatusChange.objects.all(),
    ]
    assert written and all(log_entries(obj, ADDITION).exists() for obj in written)

    changed = meeting_data(title="A corrected title")
    assert confirm(document(changed)).status_code == 302
    entry = log_entries(meeting, CHANGE).get()
    assert entry.user == editor and "title" in entry.change_message


def test_an_editor_may_not_remove_citations_through_an_import(editor_client):
    from agreements.importer import import_files

    data = meeting_data()
    data["sources"].append({"url": "https://news.example.org/tokyo", "publisher": "Example News"})
    import_files([("first.json", json.dumps(document(data)))])
    cited = MeetingCitation.objects.count()
    data["sources"].pop()

    response = editor_client.post(URL, {"file": upload(document(data))})

    assert "it removes 1 meeting citations, which you may not delete" in response.content.decode()
    assert MeetingCitation.objects.count() == cited


def test_an_upload_over_the_limit_is_refused_from_its_length_before_it_is_read(editor_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024

    response = editor_client.post(URL, {"file": upload(b" " * 40_000 + json.dumps(document()).encode())})

    assert response.status_code == 413
    assert "This file is too large for the admin page" in response.content.decode()
    assert not hasattr(response.wsgi_request, "_files")  # the body was never parsed
    assert Meeting.objects.count() == 0


def test_the_page_links_to_the_format_and_an_example_that_imports(editor_client):
    page = editor_client.get(URL).content.decode()
    assert 'href="/admin/agreements/meeting/import/format/"' in page
    assert 'href="/admin/agreements/meeting/import/example.json"' in page
    rules = editor_client.get("/admin/agreements/meeting/import/format/")
    assert rules["Content-Type"] == "text/plain; charset=utf-8"
    assert "bilateral-meetings/1" in rules.content.decode()
    example = editor_client.get("/admin/agreements/meeting/import/example.json")
    raw = b"".join(example.streaming_content)
    assert "example-meetings.json" in example["Content-Disposition"]
    preview = editor_client.post(URL, {"file": upload(raw, name="example-meetings.json")})
    assert preview.context["report"] is not None and not preview.context["problems"]
    assert Client().get("/admin/agreements/meeting/import/format/").status_code == 302  # staff only
