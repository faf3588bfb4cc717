"""A reader's path through the site in a real browser, an accessibility check of each page
type (axe-core, no serious or critical violations), and screenshots at desktop and phone widths."""

import csv
import io

import pytest

from .checks import scrolls_sideways, serious_violations

# Transactional (the live server reads from another thread); the reference data the
# migrations load is restored after each test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PAGE_TYPES = {
    "home": "/",
    "meetings": "/meetings/?country=jp&country=it",
    "commitments": "/commitments/?topic=space&topic=critical-minerals",
    "meeting": "/meetings/2026-01-16-it-jp-tokyo/",
    "commitment": None,  # found at run time
    "relation": "/relations/it-jp/",
    "relations": "/relations/",
    "scorecard": "/relations/it-jp/follow-through/",
    "country": "/countries/jp/",
    "countries": "/countries/",
    "leader": "/leaders/sanae-takaichi/",
    "leaders": "/leaders/",
    "topic": "/topics/space/",
    "topics": "/topics/",
    "agreements": "/agreements/?country=it&country=jp",
    "agreement": "/agreements/2024-11-25-it-jp-agreement/",
    "joint-statement": "/agreements/2026-01-16-it-jp-joint-statement/",
    "about": "/about/",
    "search": "/search/?q=Italy+OR+%22joint+statement%22",
    "corrections": "/corrections/",
    "bad-filter": "/commitments/?date_after=notadate&topic=weather",
    "not-found": "/relations/fr-jp/",
}


def page_url(name):
    if name == "commitment":
        from agreements.models import Commitment

        return Commitment.objects.get(topic="space").get_absolute_url()
    return PAGE_TYPES[name]


def test_reader_goes_from_home_to_the_pair_filters_and_downloads(site, page):
    page.goto(site.url + "/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("What countries agreed")
    page.get_by_role("link", name="Italy – Japan").first.click()
    page.wait_for_url("**/relations/it-jp/")
    assert "special strategic partnership" in page.content()

    page.get_by_role("link", name="13 commitments").click()
    page.wait_for_url("**/commitments/?country=it&country=jp")
    page.get_by_label("Space").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**topic=space**")
    rows = page.locator("table.data tbody tr")
    assert rows.count() == 1
    assert "consultative body on space cooperation" in rows.first.inner_text()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    text = download_info.value.path().read_text(encoding="utf-8-sig")
    csv_rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["topic"] for row in csv_rows] == ["space"]

    rows.first.get_by_role("link").first.click()
    page.wait_for_url("**/commitments/*/")
    assert (
        page.get_by_role("heading", level=1).inner_text()
        == "Establish a consultative body on space cooperation"
    )
    assert page.get_by_role("heading", name="History").is_visible()


def test_reader_goes_from_the_summit_to_its_joint_statement_and_the_binding_agreements(site, page):
    page.goto(site.url + "/meetings/2026-01-16-it-jp-tokyo/")
    accounts = page.locator("table.accounts")
    assert accounts.locator("thead th").all_inner_texts()[1].startswith("JAPAN'S ACCOUNT")
    page.locator(".meeting-items").get_by_role("link", name="Japan–Italy Joint Statement").click()
    page.wait_for_url("**/agreements/2026-01-16-it-jp-joint-statement/")
    assert "this one is ours" in page.content()
    assert page.get_by_role("heading", name="Events").is_visible()

    page.get_by_role("link", name="Agreements", exact=True).first.click()
    page.wait_for_url("**/agreements/")
    page.get_by_label("Legally binding").select_option("yes")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**binding=yes**")
    assert page.locator(".results-heading").inner_text() == "3 agreements"
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(download_info.value.path().read_text(encoding="utf-8-sig"))))
    assert {row["status"] for row in rows} == {"in-force", "signed"}


def test_facet_link_adds_and_removes_a_topic(site, page):
    page.goto(site.url + "/commitments/")
    page.locator(".facet a", has_text="Space").click()
    page.wait_for_url("**topic=space**")
    assert page.locator(".results-heading").inner_text() == "1 commitment"
    page.locator(".facet a.selected", has_text="Space").click()
    page.wait_for_url(lambda url: "/commitments/" in url and "topic=" not in url)
    assert page.locator(".results-heading").inner_text() == "13 commitments"


def test_keyboard_reaches_the_skip_link_and_main_navigation(site, page):
    page.goto(site.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


@pytest.mark.parametrize("name", list(PAGE_TYPES))
def test_page_type_has_no_serious_accessibility_violations(site, page, phone, screenshots, name):
    url = site.url + page_url(name)
    page.goto(url)
    page.screenshot(path=screenshots / f"{name}-desktop.png", full_page=True)
    phone.goto(url)
    phone.screenshot(path=screenshots / f"{name}-phone.png", full_page=True)
    assert not scrolls_sideways(phone), "wider than the phone's screen"
    serious = [
        f"{width}: {violation}"
        for width, browser_page in (("desktop", page), ("phone", phone))
        for violation in serious_violations(browser_page)
    ]
    assert serious == [], "\n".join(serious)


def test_on_a_phone_the_results_come_first_and_the_filter_form_is_folded(site, page, phone):
    phone.goto(site.url + "/commitments/?topic=space")
    form = phone.locator("#filter-form")
    assert (
        phone.locator(".results-heading").bounding_box()["y"]
        < phone.locator("#filter-heading").bounding_box()["y"]
    )
    assert phone.locator(".results table th[scope=row]").is_visible()
    assert not form.is_visible()
    phone.get_by_text("Choose filters").click()
    assert form.is_visible()

    page.goto(site.url + "/commitments/?topic=space")
    assert page.locator("#filter-form").is_visible()
    assert not page.get_by_text("Choose filters").is_visible()


def test_a_list_with_a_bad_filter_opens_the_form_at_the_error(site, phone):
    phone.goto(site.url + "/commitments/?date_after=notadate")
    assert phone.locator("#filter-form .field-error").first.is_visible()


def test_on_a_phone_each_row_reads_as_a_card_with_the_column_names(site, phone):
    phone.goto(site.url + "/meetings/?country=jp&country=it")
    row = phone.locator(".results tbody tr").first
    labels = row.locator("td").evaluate_all(
        "cells => cells.map(cell => getComputedStyle(cell, '::before').content)"
    )
    assert labels == ['"Date: "', '"Kind: "', '"Place: "', '"Countries: "']
    box = row.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390


def test_on_a_phone_the_pair_timeline_opens_at_its_latest_years(site, phone):
    phone.goto(site.url + "/relations/it-jp/")
    chart = phone.locator(".chart-scroll")
    latest = phone.locator(".timeline-svg text.tick").last
    chart_box, tick_box = chart.bounding_box(), latest.bounding_box()
    assert chart_box["width"] < phone.locator(".timeline-svg").bounding_box()["width"]  # it scrolls
    assert (
        chart_box["x"] <= tick_box["x"]
        and tick_box["x"] + tick_box["width"] <= chart_box["x"] + chart_box["width"]
    )
    assert tick_box["height"] >= 11  # labels a reader can read, not scaled down


def test_the_active_filters_are_listed_and_each_removed_by_its_own_link(site, phone):
    phone.goto(site.url + "/commitments/?topic=space&country=gb&status=announced")
    chips = phone.get_by_role("list", name="Active filters")
    assert chips.is_visible()
    assert chips.bounding_box()["y"] < phone.locator("#filter-heading").bounding_box()["y"]
    phone.get_by_role("link", name="Remove Parties (all of): United Kingdom").click()
    phone.wait_for_url(lambda url: "country=" not in url)
    assert "topic=space" in phone.url and "status=announced" in phone.url
    assert phone.get_by_role("link", name="Remove Topics (any of): Space").is_visible()
    phone.get_by_role("link", name="Clear all").click()
    phone.wait_for_url(lambda url: url.endswith("/commitments/"))
    assert not phone.get_by_role("list", name="Active filters").count()
