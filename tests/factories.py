"""Small, deterministic factories: each builds a valid record, overrides change any field."""

import datetime
import itertools

from agreements.models import (
    Agreement,
    AgreementCitation,
    AgreementText,
    Commitment,
    CommitmentCitation,
    Country,
    Leader,
    Meeting,
    MeetingCitation,
    Signatory,
    Source,
    StatusChange,
    Topic,
)

_sequence = itertools.count(1)


def country(code):
    return Country.objects.get(code=code)


def make_source(**overrides):
    n = next(_sequence)
    fields = {
        "url": f"https://news.example.org/report-{n}",
        "publisher": "Example News",
        "title": f"Report {n}",
        "published": datetime.date(2026, 1, 16),
    }
    fields.update(overrides)
    return Source.objects.create(**fields)


def make_leader(**overrides):
    n = next(_sequence)
    fields = {
        "name": f"Leader {n}",
        "slug": f"leader-{n}",
        "country": country("JP"),
        "title": "Prime Minister of Japan",
        "took_office": datetime.date(2020, 1, 1),
    }
    fields.update(overrides)
    return Leader.objects.create(**fields)


def make_meeting(countries=("IT", "JP"), leaders=(), sources=None, **overrides):
    n = next(_sequence)
    fields = {
        "slug": f"meeting-{n}",
        "kind": "summit",
        "date": datetime.date(2026, 1, 16),
        "city": "Tokyo",
        "host": country(countries[-1]) if countries else None,
        "title": f"Summit {n}",
    }
    fields.update(overrides)
    meeting = Meeting.objects.create(**fields)
    meeting.countries.set(countries)
    meeting.leaders.set(leaders)
    for source in sources if sources is not None else [make_source()]:
        MeetingCitation.objects.create(meeting=meeting, source=source)
    return meeting


def make_commitment(meeting=None, parties=None, sources=None, **overrides):
    meeting = meeting or make_meeting()
    n = next(_sequence)
    fields = {
        "meeting": meeting,
        "topic": Topic.objects.get(slug="space"),
        "summary": f"Commitment {n}",
        "status": "announced",
    }
    fields.update(overrides)
    status = fields.pop("status")
    commitment = Commitment.objects.create(**fields)
    commitment.parties.set(parties if parties is not None else meeting.countries.all())
    sources = sources if sources is not None else [make_source()]
    for source in sources:
        CommitmentCitation.objects.create(commitment=commitment, source=source)
    Commitment.objects.filter(pk=commitment.pk).complete_from_meetings()  # as every writer does
    if status != "announced":  # a status other than announced is what a dated, sourced entry says
        source = sources[0] if sources else make_source()
        StatusChange.objects.create(commitment=commitment, date=meeting.date, status=status, source=source)
        commitment.status = status
    return commitment


def make_status_change(commitment=None, **overrides):
    fields = {
        "commitment": commitment or make_commitment(),
        "date": datetime.date(2026, 6, 1),
        "status": "in-progress",
        "note": "Work began.",
    }
    fields.update(overrides)
    if "source" not in fields:
        fields["source"] = make_source()
    return StatusChange.objects.create(**fields)


def make_agreement(parties=("IT", "JP"), sources=None, **overrides):
    """An agreement as every writer leaves it: cited, with its first event (signed or adopted)."""
    n = next(_sequence)
    fields = {
        "slug": f"agreement-{n}",
        "kind": "joint-statement",
        "title": f"Joint statement {n}",
        "binding": False,
        "date": datetime.date(2026, 1, 16),
        "place": "Tokyo",
    }
    fields.update(overrides)
    agreement = Agreement.objects.create(**fields)
    agreement.parties.set(parties)
    for source in sources if sources is not None else [make_source()]:
        AgreementCitation.objects.create(agreement=agreement, source=source)
    Agreement.objects.filter(pk=agreement.pk).complete()
    return agreement


def make_signatory(agreement=None, **overrides):
    fields = {"agreement": agreement or make_agreement(), "country": country("JP"), "name": "A. Minister"}
    fields.update(overrides)
    return Signatory.objects.create(**fields)


def make_text(agreement=None, **overrides):
    n = next(_sequence)
    fields = {
        "agreement": agreement or make_agreement(),
        "language": "ja",
        "url": f"https://texts.example.org/{n}",
    }
    fields.update(overrides)
    return AgreementText.objects.create(**fields)
