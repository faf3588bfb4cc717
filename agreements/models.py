"""The record: countries, leaders, meetings and what was committed at them.

Integrity lives in the database: natural keys are unique, vocabularies and
date orders are check constraints, and deleting anything that history points
at is refused (PROTECT).
"""

import datetime
import re

import pycountry
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import ExtractYear, Length, Upper
from django.db.models.lookups import Exact, GreaterThan, LessThanOrEqual
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

PARTNERSHIP_UPGRADE = "partnership-upgrade"
EXCERPT_MAX_WORDS = 25


class Timestamped(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


# Reference data ------------------------------------------------------------------------------


class CountryQuerySet(models.QuerySet):
    def get_by_natural_key(self, code):
        return self.get(code=code)

    def with_records(self):
        """Countries that took part in at least one meeting."""
        return self.filter(Exists(Meeting.countries.through.objects.filter(country=OuterRef("pk"))))

    def with_commitments(self):
        """Countries party to at least one commitment."""
        return self.filter(Exists(Commitment.parties.through.objects.filter(country=OuterRef("pk"))))

    def with_agreements(self):
        """Countries party to at least one agreement."""
        return self.filter(Exists(Agreement.parties.through.objects.filter(country=OuterRef("pk"))))

    def matching(self, text):
        """Countries whose names or codes hold every term of `text` (`agreements.search`)."""
        from .search import terms, text_matches

        fields = ("name", "official_name", "other_names", "code", "alpha3")
        return self.filter(text_matches(fields, terms(text), connections[self.db].vendor))


class Country(models.Model):
    """A party: an ISO 3166-1 country, or the European Union (code EU).

    Country, Grouping and Topic use their natural key as primary key, so fixtures and
    dumps refer to them by code or slug on every database without a natural_key().
    """

    code = models.CharField("ISO alpha-2 code", max_length=2, primary_key=True)
    alpha3 = models.CharField("ISO alpha-3 code", max_length=3, blank=True)
    name = models.CharField(max_length=100)
    official_name = models.CharField(max_length=200, blank=True)
    other_names = models.CharField(
        max_length=200, blank=True, help_text="Names it is also known by, searched in the admin: UK, Britain."
    )

    objects = CountryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "countries"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Exact(Length("code"), 2), name="country_code_two_letters"),
            models.CheckConstraint(condition=Q(code=Upper("code")), name="country_code_upper_case"),
            models.UniqueConstraint(fields=["alpha3"], condition=~Q(alpha3=""), name="country_alpha3_unique"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("agreements:country-detail", args=[self.code.lower()])


class GroupingQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Grouping(models.Model):
    """A club of countries whose membership is shown beside a pair: G7, G20."""

    slug = models.SlugField(primary_key=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(Country, related_name="groupings", blank=True)
    source_url = models.URLField("source of the membership", max_length=500)

    objects = GroupingQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class TopicQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Topic(models.Model):
    """The controlled vocabulary commitments are filed under."""

    slug = models.SlugField(primary_key=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in lists; lower first.")

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("agreements:topic-detail", args=[self.slug])


# Sources -------------------------------------------------------------------------------------


class SourceQuerySet(models.QuerySet):
    def get_by_natural_key(self, url):
        return self.get(url=url)


class SourceKind(models.TextChoices):
    """Whose account a source is: what a reader weighs when one side reports what the other omits."""

    REPORT = "report", "Report"
    OFFICIAL = "official", "One government's account"
    JOINT = "joint", "Joint document"


class Source(Timestamped):
    """A published document a fact comes from, identified by its URL."""

    url = models.URLField("URL", max_length=500, unique=True)
    publisher = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=500, blank=True)
    published = models.DateField("publication date", null=True, blank=True)
    kind = models.CharField(
        "account",
        max_length=10,
        choices=SourceKind,
        default=SourceKind.REPORT,
        db_default=SourceKind.REPORT,
        help_text="A government's own readout or statement, a document the parties issued together, "
        "or a report by anyone else (news, analysis).",
    )
    issuer = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
        help_text="The government whose account it is; only for one government's account.",
    )

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = [F("published").desc(nulls_last=True), "url"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SourceKind.values), name="source_kind_known"),
            models.CheckConstraint(
                condition=Q(kind=SourceKind.OFFICIAL, issuer__isnull=False)
                | (~Q(kind=SourceKind.OFFICIAL) & Q(issuer__isnull=True)),
                name="source_issuer_only_for_official_accounts",
                violation_error_message=(
                    "One government's account names that government; other sources name none."
                ),
            ),
        ]

    def __str__(self):
        return self.title or self.url

    def natural_key(self):
        return (self.url,)

    @property
    def account_label(self):
        """Whose account this is, in a few words: "Japan's account", "Joint document", "Report"."""
        if self.kind == SourceKind.OFFICIAL and self.issuer_id:
            return f"{self.issuer.name}'s account"
        return self.get_kind_display()


class Citation(models.Model):
    """A record citing a source, optionally with a short quoted excerpt."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT)
    excerpt = models.CharField(
        max_length=300, blank=True, help_text=f"A short quotation, {EXCERPT_MAX_WORDS} words at most."
    )

    class Meta:
        abstract = True

    def clean(self):
        if problem := self.excerpt_problem(self.excerpt):
            raise ValidationError({"excerpt": f"{problem[0].upper()}{problem[1:]}."})

    @staticmethod
    def excerpt_problem(excerpt):
        """Why `excerpt` cannot be quoted, or "": a quotation is short."""
        words = len(excerpt.split())
        if words > EXCERPT_MAX_WORDS:
            return f"{words} words; keep a quoted excerpt to {EXCERPT_MAX_WORDS} words at most"
        return ""


# People and meetings ------------------------------------------------------------------------


class LeaderQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)

    def matching(self, text):
        """Leaders whose name, in Latin or native script, holds every term of `text`."""
        from .search import terms, text_matches

        return self.filter(text_matches(("name", "native_name"), terms(text), connections[self.db].vendor))

    def in_office_on(self, day):
        return self.filter(Q(took_office__isnull=True) | Q(took_office__lte=day)).filter(
            Q(left_office__isnull=True) | Q(left_office__gt=day)
        )


class Leader(Timestamped):
    """A person who speaks for a country, with the office they hold or held."""

    name = models.CharField(max_length=200)
    native_name = models.CharField("name in native script", max_length=200, blank=True)
    slug = models.SlugField(max_length=200, unique=True)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="leaders")
    title = models.CharField(max_length=200, help_text="The office, e.g. Prime Minister of Japan.")
    took_office = models.DateField(null=True, blank=True)
    left_office = models.DateField(null=True, blank=True)

    objects = LeaderQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "country"], name="leader_unique_name_per_country"),
            models.CheckConstraint(
                condition=Q(left_office__isnull=True)
                | Q(took_office__isnull=True)
                | Q(left_office__gte=F("took_office")),
                name="leader_term_ends_after_it_starts",
                violation_error_message="A term cannot end before it starts.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("agreements:leader-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    @property
    def in_office(self):
        return self.left_office is None

    def term_problem_on(self, day):
        """Why this leader could not have spoken for their country on `day`, or "".

        A leader still meets on the day their term ends (an outgoing leader's last talks)."""
        if self.took_office and day < self.took_office:
            return f"{self.name} took office on {self.took_office}, after {day}"
        if self.left_office and day > self.left_office:
            return f"{self.name} left office on {self.left_office}, before {day}"
        return ""


class LeaderCitation(Citation):
    """A source for a leader's office and term."""

    leader = models.ForeignKey(Leader, on_delete=models.CASCADE, related_name="citations")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["leader", "source"], name="leader_cites_source_once"),
        ]

    def __str__(self):
        return str(self.source)


class MeetingKind(models.TextChoices):
    OFFICIAL_VISIT = "official-visit", "Official visit"
    SUMMIT = "summit", "Summit"
    SIDELINE_TALKS = "sideline-talks", "Talks on the sidelines"
    PHONE_CALL = "phone-call", "Phone call"
    VIDEO_CALL = "video-call", "Video call"
    ENCOUNTER = "encounter", "Encounter"


class MeetingQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)

    def involving(self, *countries):
        """Meetings in which every one of the given countries (or codes) took part; for two, the
        pair's rows (`MeetingPair`) are one index range."""
        if len(countries) == 2:
            return self.filter(pk__in=MeetingPair.objects.between(*countries).values("meeting"))
        queryset = self
        for country in countries:
            queryset = queryset.filter(countries=country)
        return queryset

    def with_related(self):
        return self.select_related("host").prefetch_related("countries", "leaders")

    def matching(self, text):
        """Meetings whose title, summary, place or leaders' names hold every word of `text`."""
        from .search import Search

        return Search(self.model, text, self.db).apply(self)


class Meeting(Timestamped):
    """Leaders meeting, in person or on a call."""

    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=MeetingKind)
    date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Last day, for visits of several days.")
    city = models.CharField(max_length=200, blank=True, help_text="Empty for calls.")
    venue = models.CharField(max_length=200, blank=True)
    host = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_meetings",
        help_text="Empty for a meeting in a third country or a call.",
    )
    countries = models.ManyToManyField(Country, related_name="meetings")
    leaders = models.ManyToManyField(Leader, related_name="meetings", blank=True)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    sources = models.ManyToManyField(Source, through="MeetingCitation", related_name="meetings")

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]  # as the pair and party rows' indexes read backwards
        indexes = [
            models.Index(fields=["date", "id"], name="meeting_date_idx"),
            models.Index(fields=["kind", "-date"], name="meeting_kind_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=MeetingKind.values), name="meeting_kind_known"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("date")),
                name="meeting_ends_after_it_starts",
                violation_error_message="The end date cannot be before the start date.",
            ),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.title}"

    def get_absolute_url(self):
        return reverse("agreements:meeting-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    @staticmethod
    def host_problem(host_code, country_codes):
        """Why `host_code` cannot host a meeting of `country_codes`, or "": a meeting in a third
        country or a call has no host."""
        if host_code and host_code not in country_codes:
            return "The host is one of the meeting's countries (leave it empty for a third country)."
        return ""

    @staticmethod
    def leaders_outside(leaders, country_codes):
        """The names of `leaders` ((name, country code) pairs) who do not speak for one of the
        meeting's countries: a meeting's leaders are its countries' leaders."""
        return [name for name, code in leaders if code not in country_codes]

    @staticmethod
    def day_key(date, country_codes):
        """Leaders meet once a day: two meetings with the same key are two records of one."""
        return (date, frozenset(country_codes))

    @classmethod
    def same_day_as(cls, date, country_codes, exclude_pk=None):
        """The recorded meetings with the same day and countries (`day_key`), but `exclude_pk`."""
        key = cls.day_key(date, country_codes)
        candidates = cls.objects.filter(date=date).exclude(pk=exclude_pk).prefetch_related("countries")
        return [
            meeting
            for meeting in candidates
            if cls.day_key(meeting.date, (country.code for country in meeting.countries.all())) == key
        ]

    @staticmethod
    def leaders_out_of_office(leaders, date):
        """Why each of `leaders` could not have taken part on `date` (`Leader.term_problem_on`)."""
        return [problem for leader in leaders if (problem := leader.term_problem_on(date))]

    @staticmethod
    def build_slug(date, country_codes, city="", kind=""):
        """A readable, stable slug: `2026-01-16-it-jp-tokyo`."""
        codes = "-".join(sorted(code.lower() for code in country_codes))
        place = slugify(city) or kind
        return slugify(f"{date:%Y-%m-%d}-{codes}-{place}")[:200]


class MeetingCitation(Citation):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="citations")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "source"], name="meeting_cites_source_once"),
        ]

    def __str__(self):
        return str(self.source)


# Commitments ---------------------------------------------------------------------------------


class Status(models.TextChoices):
    ANNOUNCED = "announced", "Announced"
    IN_PROGRESS = "in-progress", "In progress"
    FULFILLED = "fulfilled", "Fulfilled"
    LAPSED = "lapsed", "Lapsed"


OPEN_STATUSES = (Status.ANNOUNCED, Status.IN_PROGRESS)  # neither fulfilled nor lapsed


class TargetPrecision(models.TextChoices):
    YEAR = "year", "Year"
    DAY = "day", "Day"


STALE_AFTER = datetime.timedelta(days=365)


def stale_before(today=None):
    """The day before which an open commitment's last review makes it stale."""
    return (today or timezone.localdate()) - STALE_AFTER


# What a follow-through scorecard counts, after its scope, in the indexes that hold them all: on
# the commitments (by topic), their party rows (by country) and their pair rows (migration 0026).
FOLLOW_THROUGH = ["status", "reviewed_on", "target_date", "fulfilled_on", "meeting_date"]


class DaysBetween(models.Func):
    """The whole days from one date to a later one, in the database."""

    output_field = models.IntegerField()

    def __init__(self, start, end):
        super().__init__(start, end)

    def as_sql(self, compiler, connection, template="({end} - {start})", **extra_context):
        (start, start_params), (end, end_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        return template.format(start=start, end=end), [*end_params, *start_params]

    def as_sqlite(self, compiler, connection, **extra_context):
        template = "CAST(julianday({end}) - julianday({start}) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


class CommitmentQuerySet(models.QuerySet):
    def get_by_natural_key(self, meeting_slug, topic_slug, summary):
        return self.get(meeting__slug=meeting_slug, topic=topic_slug, summary=summary)

    def on_topic(self, *topics):
        return self.filter(topic__in=topics)

    def between(self, *countries):
        """Commitments to which every one of the given countries is a party; for two, the pair's
        rows (`CommitmentPair`) are one index range."""
        if len(countries) == 2:
            return self.filter(pk__in=CommitmentPair.objects.between(*countries).values("commitment"))
        queryset = self
        for country in countries:
            queryset = queryset.filter(parties=country)
        return queryset

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.filter(target_date__lt=today).exclude(status=Status.FULFILLED)

    def stale(self, today=None):
        """Still open (announced or in progress) and not reviewed for more than `STALE_AFTER`."""
        return self.filter(status__in=OPEN_STATUSES, reviewed_on__lt=stale_before(today))

    def with_party_status(self, code):
        """Each with `party_status`: the status for the party `code`, that of its latest history
        entry for that party or for all."""
        latest = (
            StatusChange.objects.filter(commitment=OuterRef("pk"))
            .filter(Q(party__isnull=True) | Q(party=code))
            .order_by("-date", "-id")
            .values("status")[:1]
        )
        return self.annotate(party_status=Subquery(latest))

    def with_related(self):
        return self.select_related("meeting", "topic").prefetch_related("parties")

    def complete_from_meetings(self):
        """Give these commitments what they take from their meeting where nothing else was given:
        the meeting's countries as parties, its sources as citations, and a first history entry,
        "announced" on the meeting's day and citing the meeting's first source. The admin and the
        importer call this after creating commitments; it returns the history entries it wrote."""
        commitments = list(self.order_by("pk").values_list("pk", "meeting_id"))
        if not commitments:
            return []
        meeting_ids = {meeting_id for _, meeting_id in commitments}
        countries, sources = {}, {}
        for meeting_id, code in Meeting.countries.through.objects.filter(meeting__in=meeting_ids).values_list(
            "meeting_id", "country_id"
        ):
            countries.setdefault(meeting_id, []).append(code)
        for meeting_id, source_id in (
            MeetingCitation.objects.filter(meeting__in=meeting_ids)
            .order_by("id")
            .values_list("meeting_id", "source_id")
        ):
            sources.setdefault(meeting_id, []).append(source_id)
        dates = dict(Meeting.objects.filter(pk__in=meeting_ids).values_list("pk", "date"))
        ids = [pk for pk, _ in commitments]
        with_parties = set(
            Commitment.parties.through.objects.filter(commitment__in=ids).values_list(
                "commitment_id", flat=True
            )
        )
        cited = set(
            CommitmentCitation.objects.filter(commitment__in=ids).values_list("commitment_id", flat=True)
        )
        with_history = set(
            StatusChange.objects.filter(commitment__in=ids).values_list("commitment_id", flat=True)
        )

        Commitment.parties.through.objects.bulk_create(
            Commitment.parties.through(commitment_id=pk, country_id=code)
            for pk, meeting_id in commitments
            if pk not in with_parties
            for code in countries.get(meeting_id, [])
        )
        CommitmentCitation.objects.bulk_create(
            CommitmentCitation(commitment_id=pk, source_id=source_id)
            for pk, meeting_id in commitments
            if pk not in cited
            for source_id in sources.get(meeting_id, [])
        )
        return StatusChange.objects.bulk_create(
            StatusChange(
                commitment_id=pk,
                date=dates[meeting_id],
                status=Status.ANNOUNCED,
                source_id=sources[meeting_id][0],
            )
            for pk, meeting_id in commitments
            if pk not in with_history and sources.get(meeting_id)
        )

    def matching(self, text):
        """Commitments whose summary, detail, meeting title, place or leaders' names hold every word."""
        from .search import Search

        return Search(self.model, text, self.db).apply(self)


def not_a_party(record, party_codes, code):
    """Why the country `code` cannot act for a `record` ("commitment", "agreement") whose parties
    are `party_codes`, or "": it must be one of them."""
    if code and code not in party_codes:
        return f"The {record}'s parties ({', '.join(sorted(party_codes))}) do not include {code}."
    return ""


class KeptByTheDatabase(models.Model):
    """A record some of whose columns (`kept_by_the_database`) only the database's triggers write.

    A fixture or a backup loaded over existing rows (`loaddata`, a raw save) updates every other
    column but leaves those: the history loaded after the row gives them, and the database refuses
    any other value."""

    kept_by_the_database = ()

    class Meta:
        abstract = True

    def _save_table(self, raw=False, *args, **kwargs):
        self._raw_save = raw
        return super()._save_table(raw, *args, **kwargs)

    def _do_update(self, base_qs, using, pk_val, values, *args, **kwargs):
        if getattr(self, "_raw_save", False):
            values = [value for value in values if value[0].name not in self.kept_by_the_database]
        return super()._do_update(base_qs, using, pk_val, values, *args, **kwargs)


class Commitment(KeptByTheDatabase, Timestamped):
    """One thing agreed at a meeting."""

    kept_by_the_database = ("status", "superseded", "reviewed_on", "fulfilled_on")

    NEWEST_FIRST = ("-meeting_date", "-id")  # the lists' order; indexes end in (meeting_date, id)

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="commitments")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="commitments")
    summary = models.CharField(max_length=300, help_text="One line, in our own words.")
    detail = models.TextField(blank=True)
    status = models.CharField(
        max_length=20,
        choices=Status,
        default=Status.ANNOUNCED,
        editable=False,
        help_text="That of its latest status history entry: add a dated, sourced entry to change it.",
    )
    parties = models.ManyToManyField(
        Country, related_name="commitments", help_text="Usually the meeting's countries."
    )
    target_date = models.DateField(
        null=True, blank=True, help_text="When it is due. For a target year, the year's last day."
    )
    target_precision = models.CharField(max_length=4, choices=TargetPrecision, blank=True)
    level_from = models.CharField(
        "partnership level before", max_length=100, blank=True, help_text="Partnership upgrades only."
    )
    level_to = models.CharField(
        "partnership level after", max_length=100, blank=True, help_text="Partnership upgrades only."
    )
    sources = models.ManyToManyField(Source, through="CommitmentCitation", related_name="commitments")
    agreement = models.ForeignKey(
        "Agreement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
        help_text="The agreed text it comes from, if it is recorded.",
    )
    paragraph = models.CharField(
        max_length=50,
        blank=True,
        db_default="",
        help_text="Where in that text: a paragraph or section number.",
    )
    fulfilled_by = models.ForeignKey(
        "Agreement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fulfils",
        help_text="The agreement that fulfils it, if one does (a negotiation opened, then its text signed).",
    )
    superseded = models.BooleanField(
        default=False,
        db_default=False,
        editable=False,
        help_text="Whether a later commitment supersedes it, kept by the database (migration 0022).",
    )
    reviewed_on = models.DateField(
        "last reviewed",
        null=True,
        editable=False,
        help_text="The day of its latest history entry, a change or a review, for any party: kept by "
        "the database (migration 0025).",
    )
    fulfilled_on = models.DateField(
        "fulfilled on",
        null=True,
        editable=False,
        help_text="While it is fulfilled, the day of the first entry for all parties that found it so: "
        "kept by the database (migration 0026).",
    )
    meeting_date = models.DateField(
        "date agreed",
        null=True,
        editable=False,
        help_text="The meeting's date, kept equal to it by database triggers (migration 0008), so "
        "that lists of commitments filter and sort by date with an index of their own.",
    )

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["meeting_date", "id"], name="commitment_date_idx"),
            models.Index(fields=["topic", "meeting_date", "id"], name="commitment_topic_date_idx"),
            models.Index(
                fields=["topic", "status", "meeting_date", "id"], name="commit_topic_status_date_idx"
            ),
            models.Index(fields=["status", "topic"], name="commitment_status_topic_idx"),
            models.Index(fields=["target_date"], name="commitment_target_idx"),
            models.Index(fields=["status", "reviewed_on"], name="commitment_reviewed_idx"),
            models.Index(fields=["topic", *FOLLOW_THROUGH], name="commitment_follow_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "topic", "summary"], name="commitment_unique_per_meeting_topic"
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="commitment_status_known"),
            models.CheckConstraint(
                condition=(Q(topic_id=PARTNERSHIP_UPGRADE) & ~Q(level_to="") & ~Q(level_from=F("level_to")))
                | (~Q(topic_id=PARTNERSHIP_UPGRADE) & Q(level_from="", level_to="")),
                name="commitment_levels_only_on_upgrades",
                violation_error_message=(
                    "A partnership upgrade names the level it reaches (and the level before, if there "
                    "was one, which must differ); other commitments name no levels."
                ),
            ),
            models.CheckConstraint(
                condition=Q(target_date__isnull=True, target_precision="")
                | Q(target_date__isnull=False, target_precision__in=TargetPrecision.values),
                name="commitment_target_has_precision",
                violation_error_message="A target needs a date and a precision (year or day), or neither.",
            ),
        ]

    def __str__(self):
        return self.summary

    def save(self, *args, **kwargs):
        # The database writes the meeting's date (migration 0008), the status (0016, 0025), when
        # it was last reviewed (0025) and fulfilled (0026) and whether it is superseded (0022),
        # whoever writes: a new commitment starts announced, an update never sends those, and the
        # instance reads back the date the database wrote.
        if self._state.adding:
            self.status, self.superseded = Status.ANNOUNCED, False
            self.reviewed_on = self.fulfilled_on = None
        elif kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.kept_by_the_database
            ]
        super().save(*args, **kwargs)
        self.refresh_from_db(fields=["meeting_date"])

    def get_absolute_url(self):
        return reverse("agreements:commitment-detail", args=[self.pk])

    def natural_key(self):
        return (*self.meeting.natural_key(), self.topic_id, self.summary)

    natural_key.dependencies = ["agreements.meeting", "agreements.topic"]

    def clean(self):
        problems = self.level_problems(self.topic_id, self.level_from, self.level_to)
        if problems:
            raise ValidationError(
                {field: f"{text[0].upper()}{text[1:]}." for field, text in problems.items()}
            )

    @staticmethod
    def level_problems(topic, level_from, level_to):
        """{field: why it is wrong} for a commitment's partnership levels: an upgrade names the level
        it reaches (and the level before, if there was one, which must differ); other commitments
        name none. The database's `commitment_levels_only_on_upgrades` says the same."""
        if topic == PARTNERSHIP_UPGRADE:
            if not level_to:
                return {"level_to": "a partnership upgrade names the level it reaches"}
            if level_from == level_to:
                return {"level_from": "the level before must differ from the level reached"}
            return {}
        if not topic:
            return {}
        named = {"level_from": level_from, "level_to": level_to}
        return {
            field: f"only {PARTNERSHIP_UPGRADE} commitments name levels"
            for field, value in named.items()
            if value
        }

    @property
    def is_upgrade(self):
        return self.topic_id == PARTNERSHIP_UPGRADE

    @property
    def target_display(self):
        return self.target_text(self.target_date, self.target_precision)

    @property
    def target_on_pages(self):
        """The target as pages write dates: "2035", or "30 Jun 2026"."""
        if self.target_date is None or self.target_precision == TargetPrecision.YEAR:
            return self.target_display
        return f"{self.target_date.day} {self.target_date:%b %Y}"

    def is_overdue(self, today=None):
        return self.overdue(self.target_date, self.status, today)

    def is_stale(self, today=None):
        return self.stale(self.status, self.reviewed_on, today)

    @property
    def days_to_fulfilment(self):
        """Days from the meeting that agreed it to the first entry that found it fulfilled."""
        if self.fulfilled_on and self.meeting_date:
            return (self.fulfilled_on - self.meeting_date).days
        return None

    @staticmethod
    def stale(status, reviewed_on, today=None):
        """Still open and not reviewed for more than `STALE_AFTER` (as `CommitmentQuerySet.stale`)."""
        return status in OPEN_STATUSES and reviewed_on is not None and reviewed_on < stale_before(today)

    def party_status_rows(self):
        """[(country, status)] for each party where the parties' statuses differ, else []: from its
        prefetched history and parties."""
        entries = [(e.date, e.id, e.status, e.party_id) for e in self.history.all()]
        own = StatusChange.party_statuses(entries)
        if not own:
            return []
        statuses = {country: own.get(country.code, self.status) for country in self.parties.all()}
        if len(set(statuses.values())) < 2:
            return []
        return [(country, Status(status)) for country, status in statuses.items()]

    @staticmethod
    def target_text(target_date, precision):
        """A target as shown and exported: "2035" for a target year, else the day."""
        if target_date is None:
            return ""
        if precision == TargetPrecision.YEAR:
            return str(target_date.year)
        return target_date.isoformat()

    @staticmethod
    def overdue(target_date, status, today=None):
        today = today or timezone.localdate()
        return target_date is not None and target_date < today and status != Status.FULFILLED

    @staticmethod
    def parse_target(value):
        """Read a target as written in import files: "2035" or "2035-06-30"."""
        text = str(value).strip()
        if len(text) == 4 and text.isdigit():
            return datetime.date(int(text), 12, 31), TargetPrecision.YEAR
        return datetime.date.fromisoformat(text), TargetPrecision.DAY


class CommitmentCitation(Citation):
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="citations")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["commitment", "source"], name="commitment_cites_source_once"),
        ]

    def __str__(self):
        return str(self.source)


class StatusChange(models.Model):
    """A dated, sourced change of a commitment's status: its public history."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="history")
    date = models.DateField()
    status = models.CharField(max_length=20, choices=Status)
    note = models.TextField(blank=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="status_changes")
    party = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The one party it concerns (Italy ratified; Japan has not yet). Empty: all of them, "
        "and the commitment's status is that of the latest such entry.",
    )
    review = models.BooleanField(
        "review, no change",
        default=False,
        db_default=False,
        help_text="A review that found no change: its status is the one in effect before it.",
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["date", "id"]
        get_latest_by = ["date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="status_change_status_known"),
            models.UniqueConstraint(
                fields=["commitment", "date", "status"],
                condition=Q(party__isnull=True),
                name="status_change_unique_per_day",
                violation_error_message="The history has this status on this day already.",
            ),
            models.UniqueConstraint(
                fields=["commitment", "party", "date", "status"],
                condition=Q(party__isnull=False),
                name="status_change_party_unique_per_day",
                violation_error_message="The history has this status for this party on this day already.",
            ),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d}: {self.get_status_display()}"

    def clean(self):
        given = self.commitment_id or self._meta.get_field("commitment").is_cached(self)
        commitment = self.commitment if given else None
        agreed_on = commitment.meeting.date if commitment and commitment.meeting_id else None
        problem = self.date_problem(self.date, agreed_on)
        if problem:
            raise ValidationError({"date": problem})
        if commitment and commitment.pk and self.party_id:
            parties = {country.code for country in commitment.parties.all()}
            if problem := self.party_problem(parties, self.party_id):
                raise ValidationError({"party": problem})

    @staticmethod
    def party_problem(party_codes, code):
        """Why an entry cannot concern the country `code` in the history of a commitment of
        `party_codes`, or ""."""
        return not_a_party("commitment", party_codes, code)

    @staticmethod
    def history_problems(entries):
        """{index: why} for a commitment's history, `entries` being (date, order, status, party code
        or None, review) tuples: a review restates the status in effect for its party (or for all)
        just before it, and is not the first entry."""
        problems, in_effect = {}, {}
        ordered = sorted(enumerate(entries), key=lambda item: (item[1][0], item[1][1]))
        for index, (_date, _order, status, party, review) in ordered:
            before = in_effect.get(party, in_effect.get(None))
            if review and before is None:
                problems[index] = "A review restates a status: the history needs an entry before it."
            elif review and status != before:
                problems[index] = (
                    f"A review finds no change: its status is the one in effect before it "
                    f"({Status(before).label})."
                )
            in_effect[party] = status
            if party is None:  # a shared entry speaks for every party from then on
                in_effect = {None: status}
        return problems

    @staticmethod
    def party_statuses(entries):
        """{party code: status} from `entries` ((date, order, status, party code or None) tuples)
        for the parties with entries of their own: each is that of the latest entry for the party
        or for all."""
        latest = {}
        for _date, _order, status, party in sorted(entries, key=lambda entry: (entry[0], entry[1])):
            if party is None:
                latest = dict.fromkeys(latest, status)
            else:
                latest[party] = status
        return latest

    @staticmethod
    def date_problem(date, agreed_on, today=None, start="the commitment was agreed"):
        """Why an entry of `date` cannot be in the history of a commitment agreed on `agreed_on`
        (or of whatever `start` names), or "": no earlier than that day, no later than today."""
        today = today or timezone.localdate()
        if date is None:
            return ""
        if agreed_on and date < agreed_on:
            return f"An entry cannot be dated before {start} ({agreed_on.isoformat()})."
        if date > today:
            return f"An entry cannot be dated in the future (today is {today.isoformat()})."
        return ""


class LinkKind(models.TextChoices):
    REAFFIRMS = "reaffirms", "Reaffirms"
    EXTENDS = "extends", "Extends"
    SUPERSEDES = "supersedes", "Supersedes"
    FULFILS = "fulfils", "Fulfils"


class CommitmentLinkQuerySet(models.QuerySet):
    def thread_of(self, commitment, limit=200):
        """The keys of the commitments linked to `commitment`, directly or through others, both
        ways, itself included: one recursive query, at most `limit` of them."""
        from django.db import connections

        table, commitments = self.model._meta.db_table, Commitment._meta.db_table
        sql = (
            f"WITH RECURSIVE thread(id) AS (SELECT id FROM {commitments} WHERE id = %s UNION "
            f"SELECT CASE WHEN l.commitment_id = t.id THEN l.earlier_id ELSE l.commitment_id END "
            f"FROM {table} l JOIN thread t ON l.commitment_id = t.id OR l.earlier_id = t.id) "
            f"SELECT id FROM thread LIMIT %s"
        )
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, [commitment.pk, limit])
            return [row[0] for row in cursor.fetchall()]


class CommitmentLink(models.Model):
    """A commitment's tie to one agreed before it: it reaffirms, extends, supersedes or fulfils it.
    Links run from later to earlier, so a thread never loops back (the database checks the dates,
    migration 0022)."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="links")
    earlier = models.ForeignKey(
        Commitment,
        on_delete=models.CASCADE,
        related_name="later_links",
        help_text="A commitment agreed before this one.",
    )
    kind = models.CharField(max_length=12, choices=LinkKind)
    note = models.CharField(max_length=300, blank=True)

    objects = CommitmentLinkQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=LinkKind.values), name="commitment_link_kind_known"),
            models.CheckConstraint(
                condition=~Q(commitment=F("earlier")),
                name="commitment_link_not_to_itself",
                violation_error_message="A commitment cannot be linked to itself.",
            ),
            models.UniqueConstraint(fields=["commitment", "earlier"], name="commitment_link_once"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.earlier}"

    def clean(self):
        problem = self.order_problem(
            self.commitment.meeting_date if self.commitment_id else None,
            self.earlier.meeting_date if self.earlier_id else None,
        )
        if problem:
            raise ValidationError({"earlier": problem})

    @staticmethod
    def order_problem(agreed_on, earlier_agreed_on):
        """Why a commitment agreed on `agreed_on` cannot link to one agreed on `earlier_agreed_on`,
        or "": the earlier one was agreed on an earlier day, so no thread loops back on itself."""
        if agreed_on and earlier_agreed_on and earlier_agreed_on >= agreed_on:
            return (
                f"Link to a commitment agreed before this one ({agreed_on.isoformat()}); "
                f"that one was agreed on {earlier_agreed_on.isoformat()}."
            )
        return ""


# Agreements ----------------------------------------------------------------------------------


class AgreementKind(models.TextChoices):
    TREATY = "treaty", "Treaty or convention"
    AGREEMENT = "agreement", "Agreement"
    MEMORANDUM = "memorandum", "Memorandum"
    JOINT_STATEMENT = "joint-statement", "Joint statement or declaration"
    ACTION_PLAN = "action-plan", "Action plan"
    FACT_SHEET = "fact-sheet", "Fact sheet"
    EXCHANGE_OF_NOTES = "exchange-of-notes", "Exchange of notes"
    OTHER = "other", "Other"


class AgreementStatus(models.TextChoices):
    SIGNED = "signed", "Signed or adopted"
    IN_FORCE = "in-force", "In force"
    TERMINATED = "terminated", "Terminated"
    SUPERSEDED = "superseded", "Superseded"


class EventKind(models.TextChoices):
    SIGNATURE = "signature", "Signed"
    ADOPTION = "adoption", "Adopted"
    RATIFICATION = "ratification", "Ratified or approved by a party"
    NOTIFICATION = "notification", "Notes exchanged or notified"
    ENTRY_INTO_FORCE = "entry-into-force", "Entered into force"
    AMENDMENT = "amendment", "Amended"
    TERMINATION = "termination", "Terminated"
    SUPERSESSION = "supersession", "Superseded"


# The status each kind of event gives an agreement; the others leave it as it was. The database
# keeps `Agreement.status` so (migration 0021).
EVENT_STATUS = {
    EventKind.SIGNATURE: AgreementStatus.SIGNED,
    EventKind.ADOPTION: AgreementStatus.SIGNED,
    EventKind.ENTRY_INTO_FORCE: AgreementStatus.IN_FORCE,
    EventKind.TERMINATION: AgreementStatus.TERMINATED,
    EventKind.SUPERSESSION: AgreementStatus.SUPERSEDED,
}
# On one day, those events take effect in this order: a text can be signed and enter into force on
# the day, or end as another replaces it. Events of one kind on one day count in the order recorded.
EVENT_ORDER = {
    EventKind.SIGNATURE: 1,
    EventKind.ADOPTION: 1,
    EventKind.ENTRY_INTO_FORCE: 2,
    EventKind.TERMINATION: 3,
    EventKind.SUPERSESSION: 4,
}


class AgreementQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)

    def between(self, *countries):
        """Agreements to which every one of the given countries is a party."""
        queryset = self
        for country in countries:
            queryset = queryset.filter(parties=country)
        return queryset

    involving = between

    def with_related(self):
        return self.select_related("meeting").prefetch_related("parties")

    def matching(self, text):
        """Agreements whose title (in English or the original), place or summary holds every term
        of `text` (`agreements.search`), each word where a word of it begins or inside it: a short
        table, read whole."""
        from .search import terms, text_matches

        fields = ("title", "original_title", "place", "summary")
        vendor = connections[self.db].vendor
        return self.filter(text_matches(fields, terms(text), vendor, inside_words=True))

    def complete(self):
        """Give these agreements a first event where they have none: signed (binding) or adopted on
        their date, citing their first source. The admin and the importer call this after creating
        agreements; it returns the events it wrote."""
        agreements = list(self.order_by("pk").values_list("pk", "date", "binding"))
        ids = [pk for pk, _, _ in agreements]
        with_events = set(
            AgreementEvent.objects.filter(agreement__in=ids).values_list("agreement_id", flat=True)
        )
        sources = {}
        for agreement_id, source_id in (
            AgreementCitation.objects.filter(agreement__in=ids)
            .order_by("id")
            .values_list("agreement_id", "source_id")
        ):
            sources.setdefault(agreement_id, source_id)
        return AgreementEvent.objects.bulk_create(
            AgreementEvent(
                agreement_id=pk,
                date=date,
                kind=EventKind.SIGNATURE if binding else EventKind.ADOPTION,
                source_id=sources[pk],
            )
            for pk, date, binding in agreements
            if pk not in with_events and pk in sources
        )


def language_name(code):
    """The English name of the language a BCP 47 tag (`ja`, `it`, `zh-Hant`) begins with, or ""."""
    primary = code.split("-")[0].lower()
    found = pycountry.languages.get(**{"alpha_2" if len(primary) == 2 else "alpha_3": primary})
    return found.name if found else ""


def validate_language_code(code):
    """A BCP 47 language tag whose language is an ISO 639 code: `ja`, `it`, `pt-BR`, `zh-Hant`."""
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", code) or not language_name(code):
        raise ValidationError(
            "Give a language code such as ja, it, en or pt-BR, not “%(code)s”.",
            code="invalid_language",
            params={"code": code},
        )


FIRST_AGREEMENT_DAY = datetime.date(1800, 1, 1)  # the first day the lists' date filters accept


class Agreement(KeptByTheDatabase, Timestamped):
    """A text two or more countries signed or adopted: a treaty, a memorandum, a joint statement,
    an action plan. Its status is that of its latest event that changes it (`EVENT_STATUS`)."""

    kept_by_the_database = ("status",)

    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=AgreementKind)
    title = models.CharField(max_length=300, help_text="In English.")
    title_is_translation = models.BooleanField(
        "title is ours",
        default=False,
        help_text="Ticked when no official English title was found: the title is our translation or "
        "a description.",
    )
    original_title = models.CharField(
        "title in the original language", max_length=300, blank=True, help_text="Where known."
    )
    original_language = models.CharField(
        max_length=10,
        blank=True,
        validators=[validate_language_code],
        help_text="The original title's language, as a code: ja, it, fr.",
    )
    summary = models.TextField(blank=True, help_text="What it does, in our own words.")
    binding = models.BooleanField("legally binding", help_text="A treaty is; a joint statement is not.")
    date = models.DateField("signed or adopted on")
    place = models.CharField(max_length=200, blank=True, help_text="Where it was signed or adopted.")
    parties = models.ManyToManyField(
        Country, related_name="agreements", help_text="Two or more; the EU may be one."
    )
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
        help_text="The meeting at which it was signed or adopted, if it is recorded.",
    )
    supersedes = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="superseded_by",
        help_text="Agreements it replaces.",
    )
    amends = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="amended_by", help_text="Agreements it changes."
    )
    status = models.CharField(
        max_length=20,
        choices=AgreementStatus,
        default=AgreementStatus.SIGNED,
        editable=False,
        help_text="That of its latest event that changes it: add a dated, sourced event to change it.",
    )
    sources = models.ManyToManyField(Source, through="AgreementCitation", related_name="agreements")

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["date", "id"], name="agreement_date_idx"),
            models.Index(fields=["kind", "date"], name="agreement_kind_date_idx"),
            models.Index(fields=["status", "date"], name="agreement_status_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AgreementKind.values), name="agreement_kind_known"),
            models.CheckConstraint(
                condition=Q(status__in=AgreementStatus.values), name="agreement_status_known"
            ),
            models.CheckConstraint(
                condition=Q(original_title="") | ~Q(original_language=""),
                name="agreement_original_title_has_language",
                violation_error_message="Give the original title's language.",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # The database writes the status from the events (migration 0021): a new agreement starts
        # signed, an update never sends it.
        if self._state.adding:
            self.status = AgreementStatus.SIGNED
        elif kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "status"
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("agreements:agreement-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    @staticmethod
    def parties_problem(country_codes):
        """Why `country_codes` cannot be an agreement's parties, or "": two or more."""
        if len(set(country_codes)) < 2:
            return "An agreement has at least two parties."
        return ""

    @staticmethod
    def party_problem(party_codes, code):
        """Why the country `code` cannot act (sign, ratify) for an agreement of `party_codes`, or ""."""
        return not_a_party("agreement", party_codes, code)

    @staticmethod
    def date_problem(date, today=None):
        """Why an agreement cannot be dated `date`, or "": from 1800, which the lists reach, to today."""
        today = today or timezone.localdate()
        if date is not None and date < FIRST_AGREEMENT_DAY:
            return f"An agreement cannot be dated before {FIRST_AGREEMENT_DAY.year}."
        if date is not None and date > today:
            return f"An agreement cannot be dated in the future (today is {today.isoformat()})."
        return ""

    @staticmethod
    def relation_problem(key, related_keys):
        """Why the agreement `key` (a primary key or a slug) cannot supersede or amend those of
        `related_keys`, or ""."""
        if key is not None and key in related_keys:
            return "An agreement cannot supersede or amend itself."
        return ""

    def clean(self):
        if problem := self.date_problem(self.date):
            raise ValidationError({"date": problem})

    @staticmethod
    def build_slug(date, country_codes, kind):
        """A readable, stable slug: `2024-11-25-it-jp-agreement`."""
        codes = "-".join(sorted(code.lower() for code in country_codes))
        return slugify(f"{date:%Y-%m-%d}-{codes}-{kind}")[:200]

    @staticmethod
    def latest_changing_event(events):
        """Of `events` ((date, order, kind, ...) tuples), the latest that changes the status, or None:
        by date, then by `EVENT_ORDER`, then by `order` (the order they were recorded or listed in)."""
        changing = [event for event in events if event[2] in EVENT_STATUS]
        return max(changing, key=lambda event: (event[0], EVENT_ORDER[event[2]], event[1]), default=None)

    @classmethod
    def derived_status(cls, events):
        """The status `events` ((date, order, kind) tuples) give: that of the latest which changes it."""
        latest = cls.latest_changing_event(events)
        return EVENT_STATUS[latest[2]] if latest else AgreementStatus.SIGNED

    def status_event(self):
        """The event its status comes from (None while it has none), from its prefetched events."""
        latest = self.latest_changing_event([(e.date, e.id, e.kind, e) for e in self.events.all()])
        return latest[3] if latest else None


class AgreementCitation(Citation):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="citations")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "source"], name="agreement_cites_source_once"),
        ]

    def __str__(self):
        return str(self.source)


class AgreementEvent(models.Model):
    """A dated, sourced act on an agreement: its signature, a party's ratification, its entry
    into force, an amendment, its end. Its public history, from which its status is derived."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="events")
    date = models.DateField()
    kind = models.CharField(max_length=20, choices=EventKind)
    party = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The party that acted, for a ratification or a notification.",
    )
    note = models.CharField(max_length=300, blank=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="agreement_events")

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="agreement_event_kind_known"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d}: {self.get_kind_display()}"

    def clean(self):
        # On the admin's page of a new agreement, the agreement is set but not yet saved.
        agreement = self.agreement if self.agreement_id or "agreement" in self._state.fields_cache else None
        problem = StatusChange.date_problem(
            self.date, agreement.date if agreement else None, start="the agreement was signed or adopted"
        )
        if problem:
            raise ValidationError({"date": problem})


class Signatory(models.Model):
    """Who signed or adopted an agreement for a party: a leader of the record, or a named official
    with their office at the time."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatories")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    leader = models.ForeignKey(
        Leader, on_delete=models.PROTECT, null=True, blank=True, related_name="signatures"
    )
    name = models.CharField(max_length=200, blank=True, help_text="When not a leader of the record.")
    office = models.CharField(max_length=200, blank=True, help_text="The office held when signing.")

    class Meta:
        verbose_name_plural = "signatories"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(leader__isnull=False) & Q(name="")) | (Q(leader__isnull=True) & ~Q(name="")),
                name="signatory_is_a_leader_or_named",
                violation_error_message="Choose a leader of the record or type a name, not both.",
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return self.leader.name if self.leader_id else self.name

    @property
    def display_office(self):
        return self.office or (self.leader.title if self.leader_id else "")

    def clean(self):
        if self.leader_id and self.country_id and self.leader.country_id != self.country_id:
            raise ValidationError({"leader": "The leader speaks for another country."})


class TextKind(models.TextChoices):
    PUBLISHED = "published", "Published text"  # its standing (authentic or translation) not stated
    AUTHENTIC = "authentic", "Authentic text"
    OFFICIAL_TRANSLATION = "official-translation", "Official translation"
    PROVISIONAL_TRANSLATION = "provisional-translation", "Provisional translation"
    UNOFFICIAL_TRANSLATION = "unofficial-translation", "Unofficial translation"


class AgreementText(models.Model):
    """Where an agreement's text can be read, in one language."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(
        max_length=10, validators=[validate_language_code], help_text="A language code: en, ja, it, pt-BR."
    )
    kind = models.CharField(max_length=30, choices=TextKind, default=TextKind.PUBLISHED)
    url = models.URLField("URL", max_length=500)
    title = models.CharField(max_length=300, blank=True, help_text="The title as this text gives it.")

    class Meta:
        ordering = ["language", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TextKind.values), name="agreement_text_kind_known"),
            models.UniqueConstraint(fields=["agreement", "url"], name="agreement_text_url_once"),
        ]

    def __str__(self):
        return f"{self.language}: {self.url}"

    @property
    def language_name(self):
        return language_name(self.language) or self.language


# Pairs ---------------------------------------------------------------------------------------


class PairQuerySet(models.QuerySet):
    """Rows about two countries, kept as `country_a` and `country_b` in alphabetical order."""

    def between(self, first, second):
        a, b = sorted([getattr(first, "pk", first), getattr(second, "pk", second)])
        return self.filter(country_a=a, country_b=b)


class DiplomaticTieQuerySet(PairQuerySet):
    def get_by_natural_key(self, country_a, country_b):
        return self.get(country_a=country_a, country_b=country_b)


class DiplomaticTie(models.Model):
    """When two countries established diplomatic relations, where known."""

    country_a = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    country_b = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    established = models.DateField()
    description = models.CharField(max_length=300, help_text="The act that established them.")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="ties")

    objects = DiplomaticTieQuerySet.as_manager()

    class Meta:
        ordering = ["country_a", "country_b"]
        constraints = [
            models.UniqueConstraint(fields=["country_a", "country_b"], name="tie_unique_pair"),
            models.CheckConstraint(
                condition=Q(country_a__lt=F("country_b")),
                name="tie_pair_in_alphabetical_order",
                violation_error_message="Give the pair's codes in alphabetical order.",
            ),
        ]

    def __str__(self):
        return f"{self.country_a_id}–{self.country_b_id} since {self.established:%Y-%m-%d}"

    def natural_key(self):
        return (self.country_a_id, self.country_b_id)


# Corrections ---------------------------------------------------------------------------------


CORRECTION_PAGE_MAX_LENGTH = 200
CORRECTION_DESCRIPTION_MAX_LENGTH = 2000
CORRECTION_URL_MAX_LENGTH = 500
CORRECTION_NOTE_MAX_LENGTH = 1000


class CorrectionState(models.TextChoices):
    NEW = "new", "New"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class CorrectionQuerySet(models.QuerySet):
    def accepted(self):
        """Accepted corrections, the latest accepted first, read from their (state, decided) index."""
        return self.filter(state=CorrectionState.ACCEPTED).order_by("-decided_at", "-id")

    def received_since(self, moment, client_hash=None):
        """Reports received since `moment`, from one client (by its address's hash) if given."""
        rows = self.filter(received_at__gte=moment)
        return rows.filter(client_hash=client_hash) if client_hash is not None else rows


class Correction(models.Model):
    """A reader's report of an error on a record's page, and the editors' decision on it.

    The reporter's address is kept only as a salted hash, to count their reports; their email,
    if given, is for the editors alone. The public log shows the page, the dates and the note.
    """

    page = models.CharField(max_length=CORRECTION_PAGE_MAX_LENGTH, help_text="The path of the record's page.")
    description = models.TextField(
        max_length=CORRECTION_DESCRIPTION_MAX_LENGTH, help_text="What the reader says is wrong."
    )
    source_url = models.URLField("source", max_length=CORRECTION_URL_MAX_LENGTH, blank=True)
    email = models.EmailField("reporter's email", blank=True, help_text="For the editors only; never shown.")
    client_hash = models.CharField(max_length=64, editable=False, help_text="A salted hash of the address.")
    state = models.CharField(max_length=10, choices=CorrectionState, default=CorrectionState.NEW)
    received_at = models.DateTimeField("received", default=timezone.now, editable=False)
    decided_at = models.DateTimeField("decided", null=True, blank=True, editable=False)
    public_note = models.TextField(
        max_length=CORRECTION_NOTE_MAX_LENGTH,
        blank=True,
        help_text="Shown in the public log when accepted: what was corrected. Never the reporter's email.",
    )

    objects = CorrectionQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["client_hash", "received_at"], name="correction_client_idx"),
            models.Index(fields=["received_at"], name="correction_received_idx"),
            models.Index(fields=["state", "-decided_at", "-id"], name="correction_state_decided_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=CorrectionState.values), name="correction_state_known"
            ),
            models.CheckConstraint(
                condition=Q(state=CorrectionState.NEW, decided_at__isnull=True)
                | (~Q(state=CorrectionState.NEW) & Q(decided_at__isnull=False)),
                name="correction_decided_when_not_new",
                violation_error_message="A decided correction has a day of decision; a new one has none.",
            ),
            models.CheckConstraint(
                condition=Q(
                    GreaterThan(Length("description"), 0),
                    LessThanOrEqual(Length("description"), CORRECTION_DESCRIPTION_MAX_LENGTH),
                ),
                name="correction_description_bounded",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("public_note"), CORRECTION_NOTE_MAX_LENGTH),
                name="correction_note_bounded",
            ),
        ]

    def __str__(self):
        return f"{self.page} ({self.get_state_display().lower()}, {self.received_at:%Y-%m-%d})"

    def decide(self, state, when=None):
        """Set the state, and the moment of the decision (none for a correction made new again)."""
        self.state = state
        self.decided_at = None if state == CorrectionState.NEW else (when or timezone.now())


# Summaries -----------------------------------------------------------------------------------
#
# Counts that do not depend on a reader's filters, kept by database triggers (migration 0010) in
# the same transaction as the write that changes them, whoever writes: the admin, an import, a
# fixture, a shell. Pages read them instead of counting thousands of rows. Nobody edits them.


class NotDumpedManager(models.Manager):
    """The default manager of rows the database derives from the record: empty, so that `dumpdata`
    leaves them out (loading a dump makes them again through the triggers). Read them through
    `objects`."""

    def get_queryset(self):
        return super().get_queryset().none()


class Derived(models.Model):
    """Rows the database derives from the record through triggers: no one edits them."""

    objects = models.Manager()
    not_dumped = NotDumpedManager()

    class Meta:
        abstract = True
        default_manager_name = "not_dumped"


class MeetingTally(Derived):
    """The number of meetings of each kind in each year."""

    year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20)
    meetings = models.IntegerField()

    class Meta(Derived.Meta):
        ordering = ["-year", "kind"]
        constraints = [models.UniqueConstraint(fields=["year", "kind"], name="meeting_tally_unique")]

    def __str__(self):
        return f"{self.year} {self.kind}: {self.meetings}"


class CommitmentTally(Derived):
    """The number of commitments of each topic and status agreed in each year."""

    year = models.PositiveSmallIntegerField()
    topic = models.ForeignKey(Topic, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    status = models.CharField(max_length=20)
    commitments = models.IntegerField()

    class Meta(Derived.Meta):
        ordering = ["-year", "topic", "status"]
        constraints = [
            models.UniqueConstraint(fields=["year", "topic", "status"], name="commitment_tally_unique")
        ]

    def __str__(self):
        return f"{self.year} {self.topic_id} {self.status}: {self.commitments}"


class CountryTallyQuerySet(models.QuerySet):
    def that_met(self):
        """The countries that took part in a meeting, most meetings first, with their country."""
        return self.filter(meetings__gt=0).select_related("country").order_by("-meetings", "country__name")


class CountryTally(Derived):
    """The number of meetings a country took part in and of commitments it is a party to."""

    country = models.OneToOneField(
        Country, on_delete=models.DO_NOTHING, db_constraint=False, primary_key=True, related_name="tally"
    )
    meetings = models.IntegerField()
    commitments = models.IntegerField()

    objects = CountryTallyQuerySet.as_manager()
    not_dumped = NotDumpedManager()

    class Meta(Derived.Meta):
        ordering = ["country"]

    def __str__(self):
        return f"{self.country_id}: {self.meetings} meetings, {self.commitments} commitments"


class LeaderTally(Derived):
    """The number of meetings a leader took part in."""

    leader = models.OneToOneField(
        Leader, on_delete=models.DO_NOTHING, db_constraint=False, primary_key=True, related_name="tally"
    )
    meetings = models.IntegerField()

    class Meta(Derived.Meta):
        ordering = ["leader"]

    def __str__(self):
        return f"{self.leader_id}: {self.meetings} meetings"


class PairTallyQuerySet(PairQuerySet):
    def active(self):
        return self.filter(Q(meetings__gt=0) | Q(commitments__gt=0))

    def busiest_first(self):
        return self.order_by("-meetings", "-commitments", "country_a", "country_b")


class PairTally(Derived):
    """The number of meetings two countries both took part in and of commitments both are party to."""

    country_a = models.ForeignKey(Country, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    country_b = models.ForeignKey(Country, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    meetings = models.IntegerField()
    commitments = models.IntegerField()

    objects = PairTallyQuerySet.as_manager()
    not_dumped = NotDumpedManager()

    class Meta(Derived.Meta):
        ordering = ["country_a", "country_b"]
        constraints = [models.UniqueConstraint(fields=["country_a", "country_b"], name="pair_tally_unique")]
        indexes = [models.Index(fields=["-meetings", "-commitments"], name="pair_tally_busiest_idx")]

    def __str__(self):
        return f"{self.country_a_id}-{self.country_b_id}: {self.meetings} meetings"

    @property
    def pair(self):
        return Pair(self.country_a, self.country_b)


class PairTopicTally(Derived):
    """The number of commitments of each topic and status to which two countries are both party."""

    country_a = models.ForeignKey(Country, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    country_b = models.ForeignKey(Country, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    status = models.CharField(max_length=20)
    commitments = models.IntegerField()

    objects = PairQuerySet.as_manager()
    not_dumped = NotDumpedManager()

    class Meta(Derived.Meta):
        ordering = ["country_a", "country_b", "topic", "status"]
        constraints = [
            models.UniqueConstraint(
                fields=["country_a", "country_b", "topic", "status"], name="pair_topic_tally_unique"
            )
        ]

    def __str__(self):
        return f"{self.country_a_id}-{self.country_b_id} {self.topic_id} {self.status}: {self.commitments}"


class MeetingPair(Derived):
    """A pair of a meeting's countries, with its date and kind: how lists and pages find a pair's
    meetings, newest first, from one index, and count them by kind and year. Kept by database
    triggers (migration 0011)."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.DO_NOTHING, db_constraint=False, related_name="pairs"
    )
    country_a = models.ForeignKey(Country, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    country_b = models.ForeignKey(Country, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    date = models.DateField()
    kind = models.CharField(max_length=20)

    objects = PairQuerySet.as_manager()
    not_dumped = NotDumpedManager()

    class Meta(Derived.Meta):
        ordering = ["country_a", "country_b", "-date", "-meeting"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "country_a", "country_b"], name="meeting_pair_unique")
        ]
        indexes = [
            models.Index(fields=["country_a", "country_b", "date", "meeting"], name="meeting_pair_date_idx")
        ]

    def __str__(self):
        return f"{self.country_a_id}-{self.country_b_id} {self.meeting_id}"


class CommitmentPair(Derived):
    """A pair of a commitment's parties, with its topic, status and date: how lists and pages find
    a pair's commitments, newest first, from one index. Kept by database triggers (migration 0011)."""

    commitment = models.ForeignKey(
        Commitment, on_delete=models.DO_NOTHING, db_constraint=False, related_name="pairs"
    )
    country_a = models.ForeignKey(Country, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    country_b = models.ForeignKey(Country, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    status = models.CharField(max_length=20)
    meeting_date = models.DateField(null=True)
    reviewed_on = models.DateField(null=True)
    target_date = models.DateField(null=True)
    fulfilled_on = models.DateField(null=True)

    objects = PairQuerySet.as_manager()
    not_dumped = NotDumpedManager()

    class Meta(Derived.Meta):
        ordering = ["country_a", "country_b", "-meeting_date", "-commitment"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "country_a", "country_b"], name="commitment_pair_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["country_a", "country_b", "meeting_date", "commitment"],
                name="commitment_pair_date_idx",
            ),
            models.Index(
                fields=["country_a", "country_b", "topic", "meeting_date", "commitment"],
                name="commitment_pair_topic_idx",
            ),
            models.Index(
                fields=["country_a", "country_b", *FOLLOW_THROUGH], name="commitment_pair_follow_idx"
            ),
        ]

    def __str__(self):
        return f"{self.country_a_id}-{self.country_b_id} {self.commitment_id}"


class MeetingPartyRow(Derived):
    """A meeting's party (a country or a leader) with the meeting's date and kind: how the party's
    page and list find its meetings, newest first, from one index. Kept by database triggers
    (migration 0012)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    date = models.DateField()
    kind = models.CharField(max_length=20)

    class Meta(Derived.Meta):
        abstract = True


class CountryMeeting(MeetingPartyRow):
    country = models.ForeignKey(Country, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    class Meta(MeetingPartyRow.Meta):
        ordering = ["country", "-date", "-meeting"]
        constraints = [models.UniqueConstraint(fields=["meeting", "country"], name="country_meeting_unique")]
        indexes = [models.Index(fields=["country", "date", "meeting"], name="country_meeting_date_idx")]

    def __str__(self):
        return f"{self.country_id} {self.meeting_id}"


class LeaderMeeting(MeetingPartyRow):
    leader = models.ForeignKey(Leader, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    class Meta(MeetingPartyRow.Meta):
        ordering = ["leader", "-date", "-meeting"]
        constraints = [models.UniqueConstraint(fields=["meeting", "leader"], name="leader_meeting_unique")]
        indexes = [models.Index(fields=["leader", "date", "meeting"], name="leader_meeting_date_idx")]

    def __str__(self):
        return f"{self.leader_id} {self.meeting_id}"


class CountryCommitment(Derived):
    """A commitment's party, with the commitment's topic, status and date: how a country's list
    of commitments finds them, newest first, from one index. Kept by database triggers
    (migration 0015)."""

    country = models.ForeignKey(Country, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    commitment = models.ForeignKey(
        Commitment, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    topic = models.ForeignKey(Topic, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    status = models.CharField(max_length=20)
    meeting_date = models.DateField(null=True)
    reviewed_on = models.DateField(null=True)
    target_date = models.DateField(null=True)
    fulfilled_on = models.DateField(null=True)

    class Meta(Derived.Meta):
        ordering = ["country", "-meeting_date", "-commitment"]
        constraints = [
            models.UniqueConstraint(fields=["commitment", "country"], name="country_commitment_unique")
        ]
        indexes = [
            models.Index(
                fields=["country", "meeting_date", "commitment"], name="country_commitment_date_idx"
            ),
            models.Index(
                fields=["country", "topic", "meeting_date", "commitment"], name="country_commitment_topic_idx"
            ),
            models.Index(fields=["country", *FOLLOW_THROUGH], name="country_commitment_follow_idx"),
        ]

    def __str__(self):
        return f"{self.country_id} {self.commitment_id}"


# Pairs as values -----------------------------------------------------------------------------


class Pair:
    """Two countries, in the alphabetical order of their codes: the subject of a pair's page,
    feed and filtered lists (`/relations/it-jp/`, `/meetings/?country=it&country=jp`)."""

    def __init__(self, first, second):
        self.a, self.b = sorted((first, second), key=lambda country: country.code)

    def __eq__(self, other):
        return isinstance(other, Pair) and (self.a.code, self.b.code) == (other.a.code, other.b.code)

    def __hash__(self):
        return hash((self.a.code, self.b.code))

    def __str__(self):
        return f"{self.a.name} – {self.b.name}"

    @property
    def codes(self):
        return [self.a.code.lower(), self.b.code.lower()]

    @property
    def slug(self):
        return "-".join(self.codes)

    def get_absolute_url(self):
        return reverse("agreements:relation-detail", args=self.codes)

    def feed_url(self):
        return reverse("agreements:relation-feed", args=self.codes)

    def _list_url(self, name, **filters):
        query = QueryDict(mutable=True)
        query.setlist("country", self.codes)
        for parameter, value in filters.items():
            query[parameter] = value
        return f"{reverse(name)}?{query.urlencode()}"

    def meetings_url(self, **filters):
        return self._list_url("agreements:meeting-list", **filters)

    def commitments_url(self, **filters):
        return self._list_url("agreements:commitment-list", **filters)

    def meetings(self):
        return Meeting.objects.involving(self.a, self.b)

    def commitments(self):
        return Commitment.objects.between(self.a, self.b)

    def commitment_keys(self, **filters):
        """The keys of the pair's commitments (with `filters` on topic or status), newest first."""
        rows = CommitmentPair.objects.between(self.a, self.b).filter(**filters)
        return rows.order_by("-meeting_date", "-commitment").values_list("commitment", flat=True)

    def meetings_by_year(self):
        """{year: number of the pair's meetings}, counted from the pair rows' index."""
        rows = MeetingPair.objects.between(self.a, self.b).annotate(year=ExtractYear("date"))
        return dict(rows.order_by().values_list("year").annotate(n=Count("meeting")).values_list("year", "n"))

    def tally(self):
        return PairTally.objects.between(self.a, self.b).first()

    def topic_tallies(self):
        return PairTopicTally.objects.between(self.a, self.b).filter(commitments__gt=0)
