"""The list filters: one FilterSet per list, the same parameters for pages, downloads and feeds.

Invalid values are strict: the form shows the error and the list is empty (the view answers
400), rather than silently ignoring a filter the reader asked for. Facet counts (Datasette
style) are computed here too, from the filterset's own data.
"""

import datetime
import re

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import ExtractYear
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe

from .models import Commitment, Country, Leader, Meeting, MeetingKind, Status, Topic

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,200}")
COUNTRY_CODE = re.compile(r"[a-zA-Z]{2}")
MAX_QUERY_LENGTH = 200
FIRST_DAY = datetime.date(1800, 1, 1)
LAST_DAY = datetime.date(2200, 12, 31)


# Widgets for long lists ---------------------------------------------------------------------


class LongSelect(forms.Select):
    """A `<select>` whose options are written in Python rather than through a template each:
    the same HTML, but hundreds of options (leaders, countries) take a millisecond, not forty."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {escape(item) for item in self.format_value(value)}
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        options = []
        for option_value, label in self.choices:
            option_value = conditional_escape(option_value)
            mark = " selected" if option_value in selected else ""
            options.append(f'<option value="{option_value}"{mark}>{conditional_escape(label)}</option>')
        return format_html("<select{}>{}</select>", flatatt(final_attrs), mark_safe("".join(options)))


class LongSelectMultiple(LongSelect, forms.SelectMultiple):
    pass


# Fields that check a value's shape before it reaches the database ---------------------------


class CountryCodesField(forms.ModelMultipleChoiceField):
    """Repeatable lower-case ISO codes (`jp`); any recorded ISO country is accepted.

    The choices offered in the form are the countries with records; an unknown code is
    a form error, never a database error.
    """

    widget = LongSelectMultiple

    def _check_values(self, value):
        codes = []
        for item in value:
            if not isinstance(item, str) or not COUNTRY_CODE.fullmatch(item):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                )
            codes.append(item.upper())
        found = {country.code: country for country in Country.objects.filter(code__in=codes)}
        for code in codes:
            if code not in found:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": code.lower()},
                )
        return list(found.values())

    def clean(self, value):
        value = self.prepare_value(value)
        if not value:
            return []
        if not isinstance(value, list | tuple):
            raise ValidationError(self.error_messages["invalid_list"], code="invalid_list")
        return self._check_values(value)

    def prepare_value(self, value):
        if isinstance(value, Country):
            return value.code.lower()
        if isinstance(value, list | tuple):
            return [self.prepare_value(item) for item in value]
        return value


class SlugChoiceField(forms.ModelChoiceField):
    widget = LongSelect

    def to_python(self, value):
        if value not in self.empty_values and not (isinstance(value, str) and SLUG.fullmatch(value)):
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )
        return super().to_python(value)


class SlugMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for item in value:
            if not isinstance(item, str) or not SLUG.fullmatch(item):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                )
        return super()._check_values(value)


class DayField(forms.DateField):
    """A YYYY-MM-DD day within the range the record can hold."""

    input_formats = ["%Y-%m-%d"]
    widget = forms.DateInput(attrs={"type": "date"})

    def validate(self, value):
        super().validate(value)
        if value and not FIRST_DAY <= value <= LAST_DAY:
            raise ValidationError(
                "Give a day between %(first)s and %(last)s.",
                code="out_of_range",
                params={"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
            )


# Filters ------------------------------------------------------------------------------------


class CountriesFilter(filters.ModelMultipleChoiceFilter):
    """All the given countries take part: a join per country, or, when the filterset reads its
    rows in date order (`DateOrderMixin`), an EXISTS test per country on each row."""

    field_class = CountryCodesField

    def is_noop(self, qs, value):
        return False

    def filter(self, qs, value):
        if not value or not self.parent.read_in_date_order:
            return super().filter(qs, value)
        field = qs.model._meta.get_field(self.field_name)
        links = field.remote_field.through.objects
        for country in value:
            link = {field.m2m_field_name(): OuterRef("pk"), field.m2m_reverse_field_name(): country}
            qs = qs.filter(Exists(links.filter(**link)))
        return qs


class TopicsFilter(filters.ModelMultipleChoiceFilter):
    field_class = SlugMultipleChoiceField

    def is_noop(self, qs, value):
        return False


class LeaderFilter(filters.ModelChoiceFilter):
    field_class = SlugChoiceField


class DayFilter(filters.DateFilter):
    field_class = DayField


class SortFilter(filters.OrderingFilter):
    """Ordering by the chosen column, then by primary key in the same direction, so pages never
    overlap and an index ending in the primary key serves both directions."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            first = str(qs.query.order_by[0])
            qs = qs.order_by(*qs.query.order_by, "-pk" if first.startswith("-") else "pk")
        return qs


def search_words(queryset, name, value):
    return queryset.matching(value)


def country_options():
    return [(code.lower(), name) for code, name in Country.objects.with_records().values_list("code", "name")]


def leader_options():
    return list(Leader.objects.values_list("slug", "name"))


def escape_options(options):
    """Options escaped once, to be cached: the widget writes escaped text as it is."""
    return [(escape(value), escape(label)) for value, label in options]


class CachedOptionsMixin:
    """Long option lists (countries, leaders) read once per state of the record, not per page."""

    option_lists = {}  # field name: function giving its (value, label) options in order

    def use_cached_options(self, snapshot):
        """Give the long fields their cached options, read when the form is rendered."""
        for name, options in self.option_lists.items():
            field = self.form.fields[name]
            empty = [("", field.empty_label)] if getattr(field, "empty_label", None) is not None else []

            def choices(name=name, options=options, empty=empty):
                return [*empty, *snapshot.get(("options", name), lambda: escape_options(options()))]

            field.widget.choices = choices


class DateOrderMixin:
    """Lets the list read a common pair's rows in date order, from the date index.

    For "all these countries take part" the planner starts from the rarest country's links
    and sorts what it finds; SQLite cannot tell a busy country from a rare one, so for the
    busiest pairs it sorts thousands of rows to show 25. When the filters match at least one
    row in DENSE_SHARE, reading the rows newest first and testing each for the countries
    finds a page after a few hundred rows; for rarer filters the joins stay.
    """

    DENSE_SHARE = 50
    read_in_date_order = False

    def use_date_order(self, count, total):
        """Read in date order if the list has countries, is sorted by date and `count()` of
        `total()` rows is dense enough; True if it does."""
        by_date = self.data.get("sort", "") in ("", "date", "-date")
        if not (by_date and self.data.getlist("country") and count() * self.DENSE_SHARE >= total()):
            return False
        self.read_in_date_order = True
        if hasattr(self, "_qs"):
            del self._qs
        return True


class FacetMixin:
    """Facet counts beside the list, each value with the query that adds or removes it.

    A facet's counts are those of the current filters without the facet's own parameter,
    so each count is what choosing that value gives (or adds, for a repeatable one).
    """

    facet_specs = ()  # (parameter, label, repeatable, field for values() or "year")

    def facets(self):
        if self.is_bound and not self.is_valid():
            return []
        result = []
        for parameter, label, repeatable, field in self.facet_specs:
            if field == "year":
                result.append(self.year_facet(label))
                continue
            data = self.data.copy()
            data.pop(parameter, None)
            data.pop("page", None)
            others = type(self)(data, queryset=self.queryset)
            others.is_valid()
            selected = self.data.getlist(parameter)
            rows = others.qs.order_by().values(field).annotate(count=Count("pk")).order_by(field)
            labels = self.facet_labels(parameter)
            items = []
            counts = {row[field]: row["count"] for row in rows}
            for value, name in labels:
                count = counts.get(value, 0)
                is_selected = value in selected
                if not count and not is_selected:
                    continue
                if repeatable:
                    values = [v for v in selected if v != value] if is_selected else [*selected, value]
                else:
                    values = None if is_selected else value
                items.append(
                    {"value": value, "label": name, "count": count, "selected": is_selected, "query": values}
                )
            result.append({"parameter": parameter, "label": label, "items": items})
        return result

    def year_facet(self, label):
        years = (
            self.qs.order_by()
            .annotate(year=ExtractYear(self.year_field))
            .values("year")
            .annotate(count=Count("pk"))
            .order_by("-year")
        )
        after = self.data.get("date_after", "")
        before = self.data.get("date_before", "")
        items = []
        for row in years:
            first, last = f"{row['year']}-01-01", f"{row['year']}-12-31"
            is_selected = (after, before) == (first, last)
            items.append(
                {
                    "value": str(row["year"]),
                    "label": str(row["year"]),
                    "count": row["count"],
                    "selected": is_selected,
                    "after": None if is_selected else first,
                    "before": None if is_selected else last,
                }
            )
        return {"parameter": "year", "label": label, "items": items}


class MeetingFilter(DateOrderMixin, CachedOptionsMixin, FacetMixin, filters.FilterSet):
    country = CountriesFilter(
        label="Countries (all take part)",
        field_name="countries",
        lookup_expr="exact",
        queryset=Country.objects.with_records().only("code", "name"),
        to_field_name="code",
        conjoined=True,
        distinct=False,
    )
    leader = LeaderFilter(
        label="Leader",
        field_name="leaders",
        lookup_expr="exact",
        queryset=Leader.objects.only("slug", "name"),
        to_field_name="slug",
        empty_label="Any leader",
    )
    kind = filters.ChoiceFilter(
        label="Kind",
        field_name="kind",
        lookup_expr="exact",
        choices=MeetingKind.choices,
        empty_label="Any kind",
    )
    date_after = DayFilter(label="From", field_name="date", lookup_expr="gte")
    date_before = DayFilter(label="Until", field_name="date", lookup_expr="lte")
    q = filters.CharFilter(
        label="Words",
        field_name="title",
        lookup_expr="exact",
        method=search_words,
        max_length=MAX_QUERY_LENGTH,
    )
    sort = SortFilter(
        label="Sort by",
        fields=(("date", "date"), ("title", "title")),
        field_labels={"date": "Date, oldest first", "-date": "Date, newest first", "title": "Title"},
        empty_label="Newest first",
    )

    facet_specs = (("kind", "Kinds", False, "kind"), ("year", "Years", False, "year"))
    option_lists = {"country": country_options, "leader": leader_options}
    year_field = "date"

    class Meta:
        model = Meeting
        fields = []

    def facet_labels(self, parameter):
        return MeetingKind.choices


class CommitmentFilter(DateOrderMixin, CachedOptionsMixin, FacetMixin, filters.FilterSet):
    topic = TopicsFilter(
        label="Topics (any of)",
        field_name="topic",
        lookup_expr="exact",
        queryset=Topic.objects.all(),
        to_field_name="slug",
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    status = filters.ChoiceFilter(
        label="Status",
        field_name="status",
        lookup_expr="exact",
        choices=Status.choices,
        empty_label="Any status",
    )
    country = CountriesFilter(
        label="Parties (all of)",
        field_name="parties",
        lookup_expr="exact",
        queryset=Country.objects.with_records().only("code", "name"),
        to_field_name="code",
        conjoined=True,
        distinct=False,
    )
    overdue = filters.BooleanFilter(
        label="Overdue only",
        field_name="target_date",
        lookup_expr="lt",
        method="only_overdue",
        widget=forms.CheckboxInput,
    )
    date_after = DayFilter(label="Agreed from", field_name="meeting_date", lookup_expr="gte")
    date_before = DayFilter(label="Agreed until", field_name="meeting_date", lookup_expr="lte")
    q = filters.CharFilter(
        label="Words",
        field_name="summary",
        lookup_expr="exact",
        method=search_words,
        max_length=MAX_QUERY_LENGTH,
    )
    sort = SortFilter(
        label="Sort by",
        fields=(
            ("meeting_date", "date"),
            ("topic__position", "topic"),
            ("status", "status"),
            ("target_date", "target"),
        ),
        # django-filter looks up an ascending label by model field, a descending one by "-parameter".
        field_labels={
            "meeting_date": "Date agreed, oldest first",
            "-date": "Date agreed, newest first",
            "topic__position": "Topic",
            "status": "Status",
            "target_date": "Target, soonest first",
            "-target": "Target, latest first",
        },
        empty_label="Newest first",
    )

    facet_specs = (
        ("topic", "Topics", True, "topic_id"),
        ("status", "Statuses", False, "status"),
        ("year", "Years", False, "year"),
    )
    year_field = "meeting_date"
    option_lists = {"country": country_options}

    class Meta:
        model = Commitment
        fields = []

    def only_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset

    def facet_labels(self, parameter):
        if parameter == "topic":
            return [(topic.slug, topic.name) for topic in self.topics()]
        return Status.choices

    def topics(self):
        if not hasattr(self, "_topics"):
            self._topics = list(Topic.objects.all())
        return self._topics
