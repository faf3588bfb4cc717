"""Atom feeds: new meetings, commitments and agreements (the lists' filters apply), and one per pair."""

from types import SimpleNamespace

from django.contrib.syndication.views import Feed
from django.core.exceptions import BadRequest
from django.db.models import Prefetch
from django.http import Http404
from django.templatetags.static import static
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Stylesheet
from django.utils.xmlutils import SimplerXMLGenerator

from .filters import AgreementFilter, CommitmentFilter, MeetingFilter
from .models import Agreement, Commitment, Meeting, StatusChange
from .views import pair_from_url

FEED_LENGTH = 50


class StyledAtomFeed(Atom1Feed):
    """Atom with its stylesheets, so that a browser shows a feed as a page (Django writes the
    stylesheets of RSS feeds only), served as XML, which browsers render with them, and with
    plain-text summaries (Django's are HTML): a reader shows the record's text as it is."""

    content_type = "application/xml; charset=utf-8"

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})

    def write(self, outfile, encoding):
        handler = SimplerXMLGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        for stylesheet in self.feed["stylesheets"] or []:
            handler.processingInstruction("xml-stylesheet", str(stylesheet))
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")


class StyledFeed(Feed):
    feed_type = StyledAtomFeed

    def stylesheets(self):
        return [Stylesheet(static("css/feed.css"), mimetype="text/css", media="screen")]


def with_latest_entry(commitments):
    """Commitments with `history_newest_first`, their history entries (a few each), newest first,
    read for all of them in one query."""
    latest = StatusChange.objects.select_related("party").order_by("commitment", "-date", "-id")
    return commitments.prefetch_related(Prefetch("history", queryset=latest, to_attr="history_newest_first"))


def commitment_description(commitment):
    """Where it stands and what last changed: the latest history entry, the change it records."""
    text = f"{commitment.get_status_display()}."
    latest = next(iter(commitment.history_newest_first), None)
    if latest:
        if latest.review:
            change = f"reviewed, no change ({latest.get_status_display().lower()})"
        else:
            change = f"now {latest.get_status_display().lower()}"
        whose = f" for {latest.party.name}" if latest.party else ""
        note = f" {latest.note}" if latest.note else ""
        text += f" Latest entry, {latest.date:%-d %B %Y}: {change}{whose}.{note}"
    return f"{text} Agreed at {commitment.meeting.title} ({commitment.meeting.date:%-d %B %Y})."


def commitment_updated(commitment):
    """The later of the last edit and the last history entry recorded."""
    recorded = [entry.recorded_at for entry in commitment.history_newest_first]
    return max([commitment.updated_at, *recorded])


class FilteredFeed(StyledFeed):
    """A feed of the newest records of a filtered list; a bad filter value answers 400."""

    filterset_class = None
    list_url_name = ""

    def get_object(self, request, *args, **kwargs):
        filterset = self.filterset_class(request.GET or None, queryset=self.base_queryset())
        if filterset.is_bound and not filterset.is_valid():
            raise BadRequest(filterset.form.errors.as_text())
        filterset.querystring = request.GET.urlencode()
        return filterset

    def link(self, filterset):
        url = reverse(self.list_url_name)
        return f"{url}?{filterset.querystring}" if filterset.querystring else url

    def feed_url(self, filterset):
        """The feed's own URL with its filters, for its `rel="self"` link."""
        url = reverse(self.list_url_name.replace("-list", "-feed"))
        return f"{url}?{filterset.querystring}" if filterset.querystring else url

    def title(self, filterset):
        shown = "; ".join(f"{item['label']}: {item['value']}" for item in filterset.active_filters())
        return (
            f"{self.records_title} where {shown} · Bilateral agreements"
            if shown
            else (f"{self.records_title} · Bilateral agreements")
        )

    def items(self, filterset):
        return filterset.qs.order_by("-created_at", "-pk")[:FEED_LENGTH]

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return item.updated_at


class MeetingFeed(FilteredFeed):
    filterset_class = MeetingFilter
    list_url_name = "agreements:meeting-list"
    records_title = "New meetings"
    subtitle = "Leaders' meetings as they are added to the record."

    def base_queryset(self):
        return Meeting.objects.with_related()

    def item_title(self, item):
        return f"{item.date:%-d %B %Y}: {item.title}"

    def item_description(self, item):
        countries = ", ".join(country.name for country in item.countries.all())
        return f"{item.get_kind_display()}, {countries}. {item.summary}".strip()


class CommitmentFeed(FilteredFeed):
    filterset_class = CommitmentFilter
    list_url_name = "agreements:commitment-list"
    records_title = "New commitments"
    subtitle = "Commitments as they are added to the record."

    def base_queryset(self):
        return with_latest_entry(Commitment.objects.with_related())

    def item_title(self, item):
        return f"{item.topic.name}: {item.summary}"

    def item_description(self, item):
        return commitment_description(item)

    def item_updateddate(self, item):
        return commitment_updated(item)


class AgreementFeed(FilteredFeed):
    filterset_class = AgreementFilter
    list_url_name = "agreements:agreement-list"
    records_title = "New agreements"
    subtitle = "Treaties, statements and plans as they are added to the record."

    def base_queryset(self):
        return Agreement.objects.with_related()

    def item_title(self, item):
        return agreement_title(item)

    def item_description(self, item):
        return agreement_description(item)


def agreement_title(agreement):
    return f"{agreement.get_kind_display()}, {agreement.date:%-d %B %Y}: {agreement.title}"


def agreement_description(agreement):
    parties = ", ".join(country.name for country in agreement.parties.all())
    binding = "Legally binding" if agreement.binding else "Not legally binding"
    return f"{parties}. {binding}; {agreement.get_status_display().lower()}. {agreement.summary}".strip()


class RelationFeed(StyledFeed):
    """A pair's meetings, commitments and agreements, newest additions first.

    The URL follows the pair page's rules: the reversed order answers 301 to the
    alphabetical one, a pair with no meetings, commitments or agreements 404.
    """

    def __call__(self, request, *args, **kwargs):
        _pair, moved = pair_from_url("agreements:relation-feed", kwargs["a"], kwargs["b"])
        return moved or super().__call__(request, *args, **kwargs)

    def get_object(self, request, a, b):
        pair, _moved = pair_from_url("agreements:relation-feed", a, b)
        # The newest rows are read here so that a pair with no records is a 404, as its page is.
        # (The feed object serves every request: the rows go in the returned value, not on it.)
        newest = self._newest(pair)
        if not newest:
            raise Http404("No records for this pair.")
        return SimpleNamespace(a=pair.a, b=pair.b, pair=pair, items=newest)

    def title(self, pair):
        return f"{pair.a.name} and {pair.b.name} · Bilateral agreements"

    def link(self, pair):
        return pair.pair.get_absolute_url()

    def subtitle(self, pair):
        return f"New meetings, commitments and agreements of {pair.a.name} and {pair.b.name}."

    def items(self, pair):
        return pair.items

    def _newest(self, pair):
        meetings = list(pair.meetings().order_by("-created_at", "-pk")[:FEED_LENGTH])
        commitments = list(
            with_latest_entry(pair.commitments().select_related("meeting", "topic")).order_by(
                "-created_at", "-pk"
            )[:FEED_LENGTH]
        )
        agreements = list(
            Agreement.objects.between(pair.a, pair.b)
            .prefetch_related("parties")
            .order_by("-created_at", "-pk")[:FEED_LENGTH]
        )
        items = sorted(meetings + commitments + agreements, key=lambda item: item.created_at, reverse=True)
        return items[:FEED_LENGTH]

    def item_title(self, item):
        if isinstance(item, Meeting):
            return f"Meeting, {item.date:%-d %B %Y}: {item.title}"
        if isinstance(item, Agreement):
            return agreement_title(item)
        return f"Commitment ({item.topic.name}): {item.summary}"

    def item_description(self, item):
        if isinstance(item, Meeting):
            return item.summary
        if isinstance(item, Agreement):
            return agreement_description(item)
        return commitment_description(item)

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return commitment_updated(item) if isinstance(item, Commitment) else item.updated_at
