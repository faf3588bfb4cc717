"""The world maps in a real browser: they fit a phone's width and a desktop's, their countries
are links, and axe finds no serious or critical violation."""

import pytest

from .checks import serious_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PAGES = {"home": "/", "country": "/countries/jp/"}


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("device", ["phone", "page"])
def test_map_fits_the_width_and_passes_axe(site, request, screenshots, name, device):
    browser_page = request.getfixturevalue(device)
    browser_page.goto(site.url + PAGES[name])
    width = browser_page.viewport_size["width"]
    figure = browser_page.locator("figure.world-map")
    figure.scroll_into_view_if_needed()
    browser_page.screenshot(path=screenshots / f"map-{name}-{width}.png", full_page=True)
    assert browser_page.evaluate("document.documentElement.scrollWidth") <= width
    box = browser_page.locator("svg.world-map-svg").bounding_box()
    assert 0 < box["width"] <= width
    assert box["height"] > box["width"] / 3
    assert serious_violations(browser_page) == []


def test_a_partner_on_the_map_leads_to_the_pair(site, page):
    page.goto(site.url + "/countries/jp/")
    italy = page.locator("svg.world-map-svg a", has=page.locator("title", has_text="Italy"))
    assert italy.count() == 1
    italy.click()
    page.wait_for_url("**/relations/it-jp/")


def test_a_country_on_the_home_map_leads_to_its_page(site, page):
    page.goto(site.url + "/")
    japan = page.locator("svg.world-map-svg a", has=page.locator("title", has_text="Japan"))
    japan.focus()  # Japan's islands leave sea at the middle of its box, so by keyboard
    assert japan.locator("path").evaluate("path => getComputedStyle(path).fill") == "rgb(245, 197, 24)"
    page.keyboard.press("Enter")
    page.wait_for_url("**/countries/jp/")
