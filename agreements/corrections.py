"""Readers' reports of errors: the form, which pages a report may name, and the rate limit.

A report names one record's page by its path (`/meetings/<slug>/`), resolved against the site's
own URLs and its record looked up: never an arbitrary address. The limits are counted in the
database from the stored reports (by the hash of the address, and in all), so every app server
sees the same counts and nothing a stranger sends becomes a cache key.
"""

import datetime

from django import forms
from django.core.validators import URLValidator
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import (
    CORRECTION_DESCRIPTION_MAX_LENGTH,
    CORRECTION_PAGE_MAX_LENGTH,
    CORRECTION_URL_MAX_LENGTH,
    Agreement,
    Commitment,
    Correction,
    Country,
    Leader,
    Meeting,
    Topic,
)

PER_CLIENT_PER_HOUR = 5  # reports one address may send in an hour
ALL_PER_HOUR = 100  # reports the site accepts in an hour, from everyone
WINDOW = datetime.timedelta(hours=1)
HASH_SALT = "agreements.corrections.client"


def _country_name(code):
    if len(code) != 2 or not code.isascii() or not code.isalpha() or code != code.lower():
        return None
    return Country.objects.filter(code=code.upper()).values_list("name", flat=True).first()


def _pair_title(a, b):
    names = [_country_name(a), _country_name(b)] if a < b else [None]
    return " and ".join(names) if all(names) else None


def _first(queryset, field):
    return queryset.values_list(field, flat=True).first()


# URL name: the title of the record its arguments name, or None when there is none.
RECORD_PAGES = {
    "agreements:meeting-detail": lambda slug: _first(Meeting.objects.filter(slug=slug), "title"),
    "agreements:commitment-detail": lambda pk: _first(Commitment.objects.filter(pk=pk), "summary"),
    "agreements:agreement-detail": lambda slug: _first(Agreement.objects.filter(slug=slug), "title"),
    "agreements:country-detail": _country_name,
    "agreements:leader-detail": lambda slug: _first(Leader.objects.filter(slug=slug), "name"),
    "agreements:topic-detail": lambda slug: _first(Topic.objects.filter(slug=slug), "name"),
    "agreements:relation-detail": _pair_title,
}


def record_title(path):
    """The title of the record whose page is at `path` (`/meetings/<slug>/`), or None when `path`
    is not the page of a record that exists."""
    if (
        not path
        or len(path) > CORRECTION_PAGE_MAX_LENGTH
        or not path.startswith("/")
        or path.startswith("//")
    ):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    find = RECORD_PAGES.get(match.view_name)
    return find(**match.kwargs) if find else None


def client_hash(address):
    """A salted hash of the client's address: enough to count its reports, not to recover it."""
    return salted_hmac(HASH_SALT, address, algorithm="sha256").hexdigest()


def over_limit(address_hash, now=None):
    """Why a report from `address_hash` cannot be taken now ("" when it can): the number of reports
    received in the last hour, from that address and from everyone, each read from an index."""
    since = (now or timezone.now()) - WINDOW
    if Correction.objects.received_since(since, address_hash).count() >= PER_CLIENT_PER_HOUR:
        return (
            f"You have sent {PER_CLIENT_PER_HOUR} reports in the last hour, as many as one reader may. "
            "Please send this one later: your text is kept below."
        )
    if Correction.objects.received_since(since).count() >= ALL_PER_HOUR:
        return (
            "The editors have received as many reports as they can take in an hour. "
            "Please send this one later: your text is kept below."
        )
    return ""


class CorrectionForm(forms.ModelForm):
    """A reader's report. `website` is a honeypot: people do not see it, and a report that fills it
    is answered as if taken but not stored."""

    page = forms.CharField(
        label="Page address",
        max_length=CORRECTION_PAGE_MAX_LENGTH,
        help_text="The path of the record's page, such as /meetings/2026-01-16-it-jp-tokyo/.",
    )
    description = forms.CharField(
        label="What is wrong",
        max_length=CORRECTION_DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"At most {CORRECTION_DESCRIPTION_MAX_LENGTH} characters.",
    )
    source_url = forms.URLField(
        label="A source that shows it (optional)",
        required=False,
        max_length=CORRECTION_URL_MAX_LENGTH,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="An http or https address.",
    )
    email = forms.EmailField(
        label="Your email (optional)",
        required=False,
        max_length=254,
        help_text="Only if you want the editors to be able to ask you something. It is never published.",
    )
    website = forms.CharField(label="Leave this field empty", required=False, max_length=200)

    class Meta:
        model = Correction
        fields = ["page", "description", "source_url", "email"]

    def clean_page(self):
        page = self.cleaned_data["page"].strip()
        self.record_title = record_title(page)
        if self.record_title is None:
            raise forms.ValidationError(
                "Give the path of a meeting's, commitment's, agreement's, country's, leader's, topic's "
                "or pair's page on this site, such as /meetings/2026-01-16-it-jp-tokyo/."
            )
        return page

    @property
    def is_spam(self):
        return bool(self.cleaned_data.get("website"))
