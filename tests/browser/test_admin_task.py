"""An editor's task in the admin, in a real browser: recording a meeting with new leaders, a new
source and two commitments takes one page and fewer than 25 actions once logged in, with no
pop-up window; an error far down a page is brought into view."""

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class Actions:
    """Counts what the editor does: each click, fill, choice or key press is one action."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def __getattr__(self, name):
        def act(*args, **kwargs):
            self.count += 1
            return getattr(self.page, name)(*args, **kwargs)

        return act

    def press(self, key):
        self.count += 1
        self.page.keyboard.press(key)

    def type(self, text):
        self.count += 1
        self.page.keyboard.type(text)

    def choose(self, box, text, label, click=True):
        """Type in a search box (clicking it first) and press Enter on the highlighted result."""
        if click:
            self.click(box)
            try:  # under load, the click can land while the previous box's list is still closing
                self.page.wait_for_selector(".select2-container--open", timeout=3000)
            except PlaywrightTimeoutError:
                self.page.click(box)  # the same action again, not a new one
        self.type(text)
        self.page.wait_for_selector(f".select2-results__option--highlighted:has-text('{label}')")
        self.press("Enter")


@pytest.fixture
def editor_page(site, page, django_user_model):
    # A superuser: the Editors group's permissions are tested without a browser (tests/test_admin.py).
    django_user_model.objects.create_superuser("editor", "editor@example.org", "a long editor password")
    page.goto(site.url + "/admin/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "a long editor password")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    return page


def test_recording_the_france_germany_meeting_takes_fewer_than_25_actions(site, editor_page):
    from agreements.models import Meeting

    page = editor_page
    popups = []
    page.on("popup", lambda popup: popups.append(popup.url))
    editor = Actions(page)
    editor.click("tr.model-meeting a.addlink")
    editor.fill("#id_title", "Macron and Merz meet in Paris")
    editor.fill("#id_date", "2026-02-10")
    editor.select_option("#id_kind", "official-visit")
    countries = "#id_countries + .select2 .select2-selection"
    editor.choose(countries, "france", "France (FR)")
    editor.choose(countries, "germany", "Germany (DE)", click=False)
    editor.choose("#id_host + .select2 .select2-selection", "france", "France (FR)")
    editor.fill("#id_city", "Paris")
    editor.fill(
        "#id_new_leaders",
        "Emmanuel Macron, President of France, FR\nFriedrich Merz, Federal Chancellor of Germany, DE",
    )
    editor.fill(
        "#id_new_sources",
        "https://www.elysee.fr/emmanuel-macron/2026/02/10/entretien | Élysée | Entretien avec Friedrich Merz "
        "| 2026-02-10",
    )
    for number, (topic, summary) in enumerate(
        [("Energy", "Build a hydrogen pipeline"), ("Defence and security", "Develop a combat aircraft")]
    ):
        if number:
            editor.click("#commitments-group .add-row a")
        editor.select_option(f"#id_commitments-{number}-topic", label=topic)
        editor.fill(f"#id_commitments-{number}-summary", summary)
        editor.fill(f"#id_commitments-{number}-target", "2030")
    editor.click("input[name=_save]")
    page.wait_for_selector(".messagelist")

    assert editor.count < 25
    assert popups == []
    meeting = Meeting.objects.get(slug="2026-02-10-de-fr-paris")
    assert {leader.name for leader in meeting.leaders.all()} == {"Emmanuel Macron", "Friedrich Merz"}
    assert [source.publisher for source in meeting.sources.all()] == ["Élysée"]
    for commitment in meeting.commitments.all():
        assert [source.publisher for source in commitment.sources.all()] == ["Élysée"]
        assert commitment.target_display == "2030"


def test_an_error_in_a_history_row_is_in_view_when_the_page_comes_back(site, editor_page):
    from agreements.models import Commitment

    page = editor_page
    commitment = Commitment.objects.get(topic="space")
    page.goto(f"{site.url}/admin/agreements/commitment/{commitment.pk}/change/")
    page.click("#history-group .add-row a")
    row = page.locator("#history-group tr.form-row.dynamic-history").last
    row.locator("input[name$='-date']").fill("2026-03-01")
    row.locator("select[name$='-status']").select_option("in-progress")
    page.click("input[name=_continue]")
    page.wait_for_load_state("load")
    error = page.locator("#history-group .errorlist").first
    assert error.is_visible()
    box = error.bounding_box()
    assert 0 <= box["y"] <= page.viewport_size["height"] - box["height"]
