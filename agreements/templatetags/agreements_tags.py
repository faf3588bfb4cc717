"""Template helpers for the public pages: navigation, label links and server-drawn SVG charts."""

import datetime
from collections import Counter

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

# The timeline's drawing area, in SVG user units.
WIDTH, LEFT, RIGHT = 800, 118, 24
LEVEL_TOP, LEVEL_HEIGHT = 30, 40
MEETING_Y = 116
AGREEMENT_Y = 158
AXIS_Y = 190
HEIGHT = 216
BAR_HEIGHT = 34
MAX_DOTS = 150  # more meetings than this are drawn as one bar a year, with its count
MAX_TICKS = 16  # year labels on the axis, at most
MAX_LEGEND_LEVELS = 6  # the latest partnership levels named in the legend
MAX_LEVELS = 50  # the latest partnership levels drawn; earlier ones are counted in the legend
TICK_STEPS = (1, 2, 5, 10, 20, 50, 100)
LEVEL_FILLS = ["#d6e4f0", "#9dbfdd", "#5b92c4", "#2c6aa3", "#0b4a80"]
LEVEL_INKS = ["#10283d", "#10283d", "#ffffff", "#ffffff", "#ffffff"]


@register.simple_tag(takes_context=True)
def page_address(context):
    """The page's absolute URL, without its query string, as a citation gives it."""
    request = context.get("request")
    return request.build_absolute_uri(request.path) if request else ""


@register.simple_tag
def today():
    """Today's date, the day the page cache keys kept pages by (`agreements.caching`)."""
    return timezone.localdate()


@register.simple_tag(takes_context=True)
def nav_current(context, url_name):
    """`aria-current="page"` (or "true" for a section) when the request is at or under the URL."""
    request = context.get("request")
    if request is None:
        return ""
    url = reverse(url_name)
    if request.path == url:
        return mark_safe('aria-current="page"')
    if url != "/" and request.path.startswith(url):
        return mark_safe('aria-current="true"')
    return ""


@register.simple_tag
def status_label(status, label):
    """A status as a label linking to its definition on the about page."""
    return format_html(
        '<a class="status status-{}" href="{}#status-{}" title="What “{}” means">{}</a>',
        status,
        reverse("agreements:about"),
        status,
        label,
        label,
    )


@register.simple_tag
def superseded_flag(commitment):
    """A flag on a commitment a later one supersedes, linking to its page where the thread is shown."""
    if not commitment.superseded:
        return ""
    return format_html(
        '<a class="flag flag-superseded" href="{}#thread-heading" title="A later commitment supersedes it">'
        "superseded</a>",
        commitment.get_absolute_url(),
    )


@register.simple_tag
def topic_label(topic):
    """A topic as a label linking to its definition on the about page."""
    return format_html(
        '<a class="topic-label" href="{}#topic-{}" title="What “{}” covers">{}</a>',
        reverse("agreements:about"),
        topic.slug,
        topic.name,
        topic.name,
    )


@register.filter
def percent(value, total):
    """`value` as a percentage of `total`, for bar widths (0 when there is nothing to compare)."""
    try:
        return round(100 * float(value) / float(total), 1) if total else 0
    except (TypeError, ValueError):
        return 0


def _x(day, start, end):
    span = max((end - start).days, 1)
    return round(LEFT + (WIDTH - LEFT - RIGHT) * (day - start).days / span, 1)


@register.inclusion_tag("includes/_timeline.html")
def timeline_chart(meetings, upgrades, by_year=None, level_total=None, chart_id="timeline", agreements=()):
    """A pair's meetings, partnership levels and agreements on one time axis, as SVG shapes: a dot
    for each meeting, or one bar a year when given their number in each year (`by_year`) or more
    than MAX_DOTS meetings; a diamond for each agreement (filled when legally binding). `upgrades`
    may be the latest of `level_total`. Agreements older than the meetings and levels are counted
    in the legend rather than stretching the axis back to them."""
    if by_year is None and len(meetings) > MAX_DOTS:
        by_year = Counter(meeting.date.year for meeting in meetings)
    if by_year:
        meetings = []
    days = [meeting.date for meeting in meetings] + [upgrade.meeting.date for upgrade in upgrades]
    days += [datetime.date(year, 1, 1) for year in by_year or ()]
    agreements = sorted(agreements, key=lambda agreement: (agreement.date, agreement.title))
    earlier_agreements = [agreement for agreement in agreements if days and agreement.date < min(days)]
    agreements = agreements[len(earlier_agreements) :]
    days += [agreement.date for agreement in agreements]
    if not days:
        return {"empty": True}
    start = datetime.date(min(days).year, 1, 1)
    end = datetime.date(max(days).year, 12, 31)
    span = end.year - start.year + 1
    step = next((step for step in TICK_STEPS if span / step <= MAX_TICKS), TICK_STEPS[-1])
    years = [
        {"x": _x(datetime.date(year, 1, 1), start, end), "label": str(year)}
        for year in range(start.year, end.year + 1)
        if year % step == 0 or step == 1
    ]
    levels = []
    for index, upgrade in enumerate(upgrades):
        begin = upgrade.meeting.date
        finish = upgrades[index + 1].meeting.date if index + 1 < len(upgrades) else end
        x1, x2 = _x(begin, start, end), _x(finish, start, end)
        shade = min(index, len(LEVEL_FILLS) - 1)
        levels.append(
            {
                "x": x1,
                "width": max(round(x2 - x1, 1), 2),
                "fill": LEVEL_FILLS[shade],
                "ink": LEVEL_INKS[shade],
                "label": upgrade.level_to,
                "since": f"{begin:%B %Y}",
                "text_x": x1 + 6,
                "end_x": x2,
                "fits": (x2 - x1) > 7.2 * len(upgrade.level_to) + 12,
                "latest": index == len(upgrades) - 1,
            }
        )
    points, bars = [], year_bars(by_year, start, end) if by_year else []
    previous_x = None
    row = 0
    for meeting in sorted(meetings, key=lambda m: (m.date, m.slug)):
        x = _x(meeting.date, start, end)
        row = (row + 1) % 2 if previous_x is not None and x - previous_x < 14 else 0
        points.append(
            {
                "x": x,
                "y": MEETING_Y - 14 * row,
                "in_person": meeting.kind not in ("phone-call", "video-call"),
                "label": f"{meeting.date:%-d %B %Y}: {meeting.title}",
            }
        )
        previous_x = x
    diamonds = []
    for agreement in agreements:
        x, y = _x(agreement.date, start, end), AGREEMENT_Y
        diamonds.append(
            {
                "points": f"{x},{y - 7} {x + 7},{y} {x},{y + 7} {x - 7},{y}",
                "binding": agreement.binding,
                "label": f"{agreement.date:%-d %B %Y}: {agreement.title}",
            }
        )
    return {
        "empty": False,
        "chart_id": chart_id,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right_edge": WIDTH - RIGHT,
        "years": years,
        "levels": levels,
        "legend_levels": levels[-MAX_LEGEND_LEVELS:],
        "level_total": level_total or len(levels),
        "earlier_levels": max((level_total or len(levels)) - len(levels[-MAX_LEGEND_LEVELS:]), 0),
        "points": points,
        "bars": bars,
        "level_top": LEVEL_TOP,
        "level_height": LEVEL_HEIGHT,
        "level_text_y": LEVEL_TOP + LEVEL_HEIGHT / 2 + 5,
        "meeting_y": MEETING_Y,
        "agreement_y": AGREEMENT_Y,
        "diamonds": diamonds,
        "earlier_agreements": len(earlier_agreements),
        "axis_y": AXIS_Y,
        "first": start.year,
        "last": end.year,
        "meeting_count": len(points) + sum(bar["count"] for bar in bars),
    }


def year_bars(counts, start, end):
    """One bar a year of `counts` ({year: meetings}), its height the year's share of the busiest year's."""
    busiest = max(counts.values())
    bars = []
    for year, count in sorted(counts.items()):
        x1 = _x(datetime.date(year, 1, 1), start, end)
        x2 = _x(datetime.date(year + 1, 1, 1), start, end)
        height = max(round(BAR_HEIGHT * count / busiest, 1), 2)
        bars.append(
            {
                "x": x1,
                "width": max(round(x2 - x1 - 1, 1), 1),
                "y": round(MEETING_Y + 8 - height, 1),
                "height": height,
                "count": count,
                "label": f"{year}: {count} meeting{'' if count == 1 else 's'}",
            }
        )
    return bars


SCORE_BAR_WIDTH, SCORE_BAR_HEIGHT = 240, 18


@register.simple_tag
def status_bar(figures, label):
    """A horizontal bar of `figures` (one per status, in order), each part as wide as its share,
    with `label` as its accessible name; the numbers stand beside it in the page's table."""
    total = sum(figure.value for figure in figures)
    parts, x = [], 0.0
    for figure in figures:
        if not figure.value:
            continue
        width = SCORE_BAR_WIDTH * figure.value / total
        parts.append(
            format_html(
                '<rect x="{}" y="0" width="{}" height="{}" class="score-{}"><title>{}: {}</title></rect>',
                f"{x:.1f}",
                f"{width:.1f}",
                SCORE_BAR_HEIGHT,
                figure.status,
                figure.status.replace("-", " ").capitalize(),
                figure.value,
            )
        )
        x += width
    if not parts:
        parts.append(
            format_html(
                '<rect x="0" y="0" width="{}" height="{}" class="score-none"></rect>',
                SCORE_BAR_WIDTH,
                SCORE_BAR_HEIGHT,
            )
        )
    return format_html(
        '<svg class="score-bar" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">'
        "{}</svg>",
        SCORE_BAR_WIDTH,
        SCORE_BAR_HEIGHT,
        SCORE_BAR_WIDTH,
        SCORE_BAR_HEIGHT,
        label,
        mark_safe("".join(parts)),
    )


@register.simple_tag(takes_context=True)
def sort_header(context, label, key, default=False):
    """A column header that sorts the list by `key` (`?sort=key`), and the other way when it
    already does; `default` marks the column the list is sorted by, newest first, without `sort`."""
    request = context["request"]
    current = request.GET.get("sort") or ("-" + key if default else "")
    if current == key:
        state, next_sort = "ascending", "-" + key
    elif current == "-" + key:
        state, next_sort = "descending", key
    else:
        state, next_sort = "", key
    query = request.GET.copy()
    query["sort"] = next_sort
    query.pop("page", None)
    return format_html(
        '<th scope="col"{}><a href="?{}">{}</a></th>',
        format_html(' aria-sort="{}"', state) if state else "",
        query.urlencode(),
        label,
    )
