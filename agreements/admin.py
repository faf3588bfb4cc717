"""The editors' admin: every record, with search, filters and the children inline."""

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import slugify

from .importer import allocate_slugs
from .models import (
    Agreement,
    AgreementCitation,
    AgreementEvent,
    AgreementText,
    Commitment,
    CommitmentCitation,
    CommitmentLink,
    Correction,
    CorrectionState,
    Country,
    DiplomaticTie,
    Grouping,
    Leader,
    LeaderCitation,
    Meeting,
    MeetingCitation,
    Signatory,
    Source,
    StatusChange,
    Topic,
)


class CheckedChangeList(ChangeList):
    """A changelist whose query is compiled at once, so an unusable filter in the URL
    (`?end_date__year=0`) gets the admin's "invalid filter" redirect instead of a 500."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        try:
            str(queryset.query)
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error
        return queryset


class RecordAdmin(admin.ModelAdmin):
    """The change form of a record with `updated_at` carries the version the editor opened; a save
    over a newer version (another editor's, or an import's) is refused with a message, not lost."""

    def get_changelist(self, request, **kwargs):
        return CheckedChangeList

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and getattr(obj, "updated_at", None):
            context["loaded_version"] = request.POST.get("_loaded_version") or obj.updated_at.isoformat()
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None or not hasattr(obj, "updated_at"):
            return form

        class EditConflictChecked(form):
            def clean(self):
                cleaned_data = super().clean()
                if problem := edit_conflict(self.instance, self.data.get("_loaded_version")):
                    raise forms.ValidationError(problem, code="edit_conflict")
                return cleaned_data

        EditConflictChecked.__name__ = form.__name__
        return EditConflictChecked


def edit_conflict(record, loaded_version):
    """Why `record` cannot be saved over, or "": it changed since the editor opened it.

    The row is locked until the admin's transaction ends, so no write slips in between."""
    if not loaded_version or record.pk is None:
        return ""
    current = (
        type(record)
        ._default_manager.select_for_update()
        .filter(pk=record.pk)
        .values_list("updated_at", flat=True)
    ).first()
    if current is None or current.isoformat() == loaded_version:
        return ""
    return (
        f"This {record._meta.verbose_name} was changed by someone else (an editor or an import) at "
        f"{timezone.localtime(current):%Y-%m-%d %H:%M:%S}, after you opened it, so your changes were not "
        "saved. Open the page again to see the record as it is now, then make your changes again."
    )


class ReadOnlyAdmin(RecordAdmin):
    """Rows edited inline on their parent's page; here they are listed and shown only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AtLeastOneFormSet(forms.BaseInlineFormSet):
    """An inline formset that keeps at least one row that is not being deleted."""

    minimum_message = "Cite at least one source."

    def clean(self):
        super().clean()
        if not any(form.cleaned_data and not form.cleaned_data.get("DELETE") for form in self.forms):
            raise ValidationError(self.minimum_message)


# Reference data ------------------------------------------------------------------------------


@admin.register(Country)
class CountryAdmin(RecordAdmin):
    list_display = ["code", "name", "alpha3", "official_name", "other_names"]
    list_filter = ["groupings"]
    search_fields = ["code", "alpha3", "name", "official_name", "other_names"]
    ordering = ["name"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []


@admin.register(Grouping)
class GroupingAdmin(RecordAdmin):
    list_display = ["name", "slug", "member_count"]
    search_fields = ["name", "slug", "description"]
    list_filter = [("members", admin.RelatedOnlyFieldListFilter)]
    autocomplete_fields = ["members"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(ordering="member_count", description="members")
    def member_count(self, obj):
        return obj.member_count

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj else []


@admin.register(Topic)
class TopicAdmin(RecordAdmin):
    list_display = ["name", "slug", "position", "commitment_count"]
    list_editable = ["position"]
    search_fields = ["name", "slug", "description"]
    list_filter = ["position"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(commitment_count=Count("commitments"))

    @admin.display(ordering="commitment_count", description="commitments")
    def commitment_count(self, obj):
        return obj.commitment_count

    def get_readonly_fields(self, request, obj=None):
        # The slug is the topic's identity in URLs and import files.
        return ["slug"] if obj else []


# Sources -------------------------------------------------------------------------------------


@admin.register(Source)
class SourceAdmin(RecordAdmin):
    list_display = ["__str__", "publisher", "published", "kind", "issuer", "url"]
    list_filter = ["kind", ("issuer", admin.RelatedOnlyFieldListFilter), "published", "publisher"]
    list_select_related = ["issuer"]
    search_fields = ["url", "title", "publisher"]
    autocomplete_fields = ["issuer"]
    date_hierarchy = "published"
    fields = ["url", "title", "publisher", "published", ("kind", "issuer"), ("created_at", "updated_at")]
    readonly_fields = ["created_at", "updated_at"]


class CitationInlineMixin:
    autocomplete_fields = ["source"]
    fields = ["source", "excerpt"]
    extra = 0
    min_num = 1
    formset = AtLeastOneFormSet

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source")  # each row is labelled by it


class MeetingCitationFormSet(AtLeastOneFormSet):
    """A meeting's citations, or the sources typed in the meeting form's *New sources* box."""

    minimum_message = "Cite at least one source, here or in the New sources box."

    def _construct_form(self, i, **kwargs):
        if i >= self.initial_form_count() and self.data.get("new_sources", "").strip():
            kwargs["empty_permitted"] = True  # the row offered blank may stay blank
        return super()._construct_form(i, **kwargs)

    def clean(self):
        if self.data.get("new_sources", "").strip():
            return forms.BaseInlineFormSet.clean(self)
        return super().clean()


class MeetingCitationInline(CitationInlineMixin, admin.TabularInline):
    model = MeetingCitation
    formset = MeetingCitationFormSet


class CommitmentCitationInline(CitationInlineMixin, admin.TabularInline):
    model = CommitmentCitation


class AgreementCitationInline(CitationInlineMixin, admin.TabularInline):
    model = AgreementCitation


# People and meetings ------------------------------------------------------------------------


class LeaderCitationInline(CitationInlineMixin, admin.TabularInline):
    model = LeaderCitation
    min_num = 0  # the sources for the office and term; leaders recorded before them have none
    formset = forms.BaseInlineFormSet
    verbose_name = "source for the office and term"
    verbose_name_plural = "sources for the office and term"


@admin.register(Leader)
class LeaderAdmin(RecordAdmin):
    inlines = [LeaderCitationInline]
    list_display = ["name", "native_name", "country", "title", "took_office", "left_office"]
    list_filter = [("country", admin.RelatedOnlyFieldListFilter), "took_office"]
    list_select_related = ["country"]
    search_fields = ["name", "native_name", "title", "country__name"]
    autocomplete_fields = ["country"]
    prepopulated_fields = {"slug": ["name"]}
    date_hierarchy = "took_office"
    readonly_fields = ["created_at", "updated_at"]


class MeetingForm(forms.ModelForm):
    new_leaders = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Leaders not yet recorded, one a line: name, office, country code "
        "(Friedrich Merz, Federal Chancellor of Germany, DE). They are recorded and added to this meeting.",
    )

    new_sources = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Sources not yet recorded, one a line: address | publisher | title | publication day "
        "(https://www.elysee.fr/… | Élysée | Entretien avec Friedrich Merz | 2026-02-10); only the address "
        "is needed. They are recorded and cited by this meeting; one already recorded is cited as it is.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields[
            "slug"
        ].help_text = "Leave empty for the date, the countries and the place: 2026-01-16-it-jp-tokyo."

    def clean_new_sources(self):
        sources, problems, seen = [], [], {}
        for number, line in enumerate(self.cleaned_data["new_sources"].splitlines(), start=1):
            if not line.strip():
                continue
            url, publisher, title, published, *rest = [
                *(part.strip() for part in line.split("|")),
                "",
                "",
                "",
            ]
            try:
                if any(rest):
                    raise ValidationError(
                        "give at most an address, a publisher, a title and a day, separated by |"
                    )
                if url in seen:
                    raise ValidationError(f"the address is on line {seen[url]} already")
                seen[url] = number
                source = Source.objects.filter(url=url).first()
                if source is None:
                    source = Source(url=url, publisher=publisher, title=title)
                    source.published = forms.DateField(required=False).clean(published)
                    source.full_clean()
                sources.append(source)
            except ValidationError as error:
                problems.append(f"Line {number}: {'; '.join(error.messages)}")
        if problems:
            raise ValidationError(problems)
        return sources
        self.fields["leaders"].help_text = "Leaders of the countries chosen above; type to search."

    def clean_new_leaders(self):
        leaders, problems = [], []
        for number, line in enumerate(self.cleaned_data["new_leaders"].splitlines(), start=1):
            if not line.strip():
                continue
            name, *office, code = [part.strip() for part in line.split(",")] if "," in line else [line, ""]
            leader = Leader(name=name, title=", ".join(office), country_id=code.upper())
            try:
                if not office:
                    raise ValidationError(
                        "give the name, the office and the country code, separated by commas"
                    )
                if not Country.objects.filter(code=leader.country_id).exists():
                    raise ValidationError(f"unknown country code {code!r}")
                leader.full_clean(exclude=["slug"])
            except ValidationError as error:
                problems.append(f"Line {number}: {'; '.join(error.messages)}")
                continue
            leaders.append(leader)
        if problems:
            raise ValidationError(problems)
        return leaders

    def clean_countries(self):
        countries = self.cleaned_data["countries"]
        if len(countries) < 2:
            raise ValidationError("A meeting has at least two countries.")
        return countries

    def clean(self):
        cleaned = super().clean()
        host, countries = cleaned.get("host"), cleaned.get("countries")
        if countries is not None:
            codes = {country.code for country in countries}
            leaders = [*cleaned.get("leaders", []), *cleaned.get("new_leaders", [])]
            outside = Meeting.leaders_outside([(leader.name, leader.country_id) for leader in leaders], codes)
            if outside:
                self.add_error(None, f"Not a leader of the meeting's countries: {', '.join(outside)}.")
            if problem := Meeting.host_problem(host and host.code, codes):
                self.add_error("host", problem)
            if cleaned.get("date"):
                for other in Meeting.same_day_as(cleaned["date"], codes, exclude_pk=self.instance.pk):
                    self.add_error(
                        None,
                        f"“{other.title}” ({other.slug}) is already recorded with the same day and "
                        "countries: record a meeting once.",
                    )
                for problem in Meeting.leaders_out_of_office(cleaned.get("leaders", []), cleaned["date"]):
                    self.add_error("leaders", f"{problem}: not in office then.")
        if not cleaned.get("slug") and cleaned.get("date") and countries:
            codes = [country.code for country in countries]
            slug = Meeting.build_slug(
                cleaned["date"], codes, cleaned.get("city", ""), cleaned.get("kind", "")
            )
            if Meeting.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
                self.add_error("slug", f"Another meeting has the slug {slug}: give this one its own.")
            else:
                cleaned["slug"] = self.instance.slug = slug
        return cleaned


class TargetForm(forms.ModelForm):
    """A commitment's target typed as written in files and shown on pages: "2035" or "2035-06-30"."""

    target = forms.CharField(
        required=False, max_length=10, help_text="A year (2035) or a day (2035-06-30); empty for none."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("target", self.instance.target_display)

    def clean_target(self):
        text = self.cleaned_data["target"].strip()
        if not text:
            return None, ""
        try:
            return Commitment.parse_target(text)
        except ValueError:
            raise ValidationError("Give a year (2035) or a day (2035-06-30).") from None

    def clean(self):
        cleaned = super().clean()
        if "target" in cleaned:
            self.instance.target_date, self.instance.target_precision = cleaned["target"]
        return cleaned


class CommitmentInlineForm(TargetForm):
    """A commitment as a row of its meeting's page: narrow enough that every column shows at 1280 px."""

    SIZES = {"summary": 30, "target": 6, "level_from": 10, "level_to": 10}
    LABELS = {"level_from": "Level before", "level_to": "Level after"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, size in self.SIZES.items():
            if name in self.fields:  # plain inputs: the admin's own are 20em wide whatever their size
                self.fields[name].widget = forms.TextInput(attrs={"size": size})
        for name, label in self.LABELS.items():
            if name in self.fields:
                self.fields[name].label = label


class CommitmentInline(admin.TabularInline):
    model = Commitment
    form = CommitmentInlineForm

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "topic":  # a fixed vocabulary: no links to edit it from every row
            for action in ("add", "change", "delete", "view"):
                setattr(field.widget, f"can_{action}_related", False)
        return field

    fields = ["topic", "summary", "target", "level_from", "level_to"]  # status: on the commitment's page
    extra = 1
    show_change_link = True
    verbose_name_plural = (
        "commitments (new ones take the meeting's countries as parties and its sources as citations; "
        "refine them on the commitment's own page)"
    )


@admin.register(Meeting)
class MeetingAdmin(RecordAdmin):
    form = MeetingForm
    list_display = ["date", "title", "kind", "city", "host", "country_codes"]
    list_display_links = ["date", "title"]
    list_filter = ["kind", "date", ("countries", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["host"]
    search_fields = ["title", "summary", "city", "venue", "slug", "leaders__name", "countries__name"]
    autocomplete_fields = ["host", "countries", "leaders"]
    date_hierarchy = "date"
    fields = [
        "title",
        ("date", "end_date"),
        "kind",
        "countries",
        "host",
        ("city", "venue"),
        "leaders",
        "new_leaders",
        "summary",
        "new_sources",
        "slug",
        ("created_at", "updated_at"),
    ]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MeetingCitationInline, CommitmentInline]

    class Media:
        # after django.jQuery is set
        js = ["admin/js/jquery.init.js", "js/meeting-leaders.js", "js/first-error.js"]

    def save_related(self, request, form, formsets, change):
        # The citations first, then the new sources (a row deleted and typed again stays cited),
        # then the commitments, which cite the meeting's sources when they are saved.
        form.save_m2m()
        citations = [formset for formset in formsets if formset.model is MeetingCitation]
        for formset in citations:
            self.save_formset(request, form, formset, change=change)
        for source in form.cleaned_data.get("new_sources", []):
            if source.pk is None:
                source.save()
                self.log_addition(request, source, [{"added": {}}])
            MeetingCitation.objects.get_or_create(meeting=form.instance, source=source)
        for formset in formsets:
            if formset not in citations:
                self.save_formset(request, form, formset, change=change)
        new_leaders = form.cleaned_data.get("new_leaders", [])
        slugs = allocate_slugs(Leader, [slugify(leader.name) for leader in new_leaders])
        for leader, slug in zip(new_leaders, slugs, strict=True):
            leader.slug = slug
            leader.save()
            self.log_addition(request, leader, [{"added": {}}])
        form.instance.leaders.add(*new_leaders)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("countries")

    @admin.display(description="countries")
    def country_codes(self, obj):
        return ", ".join(sorted(country.code for country in obj.countries.all()))

    def save_formset(self, request, form, formset, change):
        if formset.model is not Commitment:
            return super().save_formset(request, form, formset, change)
        super().save_formset(request, form, formset, change)
        Commitment.objects.filter(
            pk__in=[commitment.pk for commitment in formset.new_objects]
        ).complete_from_meetings()


# Commitments ---------------------------------------------------------------------------------


class HistoryFormSet(forms.BaseInlineFormSet):
    """A commitment's history keeps at least one entry (a new one's is written when it is saved),
    and its reviews restate the status in effect before them (`StatusChange.history_problems`)."""

    def clean(self):
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.is_valid()
            and not self._should_delete_form(form)
            and form.cleaned_data.get("date")
            and form.cleaned_data.get("status")
        ]
        entries = [
            (
                form.cleaned_data["date"],
                (0, form.instance.pk) if form.instance.pk else (1, index),
                form.cleaned_data["status"],
                form.cleaned_data["party"].code if form.cleaned_data.get("party") else None,
                form.cleaned_data.get("review", False),
            )
            for index, form in enumerate(kept)
        ]
        if self.instance.pk is not None:  # with the recorded entries this page does not send
            sent = [form.instance.pk for form in self.initial_forms]
            entries += [
                (entry.date, (0, entry.pk), entry.status, entry.party_id, entry.review)
                for entry in self.get_queryset().exclude(pk__in=sent)
            ]
        for index, problem in StatusChange.history_problems(entries).items():
            if index < len(kept):
                kept[index].add_error("review", problem)
        if self.instance.pk is None:
            return
        deleted = [form.instance.pk for form in self.initial_forms if self._should_delete_form(form)]
        remaining = self.get_queryset().exclude(pk__in=deleted).count()
        added = [
            form for form in self.extra_forms if form.has_changed() and not self._should_delete_form(form)
        ]
        if not remaining and not added:
            raise ValidationError(
                "Keep at least one entry: the first says when the commitment was announced."
            )


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    formset = HistoryFormSet
    fields = ["date", "status", "party", "review", "source", "note"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 24})}}
    autocomplete_fields = ["source", "party"]
    extra = 0
    verbose_name_plural = (
        "status history (public: each change of status, or a review that found none, with the source "
        "that shows it; an entry may concern one party only; the commitment's status is that of the "
        "latest entry for all parties)"
    )


class CommitmentLinkInline(admin.TabularInline):
    model = CommitmentLink
    fk_name = "commitment"
    fields = ["kind", "earlier", "note"]
    autocomplete_fields = ["earlier"]
    extra = 0
    verbose_name = "link to an earlier commitment"
    verbose_name_plural = (
        "thread (this commitment reaffirms, extends, supersedes or fulfils one agreed before it; "
        "shown on both commitments' pages)"
    )


class CommitmentForm(TargetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parties"].required = False
        self.fields["parties"].help_text = "Leave empty for the meeting's countries."


@admin.register(Commitment)
class CommitmentAdmin(RecordAdmin):
    form = CommitmentForm
    exclude = ["target_date", "target_precision"]  # typed as one `target`
    list_display = ["summary", "meeting", "topic", "status", "target_date"]
    list_filter = ["topic", "status", ("parties", admin.RelatedOnlyFieldListFilter), "meeting_date"]
    list_select_related = ["meeting", "topic"]
    search_fields = ["summary", "detail", "meeting__title", "level_from", "level_to"]
    autocomplete_fields = ["meeting", "parties", "agreement", "fulfilled_by"]
    date_hierarchy = "meeting_date"
    readonly_fields = ["status", "superseded", "created_at", "updated_at"]
    inlines = [CommitmentCitationInline, StatusChangeInline, CommitmentLinkInline]

    class Media:
        js = ["js/first-error.js"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        Commitment.objects.filter(pk=form.instance.pk).complete_from_meetings()


# Agreements ----------------------------------------------------------------------------------


class AgreementForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields[
            "slug"
        ].help_text = "Leave empty for the date, the parties and the kind: 2024-11-25-it-jp-agreement."

    def clean(self):
        cleaned = super().clean()
        for name in ("supersedes", "amends"):
            related = [other.pk for other in cleaned.get(name) or []]
            if problem := Agreement.relation_problem(self.instance.pk, related):
                self.add_error(name, problem)
        parties = cleaned.get("parties")
        if parties is not None:
            codes = [country.code for country in parties]
            # The event and signatory rows, checked after this form, act for these parties.
            self.instance.parties_given = set(codes)
            if problem := Agreement.parties_problem(codes):
                self.add_error("parties", problem)
            elif not cleaned.get("slug") and cleaned.get("date") and cleaned.get("kind"):
                slug = Agreement.build_slug(cleaned["date"], codes, cleaned["kind"])
                if Agreement.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
                    self.add_error("slug", f"Another agreement has the slug {slug}: give this one its own.")
                else:
                    cleaned["slug"] = self.instance.slug = slug
        return cleaned


class PartiesFormSet(forms.BaseInlineFormSet):
    """Rows that act for one of the agreement's parties: its `country_field` must be one of them,
    as the agreement's form gives them (or as recorded, when that form has a problem)."""

    country_field = "country"

    def clean(self):
        super().clean()
        parties = getattr(self.instance, "parties_given", None)
        if parties is None:
            parties = {country.code for country in self.instance.parties.all()} if self.instance.pk else set()
        for form in self.forms:
            if not form.is_valid() or form.cleaned_data.get("DELETE"):
                continue
            country = form.cleaned_data.get(self.country_field)
            if parties and (problem := Agreement.party_problem(parties, country.code if country else "")):
                form.add_error(self.country_field, problem)


class EventPartiesFormSet(PartiesFormSet):
    country_field = "party"


class AgreementEventInline(admin.TabularInline):
    model = AgreementEvent
    formset = EventPartiesFormSet
    fields = ["date", "kind", "party", "source", "note"]
    autocomplete_fields = ["party", "source"]
    extra = 0
    verbose_name_plural = (
        "events (public: signature, each party's ratification, entry into force, amendment, end; "
        "the agreement's status is that of the latest which changes it; a new agreement without "
        "events is recorded as signed or adopted on its date, citing its first source)"
    )


class SignatoryInline(admin.TabularInline):
    model = Signatory
    formset = PartiesFormSet
    fields = ["country", "leader", "name", "office"]
    autocomplete_fields = ["country", "leader"]
    extra = 0
    verbose_name_plural = "signatories (a leader of the record, or a name and the office held then)"


class AgreementTextInline(admin.TabularInline):
    model = AgreementText
    fields = ["language", "kind", "url", "title"]
    extra = 0
    verbose_name_plural = "texts (where it can be read, by language)"


@admin.register(Agreement)
class AgreementAdmin(RecordAdmin):
    form = AgreementForm
    list_display = ["date", "title", "kind", "binding", "status", "party_codes"]
    list_display_links = ["date", "title"]
    list_filter = ["kind", "status", "binding", "date", ("parties", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "original_title", "summary", "place", "slug"]
    autocomplete_fields = ["parties", "meeting", "supersedes", "amends"]
    date_hierarchy = "date"
    fields = [
        "title",
        "title_is_translation",
        ("original_title", "original_language"),
        ("kind", "binding"),
        ("date", "place"),
        "parties",
        "meeting",
        "summary",
        ("supersedes", "amends"),
        "status",
        "slug",
        ("created_at", "updated_at"),
    ]
    readonly_fields = ["status", "created_at", "updated_at"]
    inlines = [AgreementCitationInline, AgreementEventInline, SignatoryInline, AgreementTextInline]

    class Media:
        js = ["js/first-error.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("parties")

    @admin.display(description="parties")
    def party_codes(self, obj):
        return ", ".join(sorted(country.code for country in obj.parties.all()))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        Agreement.objects.filter(pk=form.instance.pk).complete()


@admin.register(AgreementEvent)
class AgreementEventAdmin(ReadOnlyAdmin):
    list_display = ["date", "kind", "agreement", "party", "source"]
    list_filter = ["kind", "date"]
    list_select_related = ["agreement", "party", "source"]
    search_fields = ["note", "agreement__title", "source__url", "source__title"]
    date_hierarchy = "date"


@admin.register(Signatory)
class SignatoryAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "office", "country", "agreement"]
    list_filter = [("country", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["agreement", "country", "leader"]
    search_fields = ["name", "office", "leader__name", "agreement__title"]


@admin.register(AgreementText)
class AgreementTextAdmin(ReadOnlyAdmin):
    list_display = ["agreement", "language", "kind", "url"]
    list_filter = ["language", "kind"]
    list_select_related = ["agreement"]
    search_fields = ["url", "title", "agreement__title"]


@admin.register(AgreementCitation)
class AgreementCitationAdmin(ReadOnlyAdmin):
    list_display = ["agreement", "source", "excerpt"]
    list_select_related = ["agreement", "source"]
    search_fields = ["excerpt", "agreement__title", "source__url", "source__title"]


@admin.register(CommitmentLink)
class CommitmentLinkAdmin(ReadOnlyAdmin):
    list_display = ["commitment", "kind", "earlier"]
    list_filter = ["kind"]
    list_select_related = ["commitment", "earlier"]
    search_fields = ["note", "commitment__summary", "earlier__summary"]


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["date", "status", "commitment", "source"]
    list_filter = ["status", "date"]
    list_select_related = ["commitment", "source"]
    search_fields = ["note", "commitment__summary", "source__url", "source__title"]
    autocomplete_fields = ["commitment", "source"]
    date_hierarchy = "date"


@admin.register(MeetingCitation)
class MeetingCitationAdmin(ReadOnlyAdmin):
    list_display = ["meeting", "source", "excerpt"]
    list_filter = ["meeting__date"]
    list_select_related = ["meeting", "source"]
    search_fields = ["excerpt", "meeting__title", "source__url", "source__title"]
    autocomplete_fields = ["meeting", "source"]


@admin.register(LeaderCitation)
class LeaderCitationAdmin(ReadOnlyAdmin):
    list_display = ["leader", "source", "excerpt"]
    list_filter = [("leader__country", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["leader", "source"]
    search_fields = ["excerpt", "leader__name", "source__url", "source__title"]
    autocomplete_fields = ["leader", "source"]


@admin.register(CommitmentCitation)
class CommitmentCitationAdmin(ReadOnlyAdmin):
    list_display = ["commitment", "source", "excerpt"]
    list_filter = ["commitment__topic"]
    list_select_related = ["commitment", "source"]
    search_fields = ["excerpt", "commitment__summary", "source__url", "source__title"]
    autocomplete_fields = ["commitment", "source"]


@admin.register(DiplomaticTie)
class DiplomaticTieAdmin(RecordAdmin):
    list_display = ["country_a", "country_b", "established", "description"]
    list_filter = ["established"]
    list_select_related = ["country_a", "country_b", "source"]
    search_fields = ["country_a__name", "country_b__name", "description"]
    autocomplete_fields = ["country_a", "country_b", "source"]
    date_hierarchy = "established"


# Corrections ---------------------------------------------------------------------------------


class RecordKindFilter(admin.SimpleListFilter):
    """The kind of record a correction's page shows, from the start of its path."""

    title = "page kind"
    parameter_name = "kind"
    KINDS = {
        "meetings": "Meetings",
        "commitments": "Commitments",
        "agreements": "Agreements",
        "countries": "Countries",
        "leaders": "Leaders",
        "topics": "Topics",
        "relations": "Pairs",
    }

    def lookups(self, request, model_admin):
        return list(self.KINDS.items())

    def queryset(self, request, queryset):
        if self.value() in self.KINDS:
            return queryset.filter(page__startswith=f"/{self.value()}/")
        return queryset


@admin.register(Correction)
class CorrectionAdmin(RecordAdmin):
    """Readers' reports: the editors accept or reject them (a note says what was corrected)."""

    list_display = ["received_at", "page", "state", "description_start", "decided_at"]
    list_filter = ["state", RecordKindFilter, "page"]
    search_fields = ["page", "description", "public_note", "email"]
    date_hierarchy = "received_at"
    fields = [
        "page_link",
        "description",
        "source_url",
        "email",
        "received_at",
        "state",
        "decided_at",
        "public_note",
    ]
    readonly_fields = ["page_link", "description", "source_url", "email", "received_at", "decided_at"]
    actions = ["accept", "reject"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="report")
    def description_start(self, correction):
        text = correction.description
        return text if len(text) <= 80 else f"{text[:79]}…"

    @admin.display(description="page")
    def page_link(self, correction):
        return format_html('<a href="{}">{}</a>', correction.page, correction.page)

    def save_model(self, request, obj, form, change):
        if "state" in form.changed_data:
            obj.decide(obj.state)
        super().save_model(request, obj, form, change)

    def decide(self, request, queryset, state):
        count = queryset.exclude(state=state).update(state=state, decided_at=timezone.now())
        self.message_user(request, f"{count} correction(s) marked {CorrectionState(state).label.lower()}.")

    @admin.action(description="Accept the selected corrections", permissions=["change"])
    def accept(self, request, queryset):
        self.decide(request, queryset, CorrectionState.ACCEPTED)

    @admin.action(description="Reject the selected corrections", permissions=["change"])
    def reject(self, request, queryset):
        self.decide(request, queryset, CorrectionState.REJECTED)
