"""The pair timeline stays readable, and small, however many meetings a pair has."""

import datetime
from types import SimpleNamespace

import pytest

from agreements.templatetags.agreements_tags import MAX_DOTS, MAX_LEGEND_LEVELS, MAX_TICKS, timeline_chart


def meetings(count, first=datetime.date(1990, 1, 1), every_days=7):
    return [
        SimpleNamespace(
            date=first + datetime.timedelta(days=every_days * n),
            slug=f"m-{n}",
            kind="summit",
            title=f"Talks {n}",
        )
        for n in range(count)
    ]


def upgrades(count, first=datetime.date(1990, 6, 1)):
    return [
        SimpleNamespace(
            meeting=SimpleNamespace(date=first + datetime.timedelta(days=90 * n)), level_to=f"Level {n}"
        )
        for n in range(count)
    ]


def test_a_few_meetings_are_dots_and_every_year_is_labelled():
    chart = timeline_chart(meetings(5, every_days=200), upgrades(2))
    assert len(chart["points"]) == 5 and chart["bars"] == []
    assert [year["label"] for year in chart["years"]] == ["1990", "1991", "1992"]
    assert chart["meeting_count"] == 5 and chart["earlier_levels"] == 0
    assert [level["label"] for level in chart["legend_levels"]] == ["Level 0", "Level 1"]


def test_many_meetings_are_counted_by_year_with_fewer_labels():
    many = meetings(MAX_DOTS * 10, every_days=7)  # about 29 years, 52 a year
    chart = timeline_chart(many, [])
    assert chart["points"] == []
    assert sum(bar["count"] for bar in chart["bars"]) == len(many) == chart["meeting_count"]
    assert len(chart["bars"]) == len({meeting.date.year for meeting in many})
    busiest = max(chart["bars"], key=lambda bar: bar["count"])
    assert busiest["height"] == max(bar["height"] for bar in chart["bars"])
    assert busiest["label"] == f"{busiest['label'][:4]}: {busiest['count']} meetings"
    assert 1 < len(chart["years"]) <= MAX_TICKS


def test_counts_by_year_are_drawn_as_bars_over_the_years_they_cover():
    chart = timeline_chart([], upgrades(1, first=datetime.date(2004, 3, 1)), by_year={2001: 3, 2003: 1})
    assert [bar["label"] for bar in chart["bars"]] == ["2001: 3 meetings", "2003: 1 meeting"]
    assert chart["meeting_count"] == 4 and (chart["first"], chart["last"]) == (2001, 2004)
    assert chart["bars"][0]["height"] > chart["bars"][1]["height"]


def test_many_levels_name_only_the_latest_in_the_legend_and_label_only_the_current():
    chart = timeline_chart(meetings(3), upgrades(MAX_LEGEND_LEVELS + 4))
    assert chart["earlier_levels"] == 4
    assert [level["label"] for level in chart["legend_levels"]][-1] == f"Level {MAX_LEGEND_LEVELS + 3}"
    assert [level["latest"] for level in chart["levels"]].count(True) == 1


@pytest.mark.django_db
def test_the_busiest_pair_page_stays_small(client):
    from .factories import make_meeting

    for n in range(MAX_DOTS + 1):
        make_meeting(date=datetime.date(2000, 1, 1) + datetime.timedelta(days=30 * n))
    page = client.get("/relations/it-jp/").content.decode()
    assert f"{MAX_DOTS + 1} meetings, counted by year" in page
    assert page.count('class="bar-meetings"') > 10 and "dot-in-person" not in page.split("<figcaption>")[0]
    assert "meetings a year" in page


def test_a_pair_with_more_levels_than_drawn_says_how_many_came_before():
    chart = timeline_chart(meetings(3), upgrades(4), level_total=4 + 100)
    assert len(chart["levels"]) == 4 and chart["earlier_levels"] == 100
    assert chart["level_total"] == 104
