"""Writing meetings and agreements in the import format (`bilateral-meetings/3`), deterministically.

The same records always give the same bytes, so export, import into an empty database and
export again gives an identical document:

- meetings by date, then slug; countries and parties by code; commitments by topic (in the
  topic vocabulary's order), then summary; status history by date, then the order recorded; a
  commitment's links by the earlier commitment's meeting (date, then slug), topic and summary;
- a meeting's leaders: the host's first, then by country code and name;
- sources in the order they were cited (the order of the file they came from);
- agreements by date, then slug; their parties by code, the agreements they supersede or amend
  by slug, their events by date, then the order recorded, their signatories in the order
  recorded, their texts by language, then the order recorded;
- keys in a fixed order; optional fields that are empty are left out (a history entry's
  `review` when false), and `parties` is left out when it is the meeting's countries;
- a link names the earlier commitment by its natural key: meeting slug, topic and summary;
- a history entry's or an event's source is its URL when the document cites that source
  elsewhere, otherwise the source itself (URL, publisher, title, publication date, kind,
  issuer), so the document stands alone.

Only the records' own content is written: no database ids, no timestamps, no leader slugs (a
signatory who is a leader of the record is written as the leader, as a meeting's leaders are).
"""

import json
from collections import defaultdict

from django.db.models import Exists, OuterRef, Q

from .importer import FORMAT
from .models import (
    Agreement,
    AgreementCitation,
    AgreementEvent,
    AgreementText,
    Commitment,
    CommitmentCitation,
    CommitmentLink,
    LeaderCitation,
    Meeting,
    MeetingCitation,
    Signatory,
    StatusChange,
)


def meetings_to_export(countries=(), topics=(), since=None):
    """The meetings an export holds: all given countries take part, a commitment on any given topic."""
    meetings = Meeting.objects.involving(*countries)
    if topics:
        meetings = meetings.filter(
            Exists(Commitment.objects.filter(meeting=OuterRef("pk"), topic__in=topics))
        )
    if since is not None:
        meetings = meetings.filter(date__gte=since)
    return meetings


def agreements_to_export(countries=(), since=None):
    """The agreements an export holds (besides those its commitments name): every given country
    is a party, signed or adopted on or after `since`."""
    agreements = Agreement.objects.between(*countries)
    if since is not None:
        agreements = agreements.filter(date__gte=since)
    return agreements


def _compact(pairs):
    """A dict of the pairs whose value is not empty (None, "" or [])."""
    return {key: value for key, value in pairs if value not in (None, "", [])}


def _date(value):
    return value.isoformat() if value else None


def _source(source, excerpt=""):
    return _compact(
        [
            ("url", source.url),
            ("publisher", source.publisher),
            ("title", source.title),
            ("published", _date(source.published)),
            ("kind", source.kind),
            ("issuer", source.issuer_id),
            ("excerpt", excerpt),
        ]
    )


def export_document(meetings, topics=(), agreements=None):
    """The document for a queryset of meetings; with `topics`, only commitments on those topics.
    It holds the queryset `agreements` (by default, every agreement) and those its commitments name."""
    meetings = meetings.order_by()
    rows = list(meetings.select_related(None).order_by("date", "slug"))
    selected = meetings.values("pk")

    countries = defaultdict(list)
    for meeting_id, code in (
        Meeting.countries.through.objects.filter(meeting__in=selected)
        .order_by("country_id")
        .values_list("meeting_id", "country_id")
    ):
        countries[meeting_id].append(code)

    leaders = defaultdict(list)
    for row in (
        Meeting.leaders.through.objects.filter(meeting__in=selected).select_related("leader").order_by("id")
    ):
        leaders[row.meeting_id].append(row.leader)

    leader_citations = defaultdict(list)
    for citation in (
        LeaderCitation.objects.filter(leader__meetings__in=selected)
        .distinct()
        .select_related("source")
        .order_by("id")
    ):
        leader_citations[citation.leader_id].append(citation)
    leaders_written = set()

    citations = defaultdict(list)
    for citation in (
        MeetingCitation.objects.filter(meeting__in=selected).select_related("source").order_by("id")
    ):
        citations[citation.meeting_id].append(citation)

    commitment_rows = Commitment.objects.filter(meeting__in=selected)
    if topics:
        commitment_rows = commitment_rows.filter(topic__in=topics)
    commitment_ids = commitment_rows.values("pk")
    commitments = defaultdict(list)
    for commitment in commitment_rows.select_related("topic", "agreement", "fulfilled_by").order_by(
        "meeting_id", "topic__position", "topic__slug", "summary"
    ):
        commitments[commitment.meeting_id].append(commitment)

    parties = defaultdict(list)
    for commitment_id, code in (
        Commitment.parties.through.objects.filter(commitment__in=commitment_ids)
        .order_by("country_id")
        .values_list("commitment_id", "country_id")
    ):
        parties[commitment_id].append(code)

    commitment_citations = defaultdict(list)
    for citation in (
        CommitmentCitation.objects.filter(commitment__in=commitment_ids)
        .select_related("source")
        .order_by("id")
    ):
        commitment_citations[citation.commitment_id].append(citation)

    history = defaultdict(list)
    for change in (
        StatusChange.objects.filter(commitment__in=commitment_ids)
        .select_related("source")
        .order_by("date", "id")
    ):
        history[change.commitment_id].append(change)

    links = defaultdict(list)
    for link in (
        CommitmentLink.objects.filter(commitment__in=commitment_ids)
        .select_related("earlier__meeting")
        .order_by(
            "earlier__meeting__date",
            "earlier__meeting__slug",
            "earlier__topic__position",
            "earlier__topic__slug",
            "earlier__summary",
        )
    ):
        links[link.commitment_id].append(link)

    agreements = Agreement.objects.all() if agreements is None else agreements
    named = commitment_rows.order_by()
    agreement_rows = list(
        Agreement.objects.filter(
            Q(pk__in=agreements.order_by().values("pk"))
            | Q(pk__in=named.filter(agreement__isnull=False).values("agreement_id"))
            | Q(pk__in=named.filter(fulfilled_by__isnull=False).values("fulfilled_by_id"))
        )
        .select_related("meeting")
        .order_by("date", "slug")
    )
    agreement_ids = [agreement.pk for agreement in agreement_rows]

    agreement_parties = defaultdict(list)
    for agreement_id, code in (
        Agreement.parties.through.objects.filter(agreement__in=agreement_ids)
        .order_by("country_id")
        .values_list("agreement_id", "country_id")
    ):
        agreement_parties[agreement_id].append(code)

    related = defaultdict(lambda: defaultdict(list))  # agreement id -> "supersedes"/"amends" -> slugs
    for name in ("supersedes", "amends"):
        for agreement_id, slug in (
            getattr(Agreement, name)
            .through.objects.filter(from_agreement__in=agreement_ids)
            .order_by("to_agreement__slug")
            .values_list("from_agreement_id", "to_agreement__slug")
        ):
            related[agreement_id][name].append(slug)

    agreement_citations = defaultdict(list)
    for citation in (
        AgreementCitation.objects.filter(agreement__in=agreement_ids).select_related("source").order_by("id")
    ):
        agreement_citations[citation.agreement_id].append(citation)

    events = defaultdict(list)
    for event in (
        AgreementEvent.objects.filter(agreement__in=agreement_ids)
        .select_related("source")
        .order_by("date", "id")
    ):
        events[event.agreement_id].append(event)

    signatories = defaultdict(list)
    for signatory in (
        Signatory.objects.filter(agreement__in=agreement_ids).select_related("leader").order_by("id")
    ):
        signatories[signatory.agreement_id].append(signatory)

    texts = defaultdict(list)
    for text in AgreementText.objects.filter(agreement__in=agreement_ids).order_by("language", "id"):
        texts[text.agreement_id].append(text)

    cited = {citation.source.url for group in citations.values() for citation in group}
    cited |= {citation.source.url for group in commitment_citations.values() for citation in group}
    cited |= {citation.source.url for group in agreement_citations.values() for citation in group}

    def history_source(source):
        if source.url in cited:
            return source.url
        return _source(source)

    def commitment_entry(commitment, meeting_countries):
        party_codes = parties[commitment.pk]
        return _compact(
            [
                ("topic", commitment.topic_id),
                ("summary", commitment.summary),
                ("detail", commitment.detail),
                ("status", commitment.status),
                ("parties", None if party_codes == meeting_countries else party_codes),
                ("target", commitment.target_display),
                ("level_from", commitment.level_from),
                ("level_to", commitment.level_to),
                ("agreement", commitment.agreement.slug if commitment.agreement_id else None),
                ("paragraph", commitment.paragraph),
                ("fulfilled_by", commitment.fulfilled_by.slug if commitment.fulfilled_by_id else None),
                ("sources", [_source(c.source, c.excerpt) for c in commitment_citations[commitment.pk]]),
                (
                    "history",
                    [
                        _compact(
                            [
                                ("date", _date(change.date)),
                                ("status", change.status),
                                ("party", change.party_id),
                                ("review", change.review or None),
                                ("note", change.note),
                                ("source", history_source(change.source)),
                            ]
                        )
                        for change in history[commitment.pk]
                    ],
                ),
                (
                    "links",
                    [
                        _compact(
                            [
                                ("kind", link.kind),
                                ("meeting", link.earlier.meeting.slug),
                                ("topic", link.earlier.topic_id),
                                ("summary", link.earlier.summary),
                                ("note", link.note),
                            ]
                        )
                        for link in links[commitment.pk]
                    ],
                ),
            ]
        )

    def leader_entry(leader, with_sources=False):
        """A leader; their sources at their first meeting in the document (an import adds them)."""
        sources = None
        if with_sources and leader.pk not in leaders_written:
            leaders_written.add(leader.pk)
            sources = [_source(c.source, c.excerpt) for c in leader_citations[leader.pk]]
        return _compact(
            [
                ("name", leader.name),
                ("native_name", leader.native_name),
                ("country", leader.country_id),
                ("title", leader.title),
                ("took_office", _date(leader.took_office)),
                ("left_office", _date(leader.left_office)),
                ("sources", sources),
            ]
        )

    def meeting_entry(meeting):
        codes = countries[meeting.pk]
        return _compact(
            [
                ("slug", meeting.slug),
                ("date", _date(meeting.date)),
                ("end_date", _date(meeting.end_date)),
                ("kind", meeting.kind),
                ("title", meeting.title),
                ("city", meeting.city),
                ("venue", meeting.venue),
                ("host", meeting.host_id),
                ("countries", codes),
                ("summary", meeting.summary),
                (
                    "leaders",
                    [
                        leader_entry(leader, with_sources=True)
                        for leader in sorted(
                            leaders[meeting.pk],
                            key=lambda leader: (
                                leader.country_id != meeting.host_id,
                                leader.country_id,
                                leader.name,
                            ),
                        )
                    ],
                ),
                ("sources", [_source(c.source, c.excerpt) for c in citations[meeting.pk]]),
                ("commitments", [commitment_entry(c, codes) for c in commitments[meeting.pk]]),
            ]
        )

    def agreement_entry(agreement):
        return _compact(
            [
                ("slug", agreement.slug),
                ("date", _date(agreement.date)),
                ("kind", agreement.kind),
                ("title", agreement.title),
                ("title_is_translation", agreement.title_is_translation),
                ("original_title", agreement.original_title),
                ("original_language", agreement.original_language),
                ("binding", agreement.binding),
                ("place", agreement.place),
                ("parties", agreement_parties[agreement.pk]),
                ("meeting", agreement.meeting.slug if agreement.meeting_id else None),
                ("summary", agreement.summary),
                ("status", agreement.status),
                ("supersedes", related[agreement.pk]["supersedes"]),
                ("amends", related[agreement.pk]["amends"]),
                ("sources", [_source(c.source, c.excerpt) for c in agreement_citations[agreement.pk]]),
                (
                    "events",
                    [
                        _compact(
                            [
                                ("date", _date(event.date)),
                                ("kind", event.kind),
                                ("party", event.party_id),
                                ("note", event.note),
                                ("source", history_source(event.source)),
                            ]
                        )
                        for event in events[agreement.pk]
                    ],
                ),
                (
                    "signatories",
                    [
                        _compact(
                            [
                                ("country", signatory.country_id),
                                ("leader", leader_entry(signatory.leader) if signatory.leader_id else None),
                                ("name", signatory.name),
                                ("office", signatory.office),
                            ]
                        )
                        for signatory in signatories[agreement.pk]
                    ],
                ),
                (
                    "texts",
                    [
                        _compact(
                            [
                                ("language", text.language),
                                ("kind", text.kind),
                                ("url", text.url),
                                ("title", text.title),
                            ]
                        )
                        for text in texts[agreement.pk]
                    ],
                ),
            ]
        )

    return {
        "format": FORMAT,
        "meetings": [meeting_entry(meeting) for meeting in rows],
        "agreements": [agreement_entry(agreement) for agreement in agreement_rows],
    }


def dumps(document):
    """The document as text: two-space indents, UTF-8 as is, a final newline."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
