"""A reader reports an error from a record's page, and the log shows it once accepted: at phone and
desktop widths, with no horizontal scroll and no serious or critical axe-core violations."""

import pytest

from .checks import scrolls_sideways, serious_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TOKYO_SUMMIT = "/meetings/2026-01-16-it-jp-tokyo/"


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_reader_reports_an_error_from_a_meeting_page(site, page, phone, screenshots, width):
    from agreements.models import Correction, CorrectionState

    browser = phone if width == "phone" else page
    browser.goto(site.url + TOKYO_SUMMIT)
    assert "Accessed" in browser.locator(".record-trust .citation").inner_text()
    browser.get_by_role("link", name="Report an error on this page").click()
    browser.wait_for_url("**/corrections/new/**")
    assert not scrolls_sideways(browser)
    assert serious_violations(browser) == []

    browser.get_by_role("button", name="Send the report").click()  # nothing written: a 400
    assert browser.locator("#id_description-error").is_visible()
    assert not scrolls_sideways(browser)
    assert serious_violations(browser) == []
    browser.screenshot(path=screenshots / f"correction-form-{width}.png", full_page=True)

    browser.get_by_label("What is wrong").fill("The talks were on 16 January, not the 15th.")
    browser.get_by_label("A source that shows it (optional)").fill("https://www.example.org/readout")
    browser.get_by_role("button", name="Send the report").click()
    browser.wait_for_url("**/corrections/sent/**")
    assert serious_violations(browser) == []
    browser.get_by_role("link", name="Back to the page").click()
    browser.wait_for_url("**" + TOKYO_SUMMIT)

    correction = Correction.objects.get()
    assert correction.page == TOKYO_SUMMIT
    correction.decide(CorrectionState.ACCEPTED)
    correction.public_note = "The date of the talks is corrected to 16 January 2026."
    correction.save()
    browser.goto(site.url + "/corrections/")
    assert browser.get_by_role("cell", name=TOKYO_SUMMIT).is_visible()
    assert not scrolls_sideways(browser)
    assert serious_violations(browser) == []
    browser.screenshot(path=screenshots / f"corrections-{width}.png", full_page=True)
