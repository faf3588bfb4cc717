"""The admin's "Import meetings" page: upload a file, read the dry-run report, confirm.

It runs the same code as `manage.py import_meetings` (`importer.import_files`): the upload is
checked with a dry run; confirming posts the same text back and imports it, checking it again
(the record may have changed in between). Wired in `diplomacy/urls.py` through
`admin.site.admin_view`, so only staff reach it; it also needs the permissions to add and change
every kind of record an import writes (agreements, their events, signatories, texts and
citations, and links between commitments among them), and a file that would delete citations,
signatories, texts or links needs the permission to delete them.
"""

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .importer import ImportFailed, import_files
from .models import Agreement, Meeting

WRITTEN = (
    "meeting",
    "leader",
    "leadercitation",
    "source",
    "commitment",
    "statuschange",
    "meetingcitation",
    "commitmentcitation",
    "commitmentlink",
    "agreement",
    "agreementevent",
    "agreementcitation",
    "signatory",
    "agreementtext",
)
ROOT = Path(__file__).resolve().parent.parent
FORMAT_PAGE = ROOT / "docs" / "import-format.md"
EXAMPLE_FILE = ROOT / "examples" / "seed-meetings.json"
PERMISSIONS = [f"agreements.{action}_{model}" for model in WRITTEN for action in ("add", "change")]
SHOWN_CHANGES = 200
# The confirmation posts the file's text back as a form field, which Django caps at
# DATA_UPLOAD_MAX_MEMORY_SIZE; keep some room for the other fields.
FORM_OVERHEAD = 16 * 1024


def largest_upload():
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return None if limit is None else limit - FORM_OVERHEAD


class ImportForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text="A JSON file in the bilateral-meetings/3 format (or /2, /1). It is checked first; nothing "
        "is written until you confirm.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = largest_upload()
        if limit is not None and upload.size > limit:
            raise forms.ValidationError(
                f"This file is too large for the admin page ({upload.size:,} bytes; the limit is "
                f"{limit:,}). Import it with the import_meetings management command."
            )
        return upload


class ConfirmForm(forms.Form):
    name = forms.CharField(widget=forms.HiddenInput)
    content = forms.CharField(widget=forms.HiddenInput, strip=False)


@csrf_exempt  # checked below, once the request's size is known to be acceptable
def import_meetings_view(request):
    """The page. An upload larger than the page takes is refused from its Content-Length, before
    its body is read; a smaller one is read in memory (FILE_UPLOAD_MAX_MEMORY_SIZE)."""
    if not request.user.has_perms(PERMISSIONS):
        raise PermissionDenied
    limit = largest_upload()
    length = request.META.get("CONTENT_LENGTH") or "0"
    if (
        request.method == "POST"
        and request.content_type == "multipart/form-data"
        and limit is not None
        and (not length.isdigit() or int(length) > limit + FORM_OVERHEAD)
    ):
        response = TemplateResponse(
            request,
            "admin/agreements/meeting/import.html",
            {
                **page_context(request),
                "form": ImportForm(),
                "problems": [
                    f"This file is too large for the admin page (the limit is {limit:,} bytes). "
                    "Import it with the import_meetings management command."
                ],
            },
        )
        response.status_code = 413
        return response
    return import_meetings(request)


def page_context(request):
    return {
        **admin.site.each_context(request),
        "title": "Import meetings",
        "subtitle": None,
        "opts": Meeting._meta,
        "changelist_url": _changelist_url(),
        "problems": [],
        "report": None,
        "confirm_form": None,
        "shown_changes": SHOWN_CHANGES,
    }


@csrf_protect
def import_meetings(request):
    def may_delete(model):
        return request.user.has_perm(f"{model._meta.app_label}.delete_{model._meta.model_name}")

    context = page_context(request)
    form = ImportForm()
    if request.method == "POST" and "confirm" in request.POST:
        confirm_form = ConfirmForm(request.POST)
        if confirm_form.is_valid():
            name, text = confirm_form.cleaned_data["name"], confirm_form.cleaned_data["content"]
            try:
                report = import_files([(name, text)], may_delete=may_delete)
            except ImportFailed as failure:
                context["problems"] = failure.lines()
            else:
                log_import(request.user, name, report)
                messages.success(request, f"Imported {name}: {report.summary_text()}.")
                return redirect(context["changelist_url"] or request.path)
        else:
            context["problems"] = ["The confirmation was incomplete; upload the file again."]
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            raw = upload.read()
            try:
                report = import_files([(upload.name, raw)], dry_run=True, may_delete=may_delete)
            except ImportFailed as failure:
                context["problems"] = failure.lines()
            else:
                context["report"] = report
                context["changes"] = report.change_lines()
                context["confirm_form"] = ConfirmForm(
                    initial={"name": upload.name, "content": raw.decode("utf-8-sig")}
                )
    context["form"] = form
    return TemplateResponse(request, "admin/agreements/meeting/import.html", context)


def import_format_view(request):
    """The file format, as the documentation gives it (Markdown, readable as plain text)."""
    return HttpResponse(FORMAT_PAGE.read_text(encoding="utf-8"), content_type="text/plain; charset=utf-8")


def import_example_view(request):
    """An example file to start from: the seed data in the import format."""
    return FileResponse(EXAMPLE_FILE.open("rb"), as_attachment=True, filename="example-meetings.json")


def log_import(user, name, report):
    """Record every object the import created or changed in the admin's history, as edits are;
    a meeting's or an agreement's entry names the fields that changed."""
    fields = {(change.record, change.slug): change.fields for change in report.changes}
    for model, (created, changed) in report.written.items():
        if created:
            LogEntry.objects.log_actions(user.pk, created, ADDITION, change_message=f"Imported from {name}.")
        for obj in changed:
            if model in (Meeting, Agreement):
                what = ", ".join(fields.get((model._meta.model_name, obj.slug)) or []) or "its record"
                message = f"Imported from {name}: {what}."
            else:
                message = f"Imported from {name}."
            LogEntry.objects.log_actions(user.pk, [obj], CHANGE, change_message=message)


def _changelist_url():
    """The meeting list in the admin, if the admin shows meetings."""
    if not admin.site.is_registered(Meeting):
        return ""
    return reverse("admin:agreements_meeting_changelist")
