"""The list filters: one FilterSet per list, the same parameters for pages, downloads and feeds.

Invalid values are strict: the form shows the error and the list is empty (the view answers
400), rather than silently ignoring a filter the reader asked for. Facet counts (Datasette
style) are computed here too, from the filterset's own data.
"""

import datetime
import functools
import re
import unicodedata

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.forms.utils import flatatt
from django.utils.functional import cached_property
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from .models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    Commitment,
    CommitmentPair,
    CommitmentTally,
    Country,
    CountryCommitment,
    CountryMeeting,
    CountryTally,
    Leader,
    LeaderMeeting,
    LeaderTally,
    Meeting,
    MeetingKind,
    MeetingPair,
    MeetingTally,
    PairTally,
    PairTopicTally,
    Status,
    Topic,
)
from .search import MAX_QUERY_LENGTH, Search, as_text, terms

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,200}")
COUNTRY_CODE = re.compile(r"[a-zA-Z]{2}")
MAX_COUNTRIES = 5  # country= values in one list; each is a join
MAX_TOPICS = 10  # topic= values in one list
COUNT_LIMIT = 10_000  # rows counted one by one; beyond it a list says "more than 10,000"
SEARCH_COUNT_LIMIT = 1_000  # the same for a word search, whose every match is looked up
FACET_LIMIT = 5_000  # rows a facet counts one by one; beyond it the facet is left out
# pair and party rows: (the key of the list's row they stand for, its date)
ROW_KEYS = {
    MeetingPair: ("meeting", "date"),
    CountryMeeting: ("meeting", "date"),
    LeaderMeeting: ("meeting", "date"),
    CommitmentPair: ("commitment", "meeting_date"),
    CountryCommitment: ("commitment", "meeting_date"),
}
FIRST_DAY = datetime.date(1800, 1, 1)
LAST_DAY = datetime.date(2200, 12, 31)


# Widgets for long lists ---------------------------------------------------------------------


class LongSelect(forms.Select):
    """A `<select>` whose options are written in Python rather than through a template each:
    the same HTML, but hundreds of options (leaders, countries) take a millisecond, not forty."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(item) for item in self.format_value(value)}
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        options = []
        for option_value, label in self.choices:
            mark = " selected" if str(option_value) in selected else ""
            options.append(f'<option value="{escape(option_value)}"{mark}>{escape(label)}</option>')
        return format_html("<select{}>{}</select>", flatatt(final_attrs), mark_safe("".join(options)))


class LongSelectMultiple(LongSelect, forms.SelectMultiple):
    pass


class OnOffCheckbox(forms.CheckboxInput):
    """A checkbox whose URL value reads as people write it: `0`, `false`, `no` and `off` (any case)
    are off, any other non-empty value on."""

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if value is None:
            return False
        return str(value).strip().lower() not in ("", "0", "false", "no", "off")


class LongSelectOfList(LongSelect):
    """One choice on the page for a field of repeatable values: a value repeated in the URL is
    still read (and refused by the form), and the empty choice, offered first, is no value."""

    empty_label = "Any"

    def render(self, name, value, attrs=None, renderer=None):
        choices = self.choices
        self.choices = [("", self.empty_label), *choices]
        try:
            return super().render(name, value, attrs, renderer)
        finally:
            self.choices = choices

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return [value for value in values if value]


# Fields that check a value's shape before it reaches the database ---------------------------


class CountryCodesField(forms.ModelMultipleChoiceField):
    """Repeatable lower-case ISO codes (`jp`); any recorded ISO country is accepted.

    The choices offered in the form are the countries with records; an unknown code is
    a form error, never a database error.
    """

    widget = LongSelectMultiple

    def _check_values(self, value):
        if len(value) > MAX_COUNTRIES:
            raise ValidationError(
                "Give at most %(limit)d countries.", code="too_many", params={"limit": MAX_COUNTRIES}
            )
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
        if len(value) > MAX_TOPICS:
            raise ValidationError(
                "Give at most %(limit)d topics.", code="too_many", params={"limit": MAX_TOPICS}
            )
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


class SearchField(forms.CharField):
    """A query (`agreements.search`): at most MAX_QUERY_LENGTH characters, and words and
    alternatives within the search's bounds."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_QUERY_LENGTH)
        too_long = f"Search for at most {MAX_QUERY_LENGTH} characters (this search has %(show_value)d)."
        kwargs.setdefault("error_messages", {"max_length": too_long})
        super().__init__(**kwargs)

    def run_validators(self, value):
        super().run_validators(value)
        if any(unicodedata.category(character) == "Cc" for character in value):
            raise ValidationError("Search for words, without control characters.", code="control_character")
        terms(value)


# Filters ------------------------------------------------------------------------------------


class WordsFilter(filters.CharFilter):
    field_class = SearchField


class SearchForm(forms.Form):
    """The site-wide search: one query, given back in its terms' own words (`as_text`), so that
    the same search written two ways is one page."""

    q = SearchField(label="Search the record", required=False)

    def clean_q(self):
        return as_text(terms(self.cleaned_data["q"]))


class CountriesFilter(filters.ModelMultipleChoiceFilter):
    """All the given countries take part (at most MAX_COUNTRIES): one join per country."""

    field_class = CountryCodesField

    def is_noop(self, qs, value):
        return False

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.involving(*value) if qs.model is Meeting else qs.between(*value)


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
        value = [column for column in value or [] if column]
        if not value:  # none, or `?sort=,`: the list's own order
            return qs
        qs = super().filter(qs, value)
        first = str(qs.query.order_by[0])
        return qs.order_by(*qs.query.order_by, "-pk" if first.startswith("-") else "pk")


def country_options():
    return [(code.lower(), name) for code, name in Country.objects.with_records().values_list("code", "name")]


def commitment_country_options():
    countries = Country.objects.with_commitments().values_list("code", "name")
    return [(code.lower(), name) for code, name in countries]


def agreement_country_options():
    countries = Country.objects.with_agreements().values_list("code", "name")
    return [(code.lower(), name) for code, name in countries]


def leader_options():
    return [("", "Any leader"), *Leader.objects.values_list("slug", "name")]


def bounded_count(queryset, limit):
    """(number of rows, exact): rows counted up to `limit`, so a count never reads more."""
    found = queryset.order_by()[: limit + 1].count()
    return min(found, limit), found <= limit


def whole_years(after, before):
    """The years a date range covers when it runs from a 1 January to a 31 December (either end
    may be open), as (first, last) with None for an open end; None when it cuts a year."""
    if after and (after.month, after.day) != (1, 1):
        return None
    if before and (before.month, before.day) != (12, 31):
        return None
    return (after.year if after else None, before.year if before else None)


def by_dates(rows, field, values):
    """`rows` on or after `date_after` and on or before `date_before` of `values`, where given."""
    if values.get("date_after"):
        rows = rows.filter(**{f"{field}__gte": values["date_after"]})
    if values.get("date_before"):
        rows = rows.filter(**{f"{field}__lte": values["date_before"]})
    return rows


class ListFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("date_after"), cleaned.get("date_before")
        if after and before and after > before:
            self.add_error("date_before", "The last day is before the first: swap them.")
        return cleaned


class ListFilterSet(filters.FilterSet):
    """A list's filters, with its count and facets read from the summaries (`*Tally` models)
    when the filters allow, else counted up to a bound: no request counts more than
    COUNT_LIMIT rows, and a facet that would count more than FACET_LIMIT is left out."""

    facet_specs = ()  # (parameter, label, repeatable, field of the rows and of the tally)
    option_lists = {}  # field: function giving its options, read when the form is rendered
    word_search = None  # the `q` search, planned once for the count, the page and the facets

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        read = {}  # each function read once, when the form is rendered, for the fields sharing it
        for name, options in self.option_lists.items():
            self.form.fields[name].widget.choices = functools.partial(self._options, read, options)

    @staticmethod
    def _options(read, options):
        if options not in read:
            read[options] = options()
        return read[options]

    def active_filters(self):
        """The filters the URL sets, each value with its label and the URL without it:
        [{"label", "value", "remove"}], in the form's order (sort, page and format left out)."""
        if not self.is_valid():
            return []
        found = []
        for name, field in self.form.fields.items():
            if name == "sort":
                continue
            raw = [value for value in self.data.getlist(name) if value.strip()]
            if not isinstance(field.widget.value_from_datadict(self.data, {}, name), list | tuple):
                raw = raw[-1:]  # a field of one value reads the last given, as the form does
            if not raw or self.form.cleaned_data.get(name) in (None, "", [], False):
                continue
            names = {}
            cleaned = self.form.cleaned_data[name]
            if isinstance(cleaned, QuerySet) and cleaned.model is Topic and hasattr(self, "topics"):
                cleaned = self.topics()  # read once for the facets too
            for item in cleaned if isinstance(cleaned, list | tuple | QuerySet) else [cleaned]:
                key = getattr(item, "code", None) or getattr(item, "slug", None)
                if key:
                    names[key.lower()] = str(getattr(item, "name", item))
            choices = {}
            if not isinstance(field, forms.ModelChoiceField):  # a model field's choices are a query
                choices = {str(value): str(label) for value, label in getattr(field, "choices", [])}
            for value in raw:
                if isinstance(field.widget, forms.CheckboxInput):
                    shown = "yes"
                else:
                    shown = names.get(value.lower()) or choices.get(value) or value
                remaining = self.data.copy()
                remaining.setlist(name, [other for other in raw if other != value])
                for gone in ("page", "format"):
                    remaining.pop(gone, None)
                query = remaining.urlencode()
                found.append({"label": field.label, "value": shown, "remove": f"?{query}" if query else "?"})
        return found

    def active(self, values):
        """The parameters with a value among `values` (cleaned data), but the sort order."""
        return {
            name for name, value in values.items() if value not in (None, "", [], False) and name != "sort"
        }

    def tally(self, values):
        """(summary rows, count field) that hold the count of the rows `values` select, or None."""
        return None

    def year_range(self, values):
        return whole_years(values.get("date_after"), values.get("date_before"))

    @staticmethod
    def by_years(rows, years):
        first, last = years
        if first is not None:
            rows = rows.filter(year__gte=first)
        if last is not None:
            rows = rows.filter(year__lte=last)
        return rows

    @cached_property
    def values(self):
        """The cleaned values, an empty choice of records as [] (the form gives an empty queryset)."""
        return {
            name: [] if isinstance(value, QuerySet) and value.query.is_empty() else value
            for name, value in self.form.cleaned_data.items()
        }

    def index_rows(self, values):
        """The pair or party rows (`ROW_KEYS`) that stand for the rows `values` select when they
        name a pair, a country or a leader and filter only on what those rows carry, or None.
        Counting, grouping and selecting them reads one index range instead of joining the
        list's table."""
        return None

    def filter_queryset(self, queryset):
        """The list's rows: by key from their pair or party rows when those stand for them (one
        index range with every filter in it), else through each filter."""
        rows = self.index_rows(self.values)
        if rows is None:
            return super().filter_queryset(queryset)
        key, _day = ROW_KEYS[rows.model]
        return self.filters["sort"].filter(queryset.filter(pk__in=rows.values(key)), self.values.get("sort"))

    def keys(self):
        """The keys of the list's rows in its order: read from the pair or party rows' index
        when those stand for them in date order (the lists' order is theirs read backwards)."""
        rows = self.index_rows(self.values)
        sort = self.values.get("sort") or ["-date"]
        if rows is None or sort not in (["date"], ["-date"]):
            return self.qs.prefetch_related(None).values_list("pk", flat=True)
        key, day = ROW_KEYS[rows.model]
        order = (day, key) if sort == ["date"] else (f"-{day}", f"-{key}")
        return rows.order_by(*order).values_list(key, flat=True)

    def counted_rows(self, values):
        """What to count and group for `values`: their pair or party rows, or the list's rows."""
        rows = self.index_rows(values)
        return self.rows_for(values) if rows is None else rows

    def count(self):
        """(number of rows, exact)."""
        summary = self.tally(self.values)
        if summary:
            rows, field = summary
            return rows.aggregate(total=Sum(field))["total"] or 0, True
        limit = SEARCH_COUNT_LIMIT if self.values.get("q") else COUNT_LIMIT
        return bounded_count(self.counted_rows(self.values), limit)

    def search_words(self, queryset, name, value):
        if self.word_search is None:
            self.word_search = Search(queryset.model, value, queryset.db)
        return self.word_search.apply(queryset)

    def facets(self, count):
        """The facets beside a list of `count` rows (exact or not): each value with its count and
        the query that adds or removes it; a facet too costly to count says so instead."""
        result = []
        for parameter, label, repeatable, field in self.facet_specs:
            values = dict(self.values)
            if parameter != "year":
                values[parameter] = [] if repeatable else ""
            counts = self.facet_counts(values, parameter, field, count)
            facet = {"parameter": parameter, "label": label, "items": [], "omitted": counts is None}
            if counts is not None:
                items = (
                    self.year_items(counts)
                    if parameter == "year"
                    else self.items(parameter, repeatable, counts)
                )
                facet["items"] = items
            result.append(facet)
        return result

    def facet_counts(self, values, parameter, field, count):
        summary = self.tally(values)
        if summary and any(f.attname == field for f in summary[0].model._meta.concrete_fields):
            rows, total = summary
            found = rows.order_by().values_list(field).annotate(n=Sum(total)).values_list(field, "n")
            return {value: n for value, n in found if n}
        rows = self.counted_rows(values)
        # A facet whose parameter is not chosen counts the list's own rows: already counted.
        size, exact = count if values == self.values else bounded_count(rows, FACET_LIMIT)
        if not exact or size > FACET_LIMIT:
            return None
        if parameter == "year":
            rows = rows.annotate(year=ExtractYear(self.year_field))
        found = rows.order_by().values_list(field).annotate(n=Count("pk")).values_list(field, "n")
        return dict(found)

    def rows_for(self, values):
        """The rows that filter `values` (cleaned data) select: the filters applied as
        `filter_queryset` applies the form's, without validating the form again."""
        queryset = self.queryset.all()
        for name, value in values.items():
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def items(self, parameter, repeatable, counts):
        selected = self.data.getlist(parameter)
        items = []
        for value, name in self.facet_labels(parameter):
            is_selected = value in selected
            if not counts.get(value) and not is_selected:
                continue
            if repeatable:
                query = [v for v in selected if v != value] if is_selected else [*selected, value]
            else:
                query = None if is_selected else value
            items.append(
                {
                    "value": value,
                    "label": name,
                    "count": counts.get(value, 0),
                    "selected": is_selected,
                    "query": query,
                }
            )
        return items

    def year_items(self, counts):
        after, before = self.data.get("date_after", ""), self.data.get("date_before", "")
        items = []
        for year in sorted(counts, reverse=True):
            first, last = f"{year:04d}-01-01", f"{year:04d}-12-31"
            is_selected = (after, before) == (first, last)
            items.append(
                {
                    "value": str(year),
                    "label": str(year),
                    "count": counts[year],
                    "selected": is_selected,
                    "after": None if is_selected else first,
                    "before": None if is_selected else last,
                }
            )
        return items

    def cache_key(self):
        """The declared parameters' values as given, or None when the request holds anything
        else (then the page is not kept: an unknown parameter never makes a cache entry)."""
        declared = {*self.filters, "page"}
        if not set(self.data) <= declared:
            return None
        return tuple(sorted((name, tuple(self.data.getlist(name))) for name in self.data))


class MeetingFilter(ListFilterSet):
    country = CountriesFilter(
        label="Countries (all take part)",
        field_name="countries",
        lookup_expr="exact",
        queryset=Country.objects.only("code", "name"),
        to_field_name="code",
        conjoined=True,
        distinct=False,
        widget=LongSelectMultiple,
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
    q = WordsFilter(label="Words", field_name="title", lookup_expr="exact", method="search_words")
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
        form = ListFilterForm

    def tally(self, values):
        active = self.active(values)
        countries = values.get("country") or []
        if active == {"country"} and len(countries) == 2:
            return PairTally.objects.between(*countries), "meetings"
        if active == {"country"} and len(countries) == 1:
            return CountryTally.objects.filter(country=countries[0]), "meetings"
        if active == {"leader"}:
            return LeaderTally.objects.filter(leader=values["leader"]), "meetings"
        years = self.year_range(values)
        if active <= {"kind", "date_after", "date_before"} and years:
            rows = self.by_years(MeetingTally.objects.all(), years)
            return (rows.filter(kind=values["kind"]) if values.get("kind") else rows), "meetings"
        return None

    def index_rows(self, values):
        countries, active = values.get("country") or [], self.active(values)
        if active <= {"country", "kind", "date_after", "date_before"} and len(countries) == 2:
            rows = MeetingPair.objects.between(*countries)
        elif active <= {"country", "kind", "date_after", "date_before"} and len(countries) == 1:
            rows = CountryMeeting.objects.filter(country=countries[0])
        elif active <= {"leader", "kind", "date_after", "date_before"} and values.get("leader"):
            rows = LeaderMeeting.objects.filter(leader=values["leader"])
        else:
            return None
        if values.get("kind"):
            rows = rows.filter(kind=values["kind"])
        return by_dates(rows, "date", values)

    def facet_labels(self, parameter):
        return MeetingKind.choices

    def kind_words(self):
        """For a list filtered by kind: {"label": the kind's name, "query": the same words as a
        search}, so that a page with no meetings of that kind can offer the meetings that mention
        it ("summit" in a title); else None."""
        kind = self.is_valid() and self.form.cleaned_data.get("kind")
        if not kind:
            return None
        label = MeetingKind(kind).label
        words_ = label.lower()
        return {"label": label, "query": f'"{words_}"' if " " in words_ else words_}


class CommitmentFilterForm(ListFilterForm):
    def clean(self):
        cleaned = super().clean()
        if len(cleaned.get("party") or []) > 1:
            self.add_error("party", "Choose one party.")
        elif cleaned.get("party_status") and not cleaned.get("party"):
            self.add_error("party_status", "Choose the party whose status this is.")
        return cleaned


class CommitmentFilter(ListFilterSet):
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
        queryset=Country.objects.only("code", "name"),
        to_field_name="code",
        conjoined=True,
        distinct=False,
        widget=LongSelectMultiple,
    )
    overdue = filters.BooleanFilter(
        label="Overdue only",
        field_name="target_date",
        lookup_expr="lt",
        method="only_overdue",
        widget=OnOffCheckbox,
    )
    party = CountriesFilter(
        label="Party",
        field_name="parties",
        lookup_expr="exact",
        queryset=Country.objects.only("code", "name"),
        to_field_name="code",
        conjoined=True,
        distinct=False,
        widget=LongSelectOfList,
        help_text="One country, whose own status the next filter reads.",
    )
    party_status = filters.ChoiceFilter(
        label="Status for that party",
        field_name="status",
        lookup_expr="exact",
        choices=Status.choices,
        empty_label="Any",
        method="by_party_status",
        help_text="That party's own status: its latest history entry for that party or for all.",
    )
    stale = filters.BooleanFilter(
        label="Stale only",
        field_name="reviewed_on",
        lookup_expr="lt",
        method="only_stale",
        widget=OnOffCheckbox,
        help_text="Open, and not reviewed for more than a year.",
    )
    date_after = DayFilter(label="Agreed from", field_name="meeting_date", lookup_expr="gte")
    date_before = DayFilter(label="Agreed until", field_name="meeting_date", lookup_expr="lte")
    q = WordsFilter(label="Words", field_name="summary", lookup_expr="exact", method="search_words")
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
    option_lists = {"country": commitment_country_options, "party": commitment_country_options}

    class Meta:
        model = Commitment
        fields = []
        form = CommitmentFilterForm

    def only_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset

    def only_stale(self, queryset, name, value):
        return queryset.stale() if value else queryset

    def by_party_status(self, queryset, name, value):
        if not value:
            return queryset
        (party,) = self.form.cleaned_data["party"]
        return queryset.with_party_status(party.code).filter(party_status=value)

    def tally(self, values):
        active = self.active(values)
        countries = values.get("country") or []
        topics, status = values.get("topic") or [], values.get("status")
        if "country" in active:
            if len(countries) == 1 and active == {"country"}:
                return CountryTally.objects.filter(country=countries[0]), "commitments"
            if len(countries) != 2 or not active <= {"country", "topic", "status"}:
                return None
            rows = PairTopicTally.objects.between(*countries)
        else:
            years = self.year_range(values)
            if not (active <= {"topic", "status", "date_after", "date_before"} and years):
                return None
            rows = self.by_years(CommitmentTally.objects.all(), years)
        if topics:
            rows = rows.filter(topic__in=topics)
        if status:
            rows = rows.filter(status=status)
        return rows, "commitments"

    def index_rows(self, values):
        countries = values.get("country") or []
        if not self.active(values) <= {"country", "topic", "status", "date_after", "date_before"}:
            return None
        if len(countries) == 2:
            rows = CommitmentPair.objects.between(*countries)
        elif len(countries) == 1:
            rows = CountryCommitment.objects.filter(country=countries[0])
        else:
            return None
        if values.get("topic"):
            rows = rows.filter(topic__in=values["topic"])
        if values.get("status"):
            rows = rows.filter(status=values["status"])
        return by_dates(rows, "meeting_date", values)

    def facet_labels(self, parameter):
        if parameter == "topic":
            return [(topic.slug, topic.name) for topic in self.topics()]
        return Status.choices

    def topics(self):
        if not hasattr(self, "_topics"):
            self._topics = list(Topic.objects.all())
        return self._topics


class AgreementFilter(ListFilterSet):
    """Agreements: a short table (thousands of rows at most), counted and grouped directly."""

    country = CountriesFilter(
        label="Parties (all of)",
        field_name="parties",
        lookup_expr="exact",
        queryset=Country.objects.only("code", "name"),
        to_field_name="code",
        conjoined=True,
        distinct=False,
        widget=LongSelectMultiple,
    )
    kind = filters.ChoiceFilter(
        label="Kind",
        field_name="kind",
        lookup_expr="exact",
        choices=AgreementKind.choices,
        empty_label="Any kind",
    )
    status = filters.ChoiceFilter(
        label="Status",
        field_name="status",
        lookup_expr="exact",
        choices=AgreementStatus.choices,
        empty_label="Any status",
    )
    binding = filters.ChoiceFilter(
        label="Legally binding",
        field_name="binding",
        lookup_expr="exact",
        choices=[("yes", "Binding"), ("no", "Not binding")],
        empty_label="Either",
        method="by_binding",
    )
    topic = TopicsFilter(
        label="Topics of its commitments (any of)",
        field_name="commitments__topic",
        lookup_expr="exact",
        queryset=Topic.objects.all(),
        to_field_name="slug",
        method="by_topics",
        widget=forms.CheckboxSelectMultiple,
    )
    date_after = DayFilter(label="Signed from", field_name="date", lookup_expr="gte")
    date_before = DayFilter(label="Signed until", field_name="date", lookup_expr="lte")
    q = WordsFilter(label="Words", field_name="title", lookup_expr="exact", method="by_words")
    sort = SortFilter(
        label="Sort by",
        fields=(("date", "date"), ("title", "title")),
        field_labels={"date": "Date, oldest first", "-date": "Date, newest first", "title": "Title"},
        empty_label="Newest first",
    )

    facet_specs = (
        ("kind", "Kinds", False, "kind"),
        ("status", "Statuses", False, "status"),
        ("year", "Years", False, "year"),
    )
    option_lists = {"country": agreement_country_options}
    year_field = "date"

    class Meta:
        model = Agreement
        fields = []
        form = ListFilterForm

    def by_binding(self, queryset, name, value):
        return queryset.filter(binding=value == "yes") if value else queryset

    def by_topics(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Exists(Commitment.objects.filter(agreement=OuterRef("pk"), topic__in=value)))

    def by_words(self, queryset, name, value):
        return queryset.matching(value)

    def facet_labels(self, parameter):
        return AgreementKind.choices if parameter == "kind" else AgreementStatus.choices
